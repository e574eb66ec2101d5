using static TorchSharp.torch;

namespace SrTrain.Translational;

/// <summary>What a batch carries while the translational term is active: the LQ of a second view of each full patch
/// (B,3,h,w) and where the two views share a region. With corner views (the default) one corner pair serves the whole
/// batch: the crop of the main pass (the batch's Lq/Hq) and the crop of the second corner. With free or sub-pixel
/// views each sample has its own offsets, so each sample has its own pair of regions. Only the second LQ is needed: the
/// term compares two generator outputs, not HQ pixels.</summary>
internal sealed record SecondView
{
    readonly CornerCrop? _mainCrop, _crop;

    /// <summary>Corner views: one corner pair for the whole batch.</summary>
    public SecondView(Tensor lq, CornerCrop mainCrop, CornerCrop crop)
    {
        Lq = lq;
        _mainCrop = mainCrop;
        _crop = crop;
    }

    /// <summary>Free or sub-pixel views: sample i's shared region is <paramref name="mainRegions"/>[i] in its main
    /// output and <paramref name="regions"/>[i] in its second output; all have the same size.</summary>
    public SecondView(Tensor lq, IReadOnlyList<Region> mainRegions, IReadOnlyList<Region> regions)
    {
        if (mainRegions.Count != regions.Count || mainRegions.Count != lq.shape[0])
            throw new ArgumentException($"{mainRegions.Count} and {regions.Count} regions for a batch of {lq.shape[0]}");
        Lq = lq;
        SampleMainRegions = mainRegions;
        SampleRegions = regions;
    }

    public Tensor Lq { get; init; }

    /// <summary>True when each sample has its own regions (free or sub-pixel views).</summary>
    public bool PerSample => SampleRegions != null;

    /// <summary>Per-sample views: each sample's shared region in its main output; null for corner views.</summary>
    public IReadOnlyList<Region>? SampleMainRegions { get; }

    /// <summary>Per-sample views: each sample's shared region in its second output; null for corner views.</summary>
    public IReadOnlyList<Region>? SampleRegions { get; }

    /// <summary>Corner views: the main pass's corner crop.</summary>
    public CornerCrop MainCrop => _mainCrop ?? throw new InvalidOperationException("per-sample views have no corner crop");

    /// <summary>Corner views: the second pass's corner crop.</summary>
    public CornerCrop Crop => _crop ?? throw new InvalidOperationException("per-sample views have no corner crop");

    /// <summary>Corner views: the region all corners share, in the main output's own HQ coordinates.</summary>
    public Region MainRegion => MainCrop.Shared;

    /// <summary>Corner views: the same region in the second output's own HQ coordinates.</summary>
    public Region Region => Crop.Shared;
}
