using SrTrain.Cli;

return await CliApp.RunAsync(args);
