using System.Reflection;
using SrTrain.Config;

namespace SrTrain.Tests.Config;

/// <summary>`resume` branches when the loss settings changed, by comparing the LossesConfig records: equal settings must
/// compare equal (the layer weights are a Dictionary, compared by content), and a change of any single setting must not.</summary>
public sealed class LossesEqualityTests
{
    [Fact]
    public void EqualSettings_AreEqual_EvenInOtherDictionaries()
    {
        var a = new LossesConfig();
        var b = new LossesConfig { Perceptual = new PerceptualLossConfig { LayerWeights = new(PerceptualLossConfig.DefaultLayerWeights) } };
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
    }

    [Fact]
    public void ChangingAnySingleSetting_MakesThemDiffer()
    {
        // Every property of every loss record, changed alone: a field added later without a comparison fails here.
        foreach (var lossProperty in typeof(LossesConfig).GetProperties())
        {
            var record = lossProperty.GetValue(new LossesConfig())!;
            foreach (var p in record.GetType().GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite))
            {
                var changed = Clone(record);
                p.SetValue(changed, Changed(p.GetValue(record)));
                var losses = new LossesConfig();
                lossProperty.SetValue(losses, changed);
                Assert.True(!losses.Equals(new LossesConfig()), $"losses.{lossProperty.Name}.{p.Name} changed, yet the settings compare equal");
            }
        }
    }

    static object Clone(object record) =>
        record.GetType().GetMethod("<Clone>$")!.Invoke(record, null)!;

    static object Changed(object? value) => value switch
    {
        double d => d + 0.5,
        long l => l + 1,
        int i => i + 1,
        bool b => !b,
        string s => s + "x",
        Enum e => Enum.GetValues(e.GetType()).Cast<object>().First(v => !v.Equals(e)),
        Dictionary<string, double> w => new Dictionary<string, double>(w) { ["relu1_2"] = 0.75 },
        _ => throw new InvalidOperationException($"no change defined for {value?.GetType()}"),
    };
}
