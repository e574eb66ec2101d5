using System.Text.RegularExpressions;
using SrTrain.Runtime;

namespace SrTrain.Inference;

/// <summary>What the <c>upscale</c> command's arguments name: the jobs, and arguments that name no image (reported and
/// counted as failures, so one typo does not stop a batch).</summary>
internal sealed record UpscalePlan(IReadOnlyList<UpscaleJob> Jobs, IReadOnlyList<string> Problems)
{
    /// <summary>Extensions taken from folders and globs (ImageSharp's decoders). A file named directly is tried whatever
    /// its extension.</summary>
    public static readonly IReadOnlySet<string> ImageExtensions = new HashSet<string>(StringComparer.OrdinalIgnoreCase)
    {
        ".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tga", ".tif", ".tiff", ".webp",
    };

    /// <summary>Expands the inputs and names the outputs.
    /// <list type="bullet">
    /// <item>An existing file is taken as is.</item>
    /// <item>A folder contributes its image files (not those in subfolders), sorted by name, except files named like an
    /// earlier result of this command (<c>a_x4.png</c> beside <c>a.png</c>), so running twice does not upscale outputs.</item>
    /// <item>An argument with <c>*</c> or <c>?</c> in its file name part is a glob over that folder (the shell may not
    /// have expanded it, e.g. on Windows or when quoted); matching image files are taken, sorted.</item>
    /// </list>
    /// Results are named <c>&lt;stem&gt;_x&lt;scale&gt;&lt;ext&gt;</c> beside the input, or inside <paramref name="output"/>
    /// if given. A single input file with an <paramref name="output"/> that has an image extension and is not an
    /// existing folder writes exactly that file; such an <paramref name="output"/> with several inputs, a folder or a
    /// glob, or with an <c>--ext</c> that names another format, is refused (<see cref="SrTrainException"/>) rather than
    /// made a folder or written in a format its name does not say.
    /// <para>An input with transparency gets a PNG where the named format is JPEG, which has no alpha (Real-ESRGAN
    /// writes PNG for RGBA too); the job carries a note saying so. An exact JPEG file name for such an input is a
    /// problem: dropping alpha would reveal whatever colour lies under the transparent areas.</para></summary>
    public static UpscalePlan Build(IReadOnlyList<string> inputs, string? output, int scale, OutputNaming? naming = null)
    {
        naming ??= new OutputNaming($"x{scale}");
        var problems = new List<string>();
        var files = new List<string>();
        foreach (var arg in inputs)
        {
            if (File.Exists(arg)) files.Add(arg);
            else if (Directory.Exists(arg))
            {
                var found = FolderImages(arg, naming);
                if (found.Count == 0) problems.Add($"{arg}: folder has no image files ({string.Join(", ", ImageExtensions)})");
                files.AddRange(found);
            }
            else if (IsGlob(Path.GetFileName(arg)))
            {
                var found = Glob(arg, out var problem);
                if (problem != null) problems.Add(problem);
                else if (found.Count == 0) problems.Add($"{arg}: matches no image file");
                files.AddRange(found);
            }
            else problems.Add($"{arg}: no such file or folder");
        }

        bool toFile = CheckOutput(inputs, output, naming.Extension);
        // Outputs are compared with every input, with links resolved: `upscale a.png a_x4.png --overwrite` must not
        // replace the input a_x4.png with a.png's result before reading it, and -o through a link to the input folder
        // must not replace an input either; on Windows `Foo_x4.png` is the output name `foo_x4.png` too. --overwrite only
        // ever replaces earlier results.
        var sources = files.Select(f => (File: f, Real: RealPath.Of(f))).ToList();
        var inputReal = new Dictionary<string, string>(RealPath.Comparer);
        foreach (var (file, real) in sources) inputReal.TryAdd(real, file);
        var jobs = new List<UpscaleJob>();
        var claimed = new Dictionary<string, string>(RealPath.Comparer);
        foreach (var (file, input) in sources)
        {
            string name = naming.NameFor(file);
            string? note = null;
            if (IsJpeg(toFile ? output! : name) && HasAlpha(file))
            {
                if (toFile)
                {
                    problems.Add($"{file}: has transparency, which JPEG cannot store, so -o {output} would show the colour " +
                                 $"under its transparent areas; name a .png output (e.g. -o {Path.ChangeExtension(output, "png")})");
                    continue;
                }
                name = Path.ChangeExtension(name, ".png");
                note = $"{file} has transparency, which JPEG cannot store: writing {name} as PNG instead (as Real-ESRGAN does)";
            }
            string target = toFile ? output! : Path.Combine(output ?? Path.GetDirectoryName(Path.GetFullPath(file))!, name);
            string full = RealPath.Of(target);
            if (RealPath.Same(full, input))
                problems.Add($"{file}: the output would replace the input; choose another -o");
            else if (inputReal.TryGetValue(full, out var otherInput))
                problems.Add($"{file}: its output {target} is the input {otherInput} of this run; choose another -o");
            else if (claimed.TryGetValue(full, out var other))
            {
                if (!RealPath.Same(other, input)) problems.Add($"{file}: its output {target} is already the output of {other}; upscale them into different folders");
            }
            else
            {
                claimed[full] = input;
                jobs.Add(new UpscaleJob(file, target, note));
            }
        }
        return new UpscalePlan(jobs, problems);
    }

