using System.Runtime.InteropServices;
using Serilog;
using TorchSharp;
using static TorchSharp.torch;

namespace SrTrain.Runtime;

/// <summary>Turns --device and --threads into a torch device and libtorch's thread count, and says what it chose.</summary>
internal static class DeviceSelector
{
    public static Device Select(string device, int threads, ILogger log)
    {
        if (threads < 0) throw new SrTrainException($"--threads {threads}: must be 0 (all cores) or a positive number");
        NativeRuntime.EnsureLoaded(log);
        int n = threads > 0 ? threads : Environment.ProcessorCount;
        if (n > Environment.ProcessorCount)
        {
            // More threads than cores only adds contention: 100000 started thousands of threads and stalled the machine.
            log.Warning("--threads {Threads}: more than this machine's {Cores} cores; using {Cores}", threads, Environment.ProcessorCount,
                Environment.ProcessorCount);
            n = Environment.ProcessorCount;
        }
        torch.set_num_threads(n);
        Device chosen;
        switch (device)
        {
            case "cpu":
                chosen = CPU;
                break;
            case "cuda":
                if (!CudaAvailable())
                    throw new SrTrainException("--device cuda: CUDA is not available (this build uses the CPU libtorch unless built with " +
                                               "-p:TorchBackend=cuda-linux, cuda-windows or external with SRTRAIN_LIBTORCH pointing at a CUDA PyTorch's " +
                                               "torch/lib, and a GPU with its driver is needed); use --device cpu or auto");
                chosen = CUDA;
                break;
            case "auto":
                chosen = CudaAvailable() ? CUDA : CPU;
                break;
            default:
                throw new SrTrainException($"--device '{device}': use auto, cpu or cuda");
        }
        log.Information("Device {Device}, {Threads} CPU threads{Why}", chosen.type == DeviceType.CUDA ? "cuda" : "cpu", n,
            threads > 0 ? "" : " (all cores)");
        NativeRuntime.DescribeLibTorch(log);
        // Checked on every device, the CPU too (the setting lives in libtorch_cpu), so a build whose mangled names do not
        // match its libtorch shows up in a CPU run's debug log rather than as a silently slower GPU run.
        if (CudnnSettings.CheckControl(out var why))
            log.Debug("cuDNN autotuner control: found (setBenchmarkCuDNN reads back, previous value restored)");
        else
            log.Debug("cuDNN autotuner control: not found ({Reason})", why);
        if (chosen.type == DeviceType.CUDA && !CudnnSettings.TrySetBenchmark(true))
            log.Warning("Could not turn on cuDNN's autotuner (libtorch's setBenchmarkCuDNN not found): convolutions use the default algorithms");
        return chosen;
    }

    static bool CudaAvailable()
    {
        // A CPU build, or a CUDA build on a machine without the driver: libtorch's CUDA library is absent or fails to load.
        try { return torch.cuda.is_available(); }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or ExternalException or TypeInitializationException) { return false; }
    }
}
