using YamlDotNet.RepresentationModel;

namespace SrTrain.Config;

/// <summary>What reading a BasicSR / traiNNer-redux option file found: the tree in SrTrain's names, the BasicSR names
/// it read as SrTrain's (for one log line), keys that have no effect here (ignored, each with why), and keys whose
/// value SrTrain cannot honour (each with why and what to do).</summary>
internal sealed record BasicSrTranslation(YamlMappingNode Tree, IReadOnlyList<string> Renamed, IReadOnlyList<string> Ignored,
    IReadOnlyList<string> Unsupported);