    /// <summary>Whether <paramref name="output"/> names the one output file (see <see cref="Build"/>); refuses an image
    /// file name with several inputs, a folder or a glob, or with an <paramref name="extension"/> (--ext) of another
    /// format. Cheap: the command asks before it loads a model.</summary>
    /// <exception cref="SrTrainException">The output and the inputs or --ext contradict each other.</exception>
    public static bool CheckOutput(IReadOnlyList<string> inputs, string? output, string? extension)
    {
        bool namesFile = output != null && !Directory.Exists(output) && ImageExtensions.Contains(Path.GetExtension(output));
        if (!namesFile) return false;
        if (!(inputs.Count == 1 && File.Exists(inputs[0])))
            throw new SrTrainException($"-o {output}: an image file name takes one input file, but the inputs are {Describe(inputs)}; " +
                                       "give a folder for -o (an existing folder with that name is used as a folder)");
        if (extension is { } wanted && !SameFormat(Path.GetExtension(output)!, "." + wanted))
            throw new SrTrainException($"-o {output} and --ext {wanted} name different formats; name the file " +
                                       $"{Path.ChangeExtension(output, wanted)}, or leave out --ext (the file name's extension sets the format)");
        return true;
    }

    static bool IsGlob(string s) => s.IndexOfAny(['*', '?']) >= 0;

    static string Describe(IReadOnlyList<string> inputs) =>
        inputs.Count > 1 ? $"{inputs.Count} arguments" : Directory.Exists(inputs[0]) ? $"the folder {inputs[0]}" : $"the pattern {inputs[0]}";

    static bool IsJpeg(string path) => SameFormat(Path.GetExtension(path), ".jpg");

    static bool SameFormat(string ext1, string ext2)
    {
        static string Canonical(string e) => e.ToLowerInvariant() switch { ".jpeg" => ".jpg", ".tiff" => ".tif", var x => x };
        return Canonical(ext1) == Canonical(ext2);
    }

    /// <summary>Whether the file's header declares transparency; an unreadable file is left to fail with its own message
    /// when it is upscaled.</summary>
    static bool HasAlpha(string file)
    {
        try
        {
            return UpscaleImageIO.Identify(file).HasAlpha;
        }
        catch (Exception e) when (e is SrTrainException or IOException or UnauthorizedAccessException)
        {
            return false;
        }
    }

    static List<string> FolderImages(string dir, OutputNaming naming)
    {
        var all = Directory.EnumerateFiles(dir).Where(f => ImageExtensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
        if (naming.Suffix.Length == 0) return all;
        var stems = new HashSet<string>(all.Select(Path.GetFileNameWithoutExtension)!, RealPath.Comparer);
        string suffix = "_" + naming.Suffix;
        return all.Where(f =>
        {
            var stem = Path.GetFileNameWithoutExtension(f);
            if (!stem.EndsWith(suffix, RealPath.Comparison)) return true;
            var original = stem[..^suffix.Length];
            // An earlier result: its input (any image extension when --ext changed it) is in the same folder.
            return !stems.Contains(original);
        }).ToList();
    }

    static List<string> Glob(string pattern, out string? problem)
    {
        problem = null;
        var dir = Path.GetDirectoryName(pattern);
        if (string.IsNullOrEmpty(dir)) dir = ".";
        if (IsGlob(dir))
        {
            problem = $"{pattern}: wildcards are only supported in the file name, not in folder names";
            return [];
        }
        if (!Directory.Exists(dir))
        {
            problem = $"{pattern}: folder {dir} does not exist";
            return [];
        }
        var regex = new Regex("^" + Regex.Escape(Path.GetFileName(pattern)).Replace(@"\*", ".*").Replace(@"\?", ".") + "$",
            OperatingSystem.IsWindows() ? RegexOptions.IgnoreCase : RegexOptions.None);
        return Directory.EnumerateFiles(dir)
            .Where(f => regex.IsMatch(Path.GetFileName(f)) && ImageExtensions.Contains(Path.GetExtension(f)))
            .OrderBy(f => f, StringComparer.Ordinal).ToList();
    }
}

/// <summary>One image to upscale and where its result goes; <paramref name="Note"/> says why the output differs from
/// what was asked (e.g. PNG instead of JPEG for an image with transparency), logged as a warning.</summary>
internal sealed record UpscaleJob(string Input, string Output, string? Note = null);
