using SrTrain.Config;

namespace SrTrain.Translational;

/// <summary>When the translational term is on. The data pipeline (which cuts a second corner only then) and the GAN
/// step (which runs the second pass only then) both ask this one rule, so they cannot disagree about a step.</summary>
/// <param name="Views">Which two views the data pipeline cuts (see <see cref="TranslationalViews"/>).</param>
internal sealed record TranslationalSchedule(double Weight, long StartStep, int Shift, bool DetachSecond,
    TranslationalViews Views = TranslationalViews.Corners)
{
    public static TranslationalSchedule From(LossesConfig losses)
    {
        var t = losses.Translational;
        return new TranslationalSchedule(t.Weight, t.StartStep, t.Shift, t.DetachSecond, t.Views);
    }

    /// <summary>The term is on at some step (weight above 0): the data pipeline must be able to cut corners.</summary>
    public bool Enabled => Weight > 0;

    /// <summary>The term is on at update <paramref name="step"/>: the batch carries a second view and the generator runs
    /// twice as many images. Before it (or at weight 0) it costs nothing.</summary>
    public bool IsActive(long step) => Weight > 0 && step >= StartStep;
}
