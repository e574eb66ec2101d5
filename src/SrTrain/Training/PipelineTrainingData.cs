using Serilog;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Translational;

namespace SrTrain.Training;

/// <summary>Feeds the trainer from the data pipeline. gt_size is always the patch the losses and the discriminator
/// see; while the translational term is active (<see cref="TranslationalSchedule"/>) the pipeline instead cuts full
/// patches of gt_size + scale·shift and hands out two of their gt_size corners (the original example is gt_size 224,
/// shift 8, x4: full patch 256, corners 224). So the main pass keeps its size when a run is branched with the term on,
/// and a VGG-style discriminator keeps its input size. Before the term's start step (or at weight 0) no corner is cut
/// and no second crop is made.</summary>
internal sealed class PipelineTrainingData : ITrainingData
{
    readonly DataPipeline _plain;
    readonly Lazy<DataPipeline>? _corners;
    readonly TranslationalSchedule _translational;
    TrainingDataStream? _plainStream;
    TrainingDataStream? _cornerStream;
    long _start;

    /// <param name="shard">This process's part of each global batch (data-parallel training).</param>
    /// <param name="translational">When the term is on: the schedule the training step asks too (by default the one
    /// <paramref name="c"/>'s losses define).</param>
    public PipelineTrainingData(SrTrainConfig c, ILogger log, BatchShard? shard = null, TranslationalSchedule? translational = null)
    {
        var d = c.Datasets.Train;
        var options = DataPipelineOptions.From(c, shard);
        var t = _translational = translational ?? TranslationalSchedule.From(c.Losses);
        // The plain pipeline is needed only for steps before the term starts; building it scans the folder headers.
        _plain = new DataPipeline(options, log);
        if (t.Enabled)
            _corners = new Lazy<DataPipeline>(() =>
            {
                var corners = new DataPipeline(options with { TranslationalShift = t.Shift, TranslationalViews = t.Views }, log);
                // The corner patches are larger than gt_size, so images between the two sizes leave the training set.
                if (corners.ImageCount < _plain.ImageCount)
                    log.Warning("The translational term needs patches of {Size} px (gt_size {Gt} + scale·shift): {Dropped} of {Total} training " +
                                "image(s) are smaller and are no longer used from step {Step} (set datasets.train.pad_small to pad them instead)",
                        corners.Options.FullPatchSize, d.GtSize, _plain.ImageCount - corners.ImageCount,
                        _plain.ImageCount, t.StartStep);
                return corners;
            });
    }

    /// <summary>The pipeline that makes step <paramref name="step"/>'s batch in training (with the translational
    /// term's full patches when it is active at that step), for tools such as <c>srtrain degrade</c>.</summary>
    public static DataPipeline PipelineAt(SrTrainConfig c, long step, ILogger log)
    {
        var options = DataPipelineOptions.From(c);
        var t = TranslationalSchedule.From(c.Losses);
        return new DataPipeline(t.IsActive(step) ? options with { TranslationalShift = t.Shift, TranslationalViews = t.Views } : options, log);
    }

    public void Start(long step)
    {
        _start = step;
        if (!_translational.IsActive(step)) _plainStream = _plain.Stream(step);
    }

    public TrainingBatch Next(long step)
    {
        if (!_translational.IsActive(step))
            return (_plainStream ??= _plain.Stream(step)).Next();
        if (_plainStream != null)
        {
            // The plain workers may have run ahead past the switch; their batches are simply not needed.
            _plainStream.Dispose();
            _plainStream = null;
        }
        _cornerStream ??= _corners!.Value.Stream(Math.Max(step, _start));
        return _cornerStream.Next();
    }

    public void Dispose()
    {
        _plainStream?.Dispose();
        _cornerStream?.Dispose();
    }
}
