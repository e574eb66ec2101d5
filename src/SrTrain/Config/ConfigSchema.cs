using System.Collections;
using System.Text.Json;
using System.Text.Json.Nodes;
using System.Xml.Linq;

namespace SrTrain.Config;

/// <summary>A JSON schema (draft-07) of the config, generated from the records so it cannot drift from them: every
/// key with its type, default, allowed values and the record's doc comment, and no other keys. Editors with a YAML
/// language server complete and check keys with it (configs/srtrain.schema.json; `srtrain schema` writes it).</summary>
internal static class ConfigSchema
{
    public static string Generate()
    {
        var docs = LoadDocs();
        var root = Record(typeof(SrTrainConfig), new SrTrainConfig(), docs);
        root["$schema"] = "http://json-schema.org/draft-07/schema#";
        root["title"] = "SrTrain config";
        root["description"] = "SrTrain training config (YAML). Keys are snake_case; a file holds only what differs from the defaults. " +
                              "BasicSR option-file names (total_iter, pixel_opt, ...) are also read, but are not listed here.";
        // Keep $schema/title first for readers.
        var ordered = new JsonObject { ["$schema"] = root["$schema"]!.DeepClone(), ["title"] = root["title"]!.DeepClone() };
        foreach (var (k, v) in root)
            if (k is not ("$schema" or "title")) ordered[k] = v?.DeepClone();
        return ordered.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }).Replace("\r\n", "\n") + "\n";
    }

    static JsonObject Record(Type type, object defaults, IReadOnlyDictionary<string, string> docs)
    {
        var props = new JsonObject();
        foreach (var p in ConfigLoader.ConfigProperties(type))
        {
            var schema = Value(p.PropertyType, p.GetValue(defaults), docs);
            if (docs.TryGetValue($"P:{type.FullName}.{p.Name}", out var doc)) schema["description"] = doc;
            props[ConfigLoader.SnakeCase(p.Name)] = schema;
        }
        var o = new JsonObject { ["type"] = "object", ["additionalProperties"] = false, ["properties"] = props };
        if (docs.TryGetValue($"T:{type.FullName}", out var typeDoc)) o["description"] = typeDoc;
        return o;
    }

    static JsonObject Value(Type t, object? value, IReadOnlyDictionary<string, string> docs)
    {
        if (t == typeof(int) || t == typeof(long)) return new JsonObject { ["type"] = "integer", ["default"] = JsonValue.Create(Convert.ToInt64(value)) };
        if (t == typeof(double)) return new JsonObject { ["type"] = "number", ["default"] = JsonValue.Create((double)value!) };
        if (t == typeof(bool)) return new JsonObject { ["type"] = "boolean", ["default"] = JsonValue.Create((bool)value!) };
        if (t == typeof(string)) return new JsonObject { ["type"] = "string", ["default"] = JsonValue.Create((string?)value ?? "") };
        if (t.IsEnum)
            return new JsonObject
            {
                ["type"] = "string",
                ["enum"] = new JsonArray(Enum.GetNames(t).Select(n => (JsonNode)JsonValue.Create(n)!).ToArray()),
                ["default"] = value!.ToString(),
            };
        if (t.IsArray)
        {
            var element = t.GetElementType()!;
            var items = Value(element, element == typeof(string) ? "" : Activator.CreateInstance(element), docs);
            items.Remove("default");
            var defaults = new JsonArray(((Array)value!).Cast<object>().Select(x => x switch
            {
                double d => JsonValue.Create(d),
                string s => JsonValue.Create(s),
                _ => JsonValue.Create(Convert.ToInt64(x)),
            } as JsonNode).ToArray());
            return new JsonObject { ["type"] = "array", ["items"] = items, ["default"] = defaults };
        }
        if (t.IsGenericType && t.GetGenericTypeDefinition() == typeof(Dictionary<,>))
        {
            var items = Value(t.GetGenericArguments()[1], Activator.CreateInstance(t.GetGenericArguments()[1]), docs);
            items.Remove("default");
            var defaults = new JsonObject();
            foreach (DictionaryEntry kv in (IDictionary)value!) defaults[(string)kv.Key] = JsonValue.Create((double)kv.Value!);
            return new JsonObject { ["type"] = "object", ["additionalProperties"] = items, ["default"] = defaults };
        }
        return Record(t, value ?? Activator.CreateInstance(t)!, docs);
    }

    /// <summary>Summaries from SrTrain.xml (the library's documentation file), by member id; empty when it is missing.</summary>
    static Dictionary<string, string> LoadDocs()
    {
        var docs = new Dictionary<string, string>();
        var path = Path.ChangeExtension(typeof(SrTrainConfig).Assembly.Location, ".xml");
        if (!File.Exists(path)) return docs;
        foreach (var member in XDocument.Load(path).Descendants("member"))
        {
            var name = member.Attribute("name")?.Value;
            var summary = member.Element("summary");
            if (name == null || summary == null) continue;
            var text = string.Join(" ", summary.DescendantNodes().OfType<XText>().Select(x => x.Value)
                .Concat(summary.Descendants().Where(e => e.Name == "see").Select(_ => ""))).Trim();
            docs[name] = string.Join(" ", text.Split((char[])[' ', '\n', '\r'], StringSplitOptions.RemoveEmptyEntries));
        }
        return docs;
    }
}
