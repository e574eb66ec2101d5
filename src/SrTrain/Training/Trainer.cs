using System.Diagnostics;
using Serilog;
using SrTrain.Checkpoints;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Distributed;
using SrTrain.Runs;
using static TorchSharp.torch;

namespace SrTrain.Training;

/// <summary>The training loop, top to bottom: schedule → data → generator and discriminator step → EMA → log →
/// maybe validate → maybe checkpoint → stop check. Everything it needs is built by <see cref="TrainingSetup"/>.</summary>
internal sealed class Trainer
{
    readonly SrTrainConfig _c;
    readonly TrainingParts _p;
    readonly RunFolder _run;
    readonly ILogger _log;
    readonly CheckpointStore _checkpoints;
    readonly MetricsLog? _metrics;
    readonly ProcessGroup _ranks;
    readonly LrSchedule _lrG, _lrD;
    int _nonfiniteInARow;
    long _nonfiniteTotal;
    bool _baselineWritten;
    readonly Dictionary<string, double> _lossSums = new();
    // Per loss: a term active on only some steps of the window (no generator loss yet, a skipped D) is averaged over
    // the steps that computed it.
    readonly Dictionary<string, long> _lossCounts = new();

    /// <param name="metrics">Written by rank 0 only; null on the other ranks.</param>
    /// <param name="ranks">Data parallel: rank 0 alone logs, validates and writes; every rank stops at the same step.</param>
    public Trainer(SrTrainConfig config, TrainingParts parts, RunFolder run, MetricsLog? metrics, ILogger log, ProcessGroup? ranks = null)
    {
        _ranks = ranks ?? ProcessGroup.Single;
        _c = config;
        _p = parts;
        _run = run;
        _log = log;
        _metrics = metrics;
        _checkpoints = new CheckpointStore(run.CheckpointsDir, log);
        _lrG = new LrSchedule(config.Train.Scheduler, config.Train.OptimG.Lr, config.Train.TotalSteps);
        _lrD = new LrSchedule(config.Train.Scheduler, config.Train.OptimD.Lr, config.Train.TotalSteps);
    }

    public CheckpointStore Checkpoints => _checkpoints;

    /// <summary>Trains from <paramref name="startStep"/> (updates already done) to train.total_steps. On cancellation
    /// (Ctrl+C) it saves a checkpoint at the current step and returns that step.</summary>
    public long Run(long startStep, CancellationToken cancel)
    {
        long total = _c.Train.TotalSteps;
        var phases = PhaseStarts();
        var probe = _ranks.IsRoot ? ProbeCosts(phases.Keys, startStep) : null;
        var progress = new ProgressMeter(startStep, total, phases, probeSeconds: probe);
        progress.Seed(RateHistory(startStep));
        var data = _p.Data;
        data.Start(startStep);
        _log.Information("Training {Run} from step {Start} to {Total}", _run.Name, startStep, total);
        CheckRanksAgree(startStep);
        long firstLoss = _p.Step.FirstGeneratorLossStep;
        if (startStep < firstLoss)
            _log.Warning("No loss is active before step {First} (losses.*.weight and start_step): steps {From}–{To} update no weight",
                firstLoss, startStep, Math.Min(firstLoss, total) - 1);
        for (long step = startStep; step < total; step++)
        {
            // A signal to any rank stops every rank at the same step (one process: just this one).
            if (_ranks.AnyRank(cancel.IsCancellationRequested))
            {
                _log.Warning("Interrupted at step {Step}: saving a checkpoint before exiting (press Ctrl+C again to exit at once)", step);
                SaveCheckpoint(step);
                return step;
            }

            SetLearningRates(step);
            using var batch = data.Next(step);
            var losses = _p.Step.Run(step, batch);
            if (losses is null)
            {
                HandleNonFinite(step);
                continue;
            }
            _nonfiniteInARow = 0;
            _p.Ema.Update();
            foreach (var (k, v) in losses)
            {
                _lossSums[k] = _lossSums.GetValueOrDefault(k) + v;
                _lossCounts[k] = _lossCounts.GetValueOrDefault(k) + 1;
            }

            long done = step + 1;
            progress.Tick(done);
            if (done % _c.Logger.PrintFreq == 0 || done == total)
                LogProgress(done, progress);
            if (done % _c.Distributed.CheckEvery == 0 || done == total)
                CheckRanksAgree(done);
            if ((_c.Val.ValFreq > 0 && done % _c.Val.ValFreq == 0) || done == total)
                Validate(done, batch);
            if (done % _c.Checkpoint.SaveFreq == 0 || done == total)
                SaveCheckpoint(done);
        }
        return total;
    }

