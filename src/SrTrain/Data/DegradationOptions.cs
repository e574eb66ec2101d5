namespace SrTrain.Data;

/// <summary>Optional LQ degradations, applied in Real-ESRGAN's order after the downscale: Gaussian noise, then JPEG.</summary>
internal sealed record DegradationOptions
{
    /// <summary>Probability of adding Gaussian noise to a sample (0 = never).</summary>
    public double NoiseProbability { get; init; }

    /// <summary>Noise sigma range in 8-bit units (sigma 10 = 10/255 on [0,1]), drawn uniformly per sample.</summary>
    public double NoiseSigmaMin { get; init; } = DataPipelineOptions.ConfigDefaults.Datasets.Train.NoiseRange[0];
    public double NoiseSigmaMax { get; init; } = DataPipelineOptions.ConfigDefaults.Datasets.Train.NoiseRange[1];

    /// <summary>Probability of JPEG re-compression of a sample (0 = never).</summary>
    public double JpegProbability { get; init; }

    /// <summary>JPEG quality range (1–100), drawn uniformly per sample.</summary>
    public int JpegQualityMin { get; init; } = DataPipelineOptions.ConfigDefaults.Datasets.Train.JpegRange[0];
    public int JpegQualityMax { get; init; } = DataPipelineOptions.ConfigDefaults.Datasets.Train.JpegRange[1];

    /// <summary>What is added to LQ, for the start-up log: "" or ", then Gaussian noise σ 1–10 (p 0.5), then JPEG
    /// quality 50–95 (p 0.3)".</summary>
    public string Describe()
    {
        var ci = System.Globalization.CultureInfo.InvariantCulture;
        var text = "";
        if (NoiseProbability > 0)
            text += string.Format(ci, ", then Gaussian noise σ {0:0.##}–{1:0.##} (p {2:0.##})", NoiseSigmaMin, NoiseSigmaMax, NoiseProbability);
        if (JpegProbability > 0)
            text += string.Format(ci, ", then JPEG quality {0}–{1} (p {2:0.##})", JpegQualityMin, JpegQualityMax, JpegProbability);
        return text;
    }

    internal void Validate()
    {
        if (NoiseProbability is < 0 or > 1) throw new SrTrainException($"noise probability {NoiseProbability}: must be in [0,1]");
        if (JpegProbability is < 0 or > 1) throw new SrTrainException($"jpeg probability {JpegProbability}: must be in [0,1]");
        if (NoiseSigmaMin < 0 || NoiseSigmaMax < NoiseSigmaMin) throw new SrTrainException($"noise sigma range [{NoiseSigmaMin}, {NoiseSigmaMax}]: need 0 <= min <= max");
        if (JpegQualityMin < 1 || JpegQualityMax > 100 || JpegQualityMax < JpegQualityMin)
            throw new SrTrainException($"jpeg quality range [{JpegQualityMin}, {JpegQualityMax}]: need 1 <= min <= max <= 100");
    }
}
