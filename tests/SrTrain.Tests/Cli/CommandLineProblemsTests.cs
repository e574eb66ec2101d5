using SrTrain.Cli;

namespace SrTrain.Tests.Cli;

/// <summary>What `srtrain` says about a command line it cannot take, in process (the end-to-end checks in
/// CliNoSurprisesTests keep a few cases to show the exit code and that nothing runs).</summary>
public sealed class CommandLineProblemsTests
{
    [Theory]
    [InlineData("unknown option '--overwite'", "upscale", "photos", "--overwite")]
    [InlineData("unknown option '--outptu'", "report", "runs/a", "--outptu", "x")]
    [InlineData("unknown option '--nmae'", "train", "--config", "x.yaml", "--nmae", "x")]
    [InlineData("unknown option '--modle'", "eval", "--data", "d", "--modle", "m")]
    [InlineData("unknown option '--modle'", "eval", "--data", "d", "--model", "a", "--modle", "b")]
    [InlineData("--tile: 'abc' is not a whole number", "upscale", "a.png", "--tile", "abc")]
    [InlineData("did you mean 'train'?", "trian")]
    [InlineData("--threads -1: must be 0 (all cores) or a positive number", "upscale", "a.png", "--threads", "-1")]
    [InlineData("--device", "upscale", "a.png", "--device", "gpu")]
    [InlineData("--log-level", "upscale", "a.png", "--log-level", "loud")]
    public void AProblem_IsNamedInOneLine_WithWhereToLook(string expected, params string[] args)
    {
        var problem = CommandLineProblems.Find(CliApp.BuildRoot().Parse(args));
        Assert.NotNull(problem);
        Assert.Contains(expected, problem);
        Assert.DoesNotContain('\n', problem);
        Assert.Contains("--help`", problem);
        if (expected.StartsWith("unknown option", StringComparison.Ordinal)) Assert.Contains("did you mean", problem);
    }

    [Theory]
    [InlineData("upscale", "a.png", "--tile", "64", "--threads", "2")]
    [InlineData("train", "--config", "x.yaml", "--set", "train.total_steps=10", "--log-level", "debug")]
    [InlineData("eval", "--data", "d", "--model", "a", "b")]
    [InlineData("upscale", "--", "-x.png")]
    public void AGoodCommandLine_HasNoProblem(params string[] args) =>
        Assert.Null(CommandLineProblems.Find(CliApp.BuildRoot().Parse(args)));

    [Fact]
    public void BuildingTheCommandTreeTwice_ChecksValuesOnce()
    {
        // The shared options carry their checks from where they are made; building the tree again adds none.
        CliApp.BuildRoot();
        var problem = CommandLineProblems.Find(CliApp.BuildRoot().Parse(["upscale", "a.png", "--threads", "-1"]));
        Assert.Single(SharedOptions.Threads.Validators);
        Assert.NotNull(problem);
    }
}
