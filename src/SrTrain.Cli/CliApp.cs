using System.CommandLine;
using System.CommandLine.Help;
using Serilog;
using Serilog.Events;
using SrTrain.Cli.Commands;
using SrTrain.Distributed;

namespace SrTrain.Cli;

/// <summary>The `srtrain` command line: builds the command tree and runs it. Each command's action goes through
/// <see cref="Run"/>, which turns user errors into one line and an exit code.</summary>
public static class CliApp
{
    public const int ExitOk = 0;
    public const int ExitUserError = 2;
    public const int ExitInternalError = 3;
    public const int ExitInterrupted = 130;

    /// <summary>One rule for every command: an existing output is not replaced without --overwrite, and that is known
    /// before any work. <paramref name="otherwise"/> completes "give --overwrite to replace …, or …".</summary>
    public static void RefuseExisting(string? path, bool overwrite, string otherwise = "it, or another -o file")
    {
        if (path != null && File.Exists(path) && !overwrite)
            throw new SrTrainException($"{path} exists: give --overwrite to replace {otherwise}");
    }

    public static Command BuildRoot()
    {
        // A plain Command named "srtrain" rather than RootCommand: RootCommand names itself after the entry assembly
        // (SrTrain.Cli), but the program people type is `srtrain`.
        var root = new Command("srtrain", "SrTrain: train and use image super-resolution GANs (ESRGAN-style) with translational regularization.");
        root.Options.Add(new HelpOption());
        root.Options.Add(new VersionOption());
        root.Options.Add(SharedOptions.Device);
        root.Options.Add(SharedOptions.Threads);
        root.Options.Add(SharedOptions.LogLevel);
        root.Subcommands.Add(TrainCommand.Build());
        root.Subcommands.Add(ResumeCommand.Build());
        root.Subcommands.Add(UpscaleCommand.Build());
        root.Subcommands.Add(ExportCommand.Build());
        root.Subcommands.Add(ReportCommand.Build());
        root.Subcommands.Add(EvalCommand.Build());
        root.Subcommands.Add(DegradeCommand.Build());
        root.Subcommands.Add(BenchCommand.Build());
        root.Subcommands.Add(MpiCheckCommand.Build());
        root.Subcommands.Add(ConvertConfigCommand.Build());
        root.Subcommands.Add(SchemaCommand.Build());
        return root;
    }

    /// <summary>srtrain writes UTF-8 to its console and to redirected output alike, on every system. Windows' default
    /// is the console's OEM code page: `×`, `≈` and `·` in the log garbled, and `schema > file` differed from
    /// `schema -o file`. Setting the encoding also switches an attached Windows console to code page 65001, as the
    /// dotnet CLI and git do.</summary>
    public static void UseUtf8Console()
    {
        var utf8 = new System.Text.UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
        try
        {
            Console.OutputEncoding = utf8;
        }
        catch (IOException)
        {
            // No console to switch (a detached Windows process): the writers still get UTF-8.
            Console.SetOut(new StreamWriter(Console.OpenStandardOutput(), utf8) { AutoFlush = true });
            Console.SetError(new StreamWriter(Console.OpenStandardError(), utf8) { AutoFlush = true });
        }
    }

    public static async Task<int> RunAsync(string[] args)
    {
        var root = BuildRoot();
        var parse = root.Parse(args);
        // A command line that does not parse is a user error like any other: one line, exit code 2, no help dump
        // (--help and --version parse without errors and still print their text).
        if (CommandLineProblems.Find(parse) is { } problem)
        {
            await Console.Error.WriteLineAsync($"{DateTime.Now:HH:mm:ss} ERR {problem}");
            return ExitUserError;
        }
        try
        {
            // Every command's action catches its own errors (Run); what is left is help or version text that cannot be
            // written, reported below instead of by System.CommandLine's handler with a stack trace.
            return await parse.InvokeAsync(new InvocationConfiguration { EnableDefaultExceptionHandler = false });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // --help or --version with a closed or full standard output: nothing to report it on but stderr.
            ToStandardError($"cannot write to the standard output: {SrTrainException.FirstLine(e)}");
            return ExitUserError;
        }
    }

