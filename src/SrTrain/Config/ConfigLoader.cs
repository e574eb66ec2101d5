using System.Collections;
using System.Globalization;
using System.Reflection;
using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace SrTrain.Config;

/// <summary>Reads YAML onto the config records. Every key must name a property (snake_case) and every value must fit
/// its type; otherwise a <see cref="SrTrainException"/> names the file, the key's full path and what is allowed.
/// Overrides (resume --config) are merged at the YAML level, so the same checks apply to them.</summary>
internal static class ConfigLoader
{
    /// <param name="note">Receives one line saying which BasicSR names were read as SrTrain's and which were
    /// ignored (see <see cref="BasicSrOptions"/>); nothing for a file in SrTrain's own names.</param>
    public static SrTrainConfig LoadFile(string path, IEnumerable<string>? overrideFiles = null, Action<string>? note = null) =>
        Bind([ReadYamlFile(path), .. (overrideFiles ?? Array.Empty<string>()).Select(ReadYamlFile)], path, note);

    public static SrTrainConfig LoadText(string yaml, string sourceName = "<config>")
        => Bind(ParseYaml(yaml, sourceName), sourceName);

    /// <summary>Binds a YAML mapping onto the root record, then validates the whole config. BasicSR's names are read
    /// first (<see cref="BasicSrOptions"/>); every unknown key and every value of the wrong type is reported in one
    /// message, so a file with many problems costs one try, not one per key.</summary>
    public static SrTrainConfig Bind(YamlMappingNode root, string sourceName, Action<string>? note = null) => Bind([root], sourceName, note);

    /// <summary>Binds a config file (<paramref name="layers"/>[0]) with its overrides in order (override files, then
    /// <c>--set</c> values, see <see cref="SetOverride"/>). Each layer is read from BasicSR's names on its own before
    /// they are merged, so an override replaces the file's value whichever name either used (<c>--set
    /// train.total_steps=20</c> on a file with <c>total_iter</c>, as BasicSR's <c>--force_yml</c> would).</summary>
    public static SrTrainConfig Bind(IReadOnlyList<YamlMappingNode> layers, string sourceName, Action<string>? note = null)
    {
        var basicSr = BasicSrOptions.Translate(layers[0]);
        var fileModelType = BasicSrOptions.ModelType(layers[0]);
        foreach (var layer in layers.Skip(1))
        {
            var o = BasicSrOptions.TranslateOverride(layer, fileModelType);
            basicSr = new BasicSrTranslation(Merge(basicSr.Tree, o.Tree), [.. basicSr.Renamed, .. o.Renamed],
                [.. basicSr.Ignored, .. o.Ignored], [.. basicSr.Unsupported, .. o.Unsupported]);
        }
        var problems = new List<string>();
        var config = (SrTrainConfig)BindRecord(typeof(SrTrainConfig), basicSr.Tree, "", problems);
        if (basicSr.Unsupported.Count > 0)
            throw new SrTrainException(
                $"{sourceName}: {basicSr.Unsupported.Count} BasicSR setting(s) SrTrain cannot follow: {string.Join("; ", basicSr.Unsupported)}" +
                (problems.Count > 0 ? $"; and {string.Join("; ", problems)}" : "") +
                $". Remove them, or run `srtrain convert-config {sourceName}`, which writes an SrTrain config without them");
        if (problems.Count == 1) throw new SrTrainException($"{sourceName}: {problems[0]}");
        if (problems.Count > 1) throw new SrTrainException($"{sourceName}: {problems.Count} problems: {string.Join("; ", problems)}");
        if (note != null && (basicSr.Renamed.Count > 0 || basicSr.Ignored.Count > 0))
            note($"{sourceName}: read BasicSR names as SrTrain's: {string.Join(", ", basicSr.Renamed)}" +
                 (basicSr.Ignored.Count > 0 ? $"; ignored (no effect here): {string.Join(", ", basicSr.Ignored)}" : ""));
        config = ConfigPaths.ExpandHome(config);
        ConfigValidator.Validate(config, sourceName);
        return config;
    }

