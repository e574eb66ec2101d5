using System.Text.Json;
using SrTrain.Degradation;

namespace SrTrain.Tests.Degradation;

/// <summary>The training-pair pool is simulated by identity: which (step, sample) each step trains on.</summary>
public class TrainingPairPoolTests
{
    static string Fixture(string name) => Path.Combine(AppContext.BaseDirectory, "TestData", "Degradation", name);

    /// <summary>BasicSR's own _dequeue_and_enqueue, run by scripts/reference/make_pool_reference.py on tensors that hold
    /// their (step, index), with torch.randperm's permutations recorded: fed the same permutations, the simulation
    /// trains on the same pairs at every step, the fill phase included.</summary>
    [Fact]
    public void WithBasicSrsPermutations_TheBatchesAreBasicSrs()
    {
        using var doc = JsonDocument.Parse(File.ReadAllText(Fixture("pool_reference.json")));
        var root = doc.RootElement;
        int queue = root.GetProperty("queue_size").GetInt32(), batch = root.GetProperty("batch_size").GetInt32();
        var steps = root.GetProperty("steps").EnumerateArray().ToArray();
        var perms = steps.Where(s => s.GetProperty("perm").ValueKind == JsonValueKind.Array)
            .ToDictionary(s => s.GetProperty("step").GetInt64(), s => s.GetProperty("perm").EnumerateArray().Select(e => e.GetInt32()).ToArray());
        var pool = new TrainingPairPool(0, queue, batch, step => perms[step]);
        Assert.Equal(queue / batch, pool.FillSteps);
        foreach (var s in steps)
        {
            var expected = s.GetProperty("batch").EnumerateArray().Select(e => new PairOrigin(e[0].GetInt64(), e[1].GetInt32())).ToArray();
            Assert.Equal(expected, pool.Batch(s.GetProperty("step").GetInt64()));
        }
        // The fixture must exercise the shuffle, not just the fill.
        Assert.Contains(steps, s => s.GetProperty("batch")[0][0].GetInt64() != s.GetProperty("step").GetInt64());
    }

    [Fact]
    public void EveryPairIsDequeuedOnce_AfterItEntered_AndThePoolHoldsTheRest()
    {
        const int queue = 24, batch = 4, steps = 300;
        var pool = new TrainingPairPool(5, queue, batch);
        var seen = new HashSet<PairOrigin>();
        for (long step = 0; step < steps; step++)
        {
            var b = pool.Batch(step);
            Assert.Equal(batch, b.Count);
            // While the pool fills, a step trains on its own batch (and enqueues it: as in BasicSR, those pairs are
            // trained on again when they are dequeued).
            if (step < queue / batch) { Assert.Equal(Enumerable.Range(0, batch).Select(i => new PairOrigin(step, i)), b); continue; }
            foreach (var o in b)
            {
                Assert.True(o.Step < step && o.Index is >= 0 and < batch, $"{o} at step {step}");
                Assert.True(seen.Add(o), $"{o} dequeued twice");
            }
        }
        // Everything enqueued is either dequeued or still in the pool (queue_size pairs).
        Assert.Equal(steps * batch - queue, seen.Count);
    }

    [Fact]
    public void TheBatchOfAStep_DoesNotDependOnWhatWasAskedBefore()
    {
        var sequential = new TrainingPairPool(3, 36, 6);
        var expected = Enumerable.Range(0, 3000).Select(s => sequential.Batch(s).ToArray()).ToArray();
        var other = new TrainingPairPool(3, 36, 6);
        // Out of order, as workers ask; far ahead (a resume); then back beyond the cached history (a restart).
        foreach (long step in new long[] { 7, 6, 9, 8, 2999, 2998, 100, 2500, 5, 1500, 1499 })
            Assert.Equal(expected[step], other.Batch(step));
        // Another seed shuffles differently.
        Assert.NotEqual(expected[100], new TrainingPairPool(4, 36, 6).Batch(100));
    }

    [Fact]
    public void ConcurrentCallers_GetTheSameBatches()
    {
        var expected = Enumerable.Range(0, 400).Select(s => new TrainingPairPool(1, 16, 4).Batch(s).ToArray()).ToArray();
        var pool = new TrainingPairPool(1, 16, 4);
        var got = new PairOrigin[400][];
        Parallel.For(0, 400, new ParallelOptions { MaxDegreeOfParallelism = 4 }, s => got[s] = pool.Batch(s).ToArray());
        Assert.Equal(expected, got);
    }

    [Theory]
    [InlineData(10, 4)]
    [InlineData(2, 4)]
    public void AQueueThatIsNotAMultipleOfTheBatch_IsACallersError(int queue, int batch)
    {
        // Users meet the config's rule at load (RealEsrganValidationTests); the pool only guards its callers.
        Assert.Throws<ArgumentException>(() => new TrainingPairPool(0, queue, batch));
    }

    [Fact]
    public void RandPerm_IsAPermutation_AndUniformEnough()
    {
        var counts = new int[5, 5];
        for (int t = 0; t < 5000; t++)
        {
            var p = TrainingPairPool.RandPerm(SrTrain.Runtime.SampleRandom.For(9, t, -3), 5);
            Assert.Equal(Enumerable.Range(0, 5), p.Order());
            for (int i = 0; i < 5; i++) counts[i, p[i]]++;
        }
        foreach (var c in counts) Assert.InRange(c, 850, 1150);  // 1000 expected, ±4.7σ
    }
}
