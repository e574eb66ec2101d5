using SrTrain.Cli;

CliApp.UseUtf8Console();
return await CliApp.RunAsync(args);
