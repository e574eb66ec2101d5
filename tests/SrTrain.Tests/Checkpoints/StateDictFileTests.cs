using SrTrain.Checkpoints;
using SrTrain.Models;
using SrTrain.Tests.Support;
using static TorchSharp.torch;

namespace SrTrain.Tests.Checkpoints;

public sealed class StateDictFileTests
{
    [Fact]
    public void NetworkFiles_AreByteForByte_WhatTorchSharpsModuleSaveWrote()
    {
        // Checkpoints written before the one Checkpoints unit used Module.save; the unit writes through StateDictFile.
        // Same bytes for a generator and for a discriminator with spectral-norm buffers, so old and new checkpoints are
        // one format and resume the same way.
        manual_seed(3);
        using var dir = new TempDir("srtrain-sd");
        foreach (var (name, net) in new (string, nn.Module)[] { ("g", new SrVggNetCompact(3, 3, 8, 2, 4)), ("d", new UNetDiscriminatorSN(3, 8)) })
        {
            net.save(dir.File(name + ".module.pt"));
            StateDictFile.Write(dir.File(name + ".unit.pt"), net.state_dict());
            Assert.Equal(File.ReadAllBytes(dir.File(name + ".module.pt")), File.ReadAllBytes(dir.File(name + ".unit.pt")));
        }
    }

    [Fact]
    public void WhatIsWritten_ReadsBackIntoAnotherNetwork_Exactly()
    {
        manual_seed(4);
        var a = new SrVggNetCompact(3, 3, 8, 2, 4);
        var b = new SrVggNetCompact(3, 3, 8, 2, 4);
        using var dir = new TempDir("srtrain-sd");
        StateDictFile.Write(dir.File("a.pt"), a.state_dict());
        StateDictFile.LoadInto(b, dir.File("a.pt"));
        foreach (var (key, t) in a.state_dict()) Assert.True(t.allclose(b.state_dict()[key], 0, 0), key);
    }
}