    /// <summary>Steps at which a step's cost changes (the discriminator, VGG or the second pass join), named for the
    /// ETA, which estimates a phase that has not run yet from a start-up probe.</summary>
    Dictionary<long, string> PhaseStarts()
    {
        var l = _c.Losses;
        var starts = new Dictionary<long, string>();
        void Add(double weight, long start, string name)
        {
            if (weight > 0 && start > 0) starts[start] = starts.TryGetValue(start, out var other) ? other + "+" + name : name;
        }
        Add(l.Gan.Weight, l.Gan.StartStep, "GAN");
        Add(Math.Max(l.Perceptual.Weight, l.Perceptual.StyleWeight), l.Perceptual.StartStep, "perceptual");
        Add(l.Translational.Weight, l.Translational.StartStep, "translational");
        return starts;
    }

    /// <summary>The start-up probe of each phase's cost (<see cref="StepCostProbe"/>), when a phase is still to come.</summary>
    IReadOnlyDictionary<long, double>? ProbeCosts(IEnumerable<long> phaseStarts, long startStep)
    {
        if (!phaseStarts.Any(s => s > startStep)) return null;
        var probe = StepCostProbe.Measure(_c, _p, phaseStarts, _ranks.Size);
        _log.Information("ETA probe (networks' passes per step, timed once): {Phases:l}",
            string.Join(", ", probe.OrderBy(kv => kv.Key).Select(kv => $"{(kv.Key < 0 ? "from the start" : $"from step {kv.Key}")} {kv.Value:F3} s")));
        return probe;
    }

    /// <summary>Steps per second this run (or, for a branch, its parent) logged before: after a resume the ETA knows
    /// what each phase that ran before costs (steps after the resume step count too: their cost was real).</summary>
    IEnumerable<(long Step, double ItersPerSecond)> RateHistory(long startStep)
    {
        if (startStep == 0) return [];
        var dirs = new List<string> { _run.Dir };
        if (_run.ReadLineage()?.ParentRun is { } parent) dirs.Add(parent);
        return dirs.Where(Directory.Exists).SelectMany(MetricsLog.Read)
            .Where(r => r.Kind == "train" && r.Values.ContainsKey("it_per_s"))
            .Select(r => (r.Step, r.Values["it_per_s"]))
            .ToList();
    }

    void SetLearningRates(long step)
    {
        _p.OptG.LearningRate = _lrG.At(step);
        if (_p.OptD != null) _p.OptD.LearningRate = _lrD.At(step);
    }

    void HandleNonFinite(long step)
    {
        _nonfiniteInARow++;
        _nonfiniteTotal++;
        _log.Warning("Step {Step}: the loss or its gradient is not finite; the step is skipped ({InARow} in a row, {Total} in all)",
            step, _nonfiniteInARow, _nonfiniteTotal);
        if (_nonfiniteInARow >= _c.Train.MaxNonfiniteInARow)
            throw new SrTrainException(
                $"stopped: {_nonfiniteInARow} non-finite losses in a row at step {step} (train.max_nonfinite_in_a_row). " +
                "Lower the learning rate or the GAN weight, or resume from an earlier checkpoint; the checkpoints already written are intact.");
    }

    /// <summary>Logs the mean of each loss over the steps since the last log line (single-step values of a GAN are
    /// too noisy to read a trend from).</summary>
    void LogProgress(long done, ProgressMeter progress)
    {
        var losses = MeanOverRanks();
        _lossSums.Clear();
        _lossCounts.Clear();
        if (!_ranks.IsRoot) return;
        var values = new Dictionary<string, double>(losses)
        {
            ["lr_g"] = _lrG.At(done - 1),
            ["it_per_s"] = progress.RateSinceLastReport(done),
        };
        if (_p.OptD != null) values["lr_d"] = _lrD.At(done - 1);
        _metrics!.Write("train", done, values);
        var lossText = string.Join(" ", losses.Where(kv => kv.Key.StartsWith("l_")).Select(kv => $"{kv.Key} {Evaluation.MetricFormat.Small(kv.Value)}"));
        _log.Information("Step {Step}/{Total} | {ItPerS:F2} it/s | ETA {Eta} | lr {Lr:E2} | {Losses}",
            done, _c.Train.TotalSteps, values["it_per_s"], progress.Eta(done), _lrG.At(done - 1), lossText);
    }