    /// <summary>A <c>--set key.path=value</c> override (BasicSR's <c>--force_yml</c>) as a YAML tree to merge. The
    /// value is read as YAML, so <c>--set train.scheduler.milestones=[1000,2000]</c> gives a list.</summary>
    public static YamlMappingNode SetOverride(string assignment)
    {
        int eq = assignment.IndexOf('=');
        var key = eq > 0 ? assignment[..eq].Trim() : "";
        if (eq <= 0 || key.Split('.').Any(string.IsNullOrWhiteSpace))
            throw new SrTrainException($"--set '{assignment}': give key=value with the key's full path, e.g. --set train.total_steps=1000");
        var valueText = assignment[(eq + 1)..];
        YamlNode value;
        try
        {
            var stream = LoadGuarded(valueText, $"--set {key}");
            value = stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
        }
        catch (YamlException e)
        {
            throw new SrTrainException($"--set '{assignment}': the value is not valid YAML ({Inner(e).Message})");
        }
        var parts = key.Split('.');
        YamlNode node = value;
        for (int i = parts.Length - 1; i >= 0; i--)
            node = new YamlMappingNode { { new YamlScalarNode(parts[i]), node } };
        return (YamlMappingNode)node;
    }

    /// <summary>Every YAML text read here goes through <see cref="YamlGuard"/> first: YamlDotNet's loader recurses, so a
    /// config file or a --set value of deep nesting would overflow the stack. Throws YamlException for invalid YAML.</summary>
    static YamlStream LoadGuarded(string text, string sourceName)
    {
        YamlGuard.Check(text, sourceName);
        var stream = new YamlStream();
        stream.Load(new StringReader(text));
        return stream;
    }

    public static YamlMappingNode ReadYamlFile(string path)
    {
        if (!File.Exists(path))
            throw new SrTrainException($"{path}: config file not found (give a YAML file, e.g. configs/quickstart.yaml)");
        return ParseYaml(YamlGuard.ReadFile(path), path);
    }

    public static YamlMappingNode ParseYaml(string text, string sourceName)
    {
        YamlStream stream;
        try
        {
            stream = LoadGuarded(text, sourceName);
        }
        catch (YamlException e)
        {
            throw new SrTrainException($"{sourceName}: invalid YAML at line {e.Start.Line}, column {e.Start.Column}: {Inner(e).Message}");
        }
        if (stream.Documents.Count == 0) return new YamlMappingNode();
        if (stream.Documents[0].RootNode is YamlScalarNode { Value: null or "" }) return new YamlMappingNode();
        if (stream.Documents[0].RootNode is not YamlMappingNode map)
            throw new SrTrainException($"{sourceName}: the top level must be a mapping of keys (name:, train:, ...)");
        return map;
    }

    static Exception Inner(Exception e) => e.InnerException != null && e.Message.Contains("Exception during deserialization") ? e.InnerException : e;

    /// <summary>Deep merge: mappings merge key by key, anything else in <paramref name="over"/> replaces.</summary>
    public static YamlMappingNode Merge(YamlMappingNode baseMap, YamlMappingNode over)
    {
        var result = new YamlMappingNode();
        foreach (var (k, v) in baseMap.Children) result.Children[k] = v;
        foreach (var (k, v) in over.Children)
        {
            if (result.Children.TryGetValue(k, out var existing) && existing is YamlMappingNode em && v is YamlMappingNode vm)
                result.Children[k] = Merge(em, vm);
            else
                result.Children[k] = v;
        }
        return result;
    }

    public static string SnakeCase(string pascal)
    {
        var sb = new StringBuilder();
        for (int i = 0; i < pascal.Length; i++)
        {
            char c = pascal[i];
            bool boundary = char.IsUpper(c) && i > 0 &&
                            (char.IsLower(pascal[i - 1]) || char.IsDigit(pascal[i - 1]) ||
                             (i + 1 < pascal.Length && char.IsLower(pascal[i + 1]) && char.IsUpper(pascal[i - 1])));
            if (boundary) sb.Append('_');
            sb.Append(char.ToLowerInvariant(c));
        }
        return sb.ToString();
    }

    internal static IEnumerable<PropertyInfo> ConfigProperties(Type t) =>
        t.GetProperties(BindingFlags.Public | BindingFlags.Instance).Where(p => p.CanWrite && p.Name != "EqualityContract");

