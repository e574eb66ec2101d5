using System.Runtime.InteropServices;
using System.Security.Cryptography;
using System.Text;
using Serilog.Core;
using SrTrain.Config;
using SrTrain.Data;
using SrTrain.Tests.Support;
using SrTrain.Training;
using TorchSharp;
using static SrTrain.Tests.Data.DataTestUtil;

namespace SrTrain.Tests.Translational;

/// <summary>Pins the training data of a translational config, steps 0..20 across the term's start, to hashes recorded
/// before the term's pieces were gathered into one folder (issue 16): the data of step N is a function of (seed, N),
/// and no refactoring may change a random draw or its order.</summary>
public class TranslationalDataPinTests
{
    public TranslationalDataPinTests() => EnsureTorch();

    const string Expected = "911BD6664D89ED12:AC433841,D64996E1,479B98DB,6DE7758E,8EC0BF49,C7737C3B,9946D074,E731E4E9,210B6DDF,47E1E01F,F7BA0883,23637A14,94E00903,A62547E0,7875C12A,C5DFE78D,4E930CC6,4E6C6361,B6614AEC,1F3FDF0C,D136DA27";

    [Fact]
    public void PipelineTrainingData_Steps0To20_MatchTheRecordedHashes()
    {
        using var dir = new TempDir();
        foreach (var n in new[] { "chelsea_hq.png", "camera.png", "logo.png" })
            File.Copy(TestFile(n), dir.File(n));
        var config = new SrTrainConfig
        {
            Scale = 4,
            Seed = 11,
            Datasets = new DatasetsConfig
            {
                Train = new TrainDataConfig
                {
                    DatarootGt = dir.Path,
                    GtSize = 32,
                    BatchSize = 2,
                    NumWorkers = 2,
                    PrefetchBatches = 2,
                    NoiseProb = 0.5,
                    JpegProb = 0.5,
                },
            },
            Losses = new LossesConfig { Translational = new TranslationalLossConfig { Weight = 1, StartStep = 8, Shift = 2 } },
        };
        using var data = new PipelineTrainingData(config, Logger.None);
        data.Start(0);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var perStep = new List<string>();
        for (long step = 0; step <= 20; step++)
        {
            using var scope = torch.NewDisposeScope();
            using var batch = data.Next(step);
            using var one = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
            void Add(byte[] bytes) { one.AppendData(bytes); sha.AppendData(bytes); }
            Add(BitConverter.GetBytes(batch.Step));
            Add(Bytes(batch.Lq));
            Add(Bytes(batch.Hq));
            var second = SecondViewText(batch, out var lq2);
            if (lq2 is not null) Add(Bytes(lq2));
            Add(Encoding.UTF8.GetBytes(second + string.Join(";", batch.Samples)));
            perStep.Add(Convert.ToHexString(one.GetHashAndReset())[..8]);
        }
        var all = Convert.ToHexString(sha.GetHashAndReset())[..16] + ":" + string.Join(",", perStep);
        Assert.Equal(Expected, all);
    }

    static string SecondViewText(TrainingBatch batch, out torch.Tensor? lq2)
    {
        var v = batch.SecondView;
        lq2 = v?.Lq;
        return v is null ? "none" : $"{v.MainCrop.Corner}{v.Crop.Corner}{v.MainRegion}{v.Region}";
    }

    static byte[] Bytes(torch.Tensor t) => MemoryMarshal.AsBytes(t.contiguous().data<float>().ToArray().AsSpan()).ToArray();
}
