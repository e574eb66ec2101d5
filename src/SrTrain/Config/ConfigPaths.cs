namespace SrTrain.Config;

/// <summary>The config's file and folder paths: <c>~</c> expands to the home folder, and relative paths are relative
/// to the working folder (where <c>srtrain</c> runs), as BasicSR's option files are relative to where its train.py
/// runs. <see cref="Check"/> finds every missing one before a run folder is created, naming each key.</summary>
internal static class ConfigPaths
{
    /// <summary>Expands a leading <c>~</c> in every path of the config.</summary>
    public static SrTrainConfig ExpandHome(SrTrainConfig c) => c with
    {
        RunsDir = Expand(c.RunsDir),
        Datasets = c.Datasets with
        {
            Train = c.Datasets.Train with
            {
                DatarootGt = Expand(c.Datasets.Train.DatarootGt), DatarootLq = Expand(c.Datasets.Train.DatarootLq),
                MetaInfo = Expand(c.Datasets.Train.MetaInfo),
            },
            Val = c.Datasets.Val with { DatarootGt = Expand(c.Datasets.Val.DatarootGt), DatarootLq = Expand(c.Datasets.Val.DatarootLq) },
        },
        Path = c.Path with
        {
            PretrainNetworkG = Expand(c.Path.PretrainNetworkG), PretrainNetworkD = Expand(c.Path.PretrainNetworkD),
            Vgg16 = Expand(c.Path.Vgg16), Vgg19 = Expand(c.Path.Vgg19),
        },
    };

    public static string Expand(string path)
    {
        if (path == "~" || path.StartsWith("~/", StringComparison.Ordinal))
            return System.IO.Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), path.Length > 2 ? path[2..] : "");
        return path;
    }

    /// <summary>Every folder and file the config names that does not exist, as one message naming each key; nothing
    /// when all are there. Run before anything is written, so fixing a typo and running again just works.</summary>
    public static void Check(SrTrainConfig c, string source)
    {
        var problems = new List<string>();
        void Folder(string key, string path, bool required = false)
        {
            if (string.IsNullOrWhiteSpace(path))
            {
                if (required) problems.Add($"'{key}' is empty (give the folder of training images)");
            }
            else if (!Directory.Exists(path)) problems.Add($"'{key}': folder {Describe(path)} not found");
        }
        void File(string key, string path)
        {
            if (!string.IsNullOrWhiteSpace(path) && !System.IO.File.Exists(path)) problems.Add($"'{key}': file {Describe(path)} not found");
        }
        Folder("datasets.train.dataroot_gt", c.Datasets.Train.DatarootGt, required: true);
        Folder("datasets.train.dataroot_lq", c.Datasets.Train.DatarootLq);
        Folder("datasets.val.dataroot_gt", c.Datasets.Val.DatarootGt);
        Folder("datasets.val.dataroot_lq", c.Datasets.Val.DatarootLq);
        File("datasets.train.meta_info", c.Datasets.Train.MetaInfo);
        File("path.pretrain_network_g", c.Path.PretrainNetworkG);
        File("path.pretrain_network_d", c.Path.PretrainNetworkD);
        File("path.vgg16", c.Path.Vgg16);
        File("path.vgg19", c.Path.Vgg19);
        // A run writes validation images (and checkpoints) under runs_dir: inside a training folder, the next run
        // would silently train on them.
        foreach (var (key, data) in new[] { ("datasets.train.dataroot_gt", c.Datasets.Train.DatarootGt), ("datasets.train.dataroot_lq", c.Datasets.Train.DatarootLq) })
            if (!string.IsNullOrWhiteSpace(data) && !string.IsNullOrWhiteSpace(c.RunsDir) && Directory.Exists(data) && IsInside(c.RunsDir, data))
                problems.Add($"'runs_dir' {Describe(c.RunsDir)} is inside '{key}' ({data}): the next run would train on this run's " +
                             "validation images; put runs_dir outside the training data");
        if (problems.Count > 0) throw new SrTrainException($"{source}: {string.Join("; ", problems)}");
    }

    /// <summary>Whether <paramref name="path"/> is <paramref name="folder"/> or below it, links resolved.</summary>
    static bool IsInside(string path, string folder)
    {
        var comparison = OperatingSystem.IsWindows() || OperatingSystem.IsMacOS() ? StringComparison.OrdinalIgnoreCase : StringComparison.Ordinal;
        var inner = Runtime.RealPath.Of(path).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        var outer = Runtime.RealPath.Of(folder).TrimEnd(System.IO.Path.DirectorySeparatorChar) + System.IO.Path.DirectorySeparatorChar;
        return inner.StartsWith(outer, comparison);
    }

    static string Describe(string path) =>
        System.IO.Path.IsPathRooted(path) ? path : $"{path} ({System.IO.Path.GetFullPath(path)}; relative paths are relative to the working folder)";
}