    static object BindRecord(Type type, YamlMappingNode map, string path, List<string> problems)
    {
        var obj = Activator.CreateInstance(type)!;
        var props = ConfigProperties(type).ToDictionary(p => SnakeCase(p.Name));
        foreach (var (keyNode, valueNode) in map.Children)
        {
            var key = (keyNode as YamlScalarNode)?.Value ?? "";
            var keyPath = path.Length == 0 ? key : path + "." + key;
            if (!props.TryGetValue(key, out var prop))
            {
                var guess = DidYouMean.Closest(key, props.Keys);
                problems.Add($"unknown key '{keyPath}' " + (guess != null
                    ? $"(did you mean '{(path.Length == 0 ? guess : path + "." + guess)}'?)"
                    : $"(allowed under '{(path.Length == 0 ? "the top level" : path)}': {string.Join(", ", props.Keys)})"));
                continue;
            }
            try
            {
                prop.SetValue(obj, ConvertValue(prop.PropertyType, valueNode, keyPath, problems));
            }
            catch (SrTrainException e)
            {
                problems.Add(e.Message);
            }
        }
        return obj;
    }

    static object? ConvertValue(Type type, YamlNode node, string path, List<string> problems)
    {
        if (type.IsClass && type != typeof(string) && !type.IsArray && !IsDictionary(type))
        {
            if (node is YamlScalarNode { Value: null or "" or "~" or "null" })
                return Activator.CreateInstance(type);
            if (node is not YamlMappingNode m)
                throw Error(path, "a mapping of keys", node);
            return BindRecord(type, m, path, problems);
        }
        if (type.IsArray)
        {
            var elem = type.GetElementType()!;
            if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return Array.CreateInstance(elem, 0);
            if (node is not YamlSequenceNode seq) throw Error(path, $"a list of {Describe(elem)}", node);
            var arr = Array.CreateInstance(elem, seq.Children.Count);
            for (int i = 0; i < seq.Children.Count; i++)
                arr.SetValue(ConvertValue(elem, seq.Children[i], $"{path}[{i}]", problems), i);
            return arr;
        }
        if (IsDictionary(type))
        {
            var valueType = type.GetGenericArguments()[1];
            var dict = (IDictionary)Activator.CreateInstance(type)!;
            if (node is YamlScalarNode { Value: null or "" or "~" or "null" }) return dict;
            if (node is not YamlMappingNode dm) throw Error(path, "a mapping", node);
            foreach (var (k, v) in dm.Children)
            {
                var key = (k as YamlScalarNode)?.Value ?? "";
                dict[key] = ConvertValue(valueType, v, path + "." + key, problems);
            }
            return dict;
        }
        if (node is not YamlScalarNode scalar) throw Error(path, Describe(type), node);
        var s = scalar.Value ?? "";
        var inv = CultureInfo.InvariantCulture;
        if (type == typeof(string)) return s is "~" or "null" ? "" : s;
        if (type == typeof(int) && int.TryParse(s.Replace("_", ""), NumberStyles.Integer, inv, out var i32)) return i32;
        if (type == typeof(int) && double.TryParse(s, NumberStyles.Float, inv, out var d32) && d32 == Math.Floor(d32) && Math.Abs(d32) < int.MaxValue) return (int)d32;
        if (type == typeof(long) && long.TryParse(s.Replace("_", ""), NumberStyles.Integer, inv, out var i64)) return i64;
        if (type == typeof(long) && double.TryParse(s, NumberStyles.Float, inv, out var d64) && d64 == Math.Floor(d64)) return (long)d64;
        if (type == typeof(double) && double.TryParse(s.Replace("_", ""), NumberStyles.Float, inv, out var dbl)) return dbl;
        if (type == typeof(bool))
        {
            if (s is "true" or "True" or "yes" or "on") return true;
            if (s is "false" or "False" or "no" or "off") return false;
        }
        if (type.IsEnum)
        {
            foreach (var name in Enum.GetNames(type))
                if (string.Equals(name, s, StringComparison.OrdinalIgnoreCase)) return Enum.Parse(type, name);
            throw new SrTrainException($"'{path}' is '{s}', which is not one of: {string.Join(", ", Enum.GetNames(type))}");
        }
        throw Error(path, Describe(type), node);
    }

    static bool IsDictionary(Type t) => t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>);

    static string Describe(Type t) =>
        t == typeof(int) || t == typeof(long) ? "a whole number" :
        t == typeof(double) ? "a number" :
        t == typeof(bool) ? "true or false" :
        t == typeof(string) ? "a string" : t.Name;

    static SrTrainException Error(string path, string expected, YamlNode node)
    {
        var got = node is YamlScalarNode s ? $"'{s.Value}'" : node is YamlSequenceNode ? "a list" : "a mapping";
        return new SrTrainException($"'{path}' must be {expected}, got {got} (line {node.Start.Line})");
    }
}
