// Replaced by the real command line in the next commit.
return 0;
