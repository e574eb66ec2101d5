using System.Reflection;
using System.Reflection.Emit;
using SrTrain.Config;

namespace SrTrain.Tests.Architecture;

/// <summary>The library's folders (one namespace each) depend on each other in one direction only: a loop between
/// folders means neither can be read, tested or changed alone. Dependencies are read from the compiled library (field,
/// signature and base types, and every type, method and field that method bodies touch), so nothing escapes by being
/// written fully qualified.</summary>
public sealed class FolderDependencyTests
{
    [Fact]
    public void NoLoopsBetweenFolders()
    {
        var (graph, evidence) = FolderGraph(typeof(SrTrainConfig).Assembly);
        var loops = Loops(graph);
        Assert.True(loops.Count == 0, "loops between folders:\n" + string.Join("\n", loops.Select(l =>
            string.Join(" → ", l) + "   because " + string.Join("; ", l.Zip(l.Skip(1)).Select(e => evidence[e])))));
    }

    [Fact]
    public void TheCheckerSeesALoop()
    {
        // The checker itself, on a graph with a loop and one without.
        var loops = Loops(new() { ["A"] = ["B"], ["B"] = ["C"], ["C"] = ["A"], ["D"] = ["A"] });
        Assert.Equal(new[] { "A", "B", "C", "A" }, Assert.Single(loops));
        Assert.Empty(Loops(new() { ["A"] = ["B"], ["B"] = ["C"], ["C"] = [] }));
    }

    /// <summary>Folder → folders it uses, for the top-level folders (namespaces SrTrain.X) of the library, with one
    /// example of each use.</summary>
    static (Dictionary<string, HashSet<string>>, Dictionary<(string, string), string>) FolderGraph(Assembly assembly)
    {
        var graph = new Dictionary<string, HashSet<string>>();
        var evidence = new Dictionary<(string, string), string>();
        foreach (var type in assembly.GetTypes())
        {
            var from = Folder(type);
            if (from == null) continue;
            if (!graph.TryGetValue(from, out var uses)) graph[from] = uses = new HashSet<string>();
            foreach (var used in UsedTypes(type))
                if (used.Assembly == assembly && Folder(used) is { } to && to != from && uses.Add(to))
                    evidence[(from, to)] = $"{type.FullName} uses {used.FullName}";
        }
        return (graph, evidence);
    }

    static string? Folder(Type t)
    {
        while (t.DeclaringType != null) t = t.DeclaringType;
        var ns = t.Namespace;
        if (ns == null || !ns.StartsWith("SrTrain.", StringComparison.Ordinal)) return null;
        return ns.Split('.')[1];
    }

    const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;

    static List<Type> UsedTypes(Type type)
    {
        var found = new List<Type>();
        void Add(Type? t)
        {
            if (t == null) return;
            if (t.HasElementType) { Add(t.GetElementType()); return; }
            if (t.IsGenericType && !t.IsGenericTypeDefinition) foreach (var a in t.GetGenericArguments()) Add(a);
            if (!t.IsGenericParameter) found.Add(t.IsGenericType ? t.GetGenericTypeDefinition() : t);
        }
        Add(type.BaseType);
        foreach (var i in type.GetInterfaces()) Add(i);
        foreach (var f in type.GetFields(All)) Add(f.FieldType);
        foreach (var p in type.GetProperties(All)) Add(p.PropertyType);
        foreach (var m in type.GetMethods(All).Cast<MethodBase>().Concat(type.GetConstructors(All)))
        {
            if (m is MethodInfo mi) Add(mi.ReturnType);
            foreach (var p in m.GetParameters()) Add(p.ParameterType);
            foreach (var t in BodyTypes(m)) Add(t);
        }
        return found;
    }

    static readonly Dictionary<short, OpCode> OpCodesByValue = typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)
        .Select(f => (OpCode)f.GetValue(null)!).ToDictionary(o => o.Value);

    /// <summary>Types named by a method body: its locals, and the tokens of its IL (types, and the declaring and value
    /// types of the methods and fields it calls or reads).</summary>
    static IEnumerable<Type> BodyTypes(MethodBase method)
    {
        var body = method.GetMethodBody();
        var il = body?.GetILAsByteArray();
        if (body == null || il == null) yield break;
        foreach (var local in body.LocalVariables) yield return local.LocalType;
        Type[]? typeArgs = method.DeclaringType?.IsGenericType == true ? method.DeclaringType.GetGenericArguments() : null;
        Type[]? methodArgs = method.IsGenericMethod ? method.GetGenericArguments() : null;
        int pos = 0;
        while (pos < il.Length)
        {
            bool twoBytes = il[pos] == 0xFE;
            short value = twoBytes ? (short)(0xFE00 | il[pos + 1]) : il[pos];
            pos += twoBytes ? 2 : 1;
            var op = OpCodesByValue[value];
            int size = op.OperandType switch
            {
                OperandType.InlineNone => 0,
                OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1,
                OperandType.InlineVar => 2,
                OperandType.InlineI8 or OperandType.InlineR => 8,
                OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, pos),
                _ => 4,
            };
            if (op.OperandType is OperandType.InlineType or OperandType.InlineMethod or OperandType.InlineField or OperandType.InlineTok)
            {
                MemberInfo? member;
                try { member = method.Module.ResolveMember(BitConverter.ToInt32(il, pos), typeArgs, methodArgs); }
                catch (ArgumentException) { member = null; }
                switch (member)
                {
                    case Type t: yield return t; break;
                    case FieldInfo f: yield return f.DeclaringType!; yield return f.FieldType; break;
                    case MethodBase m: yield return m.DeclaringType!; break;
                }
            }
            pos += size;
        }
    }

    /// <summary>Each set of folders that reach each other, as one loop path (A → B → … → A), shortest first found.</summary>
    static List<List<string>> Loops(Dictionary<string, HashSet<string>> graph)
    {
        var loops = new List<List<string>>();
        foreach (var start in graph.Keys.Order(StringComparer.Ordinal))
        {
            // Breadth-first from start's neighbours until start is reached again.
            var prev = new Dictionary<string, string>();
            var queue = new Queue<string>();
            foreach (var n in graph[start].Order(StringComparer.Ordinal)) { prev[n] = start; queue.Enqueue(n); }
            while (queue.Count > 0 && !prev.ContainsKey(start))
            {
                var n = queue.Dequeue();
                foreach (var m in graph.GetValueOrDefault(n, []).Order(StringComparer.Ordinal))
                    if (prev.TryAdd(m, n)) queue.Enqueue(m);
            }
            if (!prev.ContainsKey(start)) continue;
            var path = new List<string> { start };
            for (var n = prev[start]; n != start; n = prev[n]) path.Insert(0, n);
            path.Insert(0, start);
            if (!loops.Any(l => l.ToHashSet().SetEquals(path))) loops.Add(path);
        }
        return loops;
    }
}