    /// <summary>Writes a command's result (a table, a schema) to the standard output; a closed or full output is the
    /// environment's fault, reported as such (and on stderr, since stdout cannot carry it).</summary>
    public static void WriteOutput(string text)
    {
        try
        {
            Console.Out.Write(text);
            Console.Out.Flush();
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            var message = $"cannot write to the standard output (closed, or a full disk?): {SrTrainException.FirstLine(e)}";
            ToStandardError(message);
            throw new SrTrainException(message);
        }
    }

    static void ToStandardError(string line)
    {
        try { Console.Error.WriteLine($"{DateTime.Now:HH:mm:ss} ERR {line}"); }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException) { }
    }

    /// <summary>Runs a command body with logging set up, mapping exceptions to exit codes: a
    /// <see cref="SrTrainException"/> is the user's to fix and prints as one line, anything else is a bug and keeps its
    /// stack trace in the log file.</summary>
    public static int Run(ParseResult parse, Func<CommandContext, int> body)
    {
        var level = parse.GetValue(SharedOptions.LogLevel) switch
        {
            "verbose" => LogEventLevel.Verbose,
            "debug" => LogEventLevel.Debug,
            "warning" => LogEventLevel.Warning,
            "error" => LogEventLevel.Error,
            _ => LogEventLevel.Information,
        };
        // Data parallel (mpirun, srun): rank 0 alone logs; the other ranks print only their errors, marked with the rank.
        int rank = RankOrZero();
        if (rank > 0 && level < LogEventLevel.Error) level = LogEventLevel.Error;
        var fileSink = new RunLogFileSink();
        Log.Logger = new LoggerConfiguration()
            .MinimumLevel.Is(LogEventLevel.Verbose)
            .WriteTo.Console(restrictedToMinimumLevel: level,
                outputTemplate: (rank > 0 ? $"rank {rank} " : "") + "{Timestamp:HH:mm:ss} {Level:u3} {Message:lj}{NewLine}")
            .WriteTo.Sink(fileSink)
            .CreateLogger();
        try
        {
            SrTrain.Config.InputLimits.CheckEnvironment();
            var ctx = new CommandContext(parse, Log.Logger, fileSink);
            int code = body(ctx);
            // What this command took at most (srtrain bench --large-images reads it).
            if (Benchmarks.ProcessMemory.PeakResidentBytes() is long peak) Log.Debug(Benchmarks.LargeImageBench.PeakTemplate, peak / 1048576);
            ProcessGroup.FinishJob();
            return code;
        }
        catch (SrTrainException e)
        {
            Log.Error("{Message}", e.Message);
            return StopJob(ExitUserError, fileSink);
        }
        catch (OperationCanceledException)
        {
            Log.Warning("Interrupted");
            return StopJob(ExitInterrupted, fileSink);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            // A full disk, a read-only or missing folder, /dev/full as the output: the environment's, not a bug.
            Log.Error("{Message}", $"cannot read or write a file: {SrTrainException.FirstLine(e)}");
            if (e.Data[Training.TrainingLauncher.ResumeHintKey] is string hint) Log.Information("{Hint}", hint);
            return StopJob(ExitUserError, fileSink);
        }
        catch (Exception e)
        {
            Log.Fatal(e, "Internal error (a bug in SrTrain; please report it with the log file): {Message}", e.Message);
            if (e.Data[Training.TrainingLauncher.ResumeHintKey] is string hint) Log.Information("{Hint}", hint);
            return StopJob(ExitInternalError, fileSink);
        }
        finally
        {
            fileSink.Dispose();
            Log.CloseAndFlush();
        }
    }

    /// <summary>In a data-parallel job an error on one rank must stop them all (the others would wait for it in their
    /// next collective call): MPI_Abort with the exit code, after the log is flushed. One process: just the code.</summary>
    static int StopJob(int code, RunLogFileSink fileSink)
    {
        fileSink.Dispose();
        Log.CloseAndFlush();
        ProcessGroup.AbortJobIfDistributed(code);
        return code;
    }

    static int RankOrZero()
    {
        try { return RankEnvironment.Detect().Rank; }
        catch (SrTrainException) { return 0; }
    }
}