    /// <summary>The loss means over the steps since the last log line and over all ranks (each rank saw its share of
    /// the batch). The keys are the same on every rank: which terms are active depends on the step only.</summary>
    Dictionary<string, double> MeanOverRanks()
    {
        var keys = _lossSums.Keys.Order(StringComparer.Ordinal).ToArray();
        var sums = keys.Select(k => _lossSums[k]).Concat(keys.Select(k => (double)_lossCounts[k])).ToArray();
        _ranks.SumInPlace(sums);
        return keys.Select((k, i) => (k, sums[i] / Math.Max(1, sums[keys.Length + i]))).ToDictionary(x => x.k, x => x.Item2);
    }

    /// <summary>Data parallel: every rank applies the same averaged gradients, so the weights must stay bit-identical.
    /// A difference (a non-shared run folder, a faulty node, a bug) stops the job rather than training on silently.</summary>
    void CheckRanksAgree(long step)
    {
        if (!_ranks.IsDistributed) return;
        var nets = new List<(string Name, nn.Module Net)> { ("generator", _p.G) };
        if (_p.D != null) nets.Add(("discriminator", _p.D));
        var values = new double[2 * nets.Count];
        for (int i = 0; i < nets.Count; i++)
        {
            double s = WeightChecksum.Of(nets[i].Net);
            values[2 * i] = s;
            values[2 * i + 1] = -s;
        }
        _ranks.MaxInPlace(values);
        for (int i = 0; i < nets.Count; i++)
            if (values[2 * i] != -values[2 * i + 1])
                throw new SrTrainException($"step {step}: the ranks' {nets[i].Name} weights differ (checksums from {-values[2 * i + 1]:R} to {values[2 * i]:R}); " +
                                           "the ranks diverged. Every rank must read the same run folder (a shared file system) and the same data; resume from the last checkpoint");
    }

    /// <param name="batch">The batch just trained on: with Real-ESRGAN's degradation a few of its LQ inputs go to
    /// TensorBoard beside the validation images.</param>
    void Validate(long step, TrainingBatch batch)
    {
        // The other ranks wait (asleep); an error on rank 0 aborts the whole job from the command line.
        if (_ranks.IsRoot) ValidateOnRoot(step, batch);
        _ranks.Barrier($"validation at step {step}");
    }

    /// <summary>LQ inputs of the current batch shown in TensorBoard at each validation (Real-ESRGAN degradation only).</summary>
    const int TrainingInputsShown = 4;

    void ValidateOnRoot(long step, TrainingBatch batch)
    {
        if (_p.Validator is null) return;
        if (_c.Datasets.Train.Realesrgan.Enabled) _metrics!.WriteTrainingInputs(step, batch.Lq, TrainingInputsShown);
        var sw = Stopwatch.StartNew();
        if (!_baselineWritten)
        {
            _metrics!.Write("val_bicubic", step, _p.Validator.Baseline);
            _log.Information("Bicubic baseline: {Metrics}", Evaluation.MetricFormat.Line(_p.Validator.Baseline));
            _baselineWritten = true;
        }
        var imagesDir = _run.ValImagesAt(step);
        var result = _p.Validator.Run(_p.Ema.Model, imagesDir);
        _metrics!.Write("val", step, result);
        _metrics!.WriteImages(step, imagesDir);
        _log.Information("Validation at step {Step} ({Seconds:F1} s): {Metrics}", step, sw.Elapsed.TotalSeconds,
            Evaluation.MetricFormat.Line(result));
    }

    /// <summary>Writes everything needed to continue exactly (weights, EMA, discriminator, optimizer states, step,
    /// counters, config) plus the EMA generator as a BasicSR `.pth` for PyTorch tools and `upscale`.</summary>
    public void SaveCheckpoint(long step)
    {
        if (_ranks.IsRoot) SaveCheckpointOnRoot(step);
        _ranks.Barrier($"checkpoint at step {step}");
    }

    void SaveCheckpointOnRoot(long step)
    {
        _checkpoints.Save(step, tmp => TrainingCheckpoint.Write(tmp, _p.Checkpointed, new TrainingState(step, _nonfiniteInARow, _nonfiniteTotal), _c));
        // keep_last counts the checkpoints saved on schedule (and the final one): one that Ctrl+C saved between them
        // is kept while it is the latest, and never pushes out a scheduled one. The store logs what it deletes.
        _checkpoints.ApplyRetention(_c.Checkpoint.KeepLast, _c.Checkpoint.KeepEvery, protect: step,
            counts: s => s % _c.Checkpoint.SaveFreq == 0 || s == _c.Train.TotalSteps);
    }

    public void Restore(string checkpointDir)
    {
        var state = TrainingCheckpoint.Read(checkpointDir, _p.Checkpointed);
        _nonfiniteInARow = state.NonfiniteInARow;
        _nonfiniteTotal = state.NonfiniteTotal;
    }
}
