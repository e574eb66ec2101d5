using System.Collections;
using System.Globalization;
using YamlDotNet.RepresentationModel;

namespace SrTrain.Config;

/// <summary>Writes the resolved config (every value, defaults included) as YAML that <see cref="ConfigLoader"/> reads
/// back to an equal config. It goes beside the checkpoints so a run can always be reproduced or resumed.</summary>
internal static class ConfigWriter
{
    public static string ToYaml(SrTrainConfig config) => ToYaml(ToNode(config));

    /// <summary>A YAML tree as the text of one document.</summary>
    public static string ToYaml(YamlNode root)
    {
        var stream = new YamlStream(new YamlDocument(root));
        var sw = new StringWriter();
        stream.Save(sw, assignAnchors: false);
        var text = sw.ToString();
        // YamlStream ends a document with "...": harmless, but unfamiliar to people reading the file.
        return text.EndsWith("...\n") ? text[..^4] : text;
    }

    static YamlNode ToNode(object? value)
    {
        switch (value)
        {
            case null: return new YamlScalarNode("");
            case string s: return new YamlScalarNode(s) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted };
            case bool b: return new YamlScalarNode(b ? "true" : "false");
            case double d: return new YamlScalarNode(d.ToString("R", CultureInfo.InvariantCulture));
            case int or long: return new YamlScalarNode(Convert.ToString(value, CultureInfo.InvariantCulture));
            case Enum e: return new YamlScalarNode(e.ToString());
            case IDictionary dict:
                {
                    var m = new YamlMappingNode();
                    foreach (DictionaryEntry kv in dict) m.Add(new YamlScalarNode((string)kv.Key), ToNode(kv.Value));
                    return m;
                }
            case Array arr:
                {
                    var seq = new YamlSequenceNode { Style = YamlDotNet.Core.Events.SequenceStyle.Flow };
                    foreach (var item in arr) seq.Add(ToNode(item));
                    return seq;
                }
            default:
                {
                    var m = new YamlMappingNode();
                    foreach (var p in ConfigLoader.ConfigProperties(value.GetType()))
                        m.Add(new YamlScalarNode(ConfigLoader.SnakeCase(p.Name)), ToNode(p.GetValue(value)));
                    return m;
                }
        }
    }
}
