using System.Reflection;
using System.Reflection.Emit;
var asm = Assembly.LoadFrom(args[0]);
var scalarType = asm.GetType("TorchSharp.Scalar")!;
var oneByte = new Dictionary<short, OpCode>(); var twoByte = new Dictionary<short, OpCode>();
foreach (var f in typeof(OpCodes).GetFields(BindingFlags.Public | BindingFlags.Static)) { var oc = (OpCode)f.GetValue(null)!; if (oc.Size == 1) oneByte[(short)(oc.Value & 0xff)] = oc; else twoByte[(short)(oc.Value & 0xff)] = oc; }
const BindingFlags All = BindingFlags.Public | BindingFlags.NonPublic | BindingFlags.Instance | BindingFlags.Static | BindingFlags.DeclaredOnly;
var callees = new Dictionary<MethodBase, List<MethodBase>>();
var direct = new HashSet<MethodBase>();
IEnumerable<MethodBase> Methods(Type t) { foreach (var m in t.GetMethods(All)) yield return m; foreach (var c in t.GetConstructors(All)) yield return c; }
Type[] types; try { types = asm.GetTypes(); } catch (ReflectionTypeLoadException e) { types = e.Types.Where(x => x != null).ToArray()!; }
foreach (var t in types) foreach (var m in Methods(t)) {
  MethodBody body; try { body = m.GetMethodBody(); } catch { continue; } if (body == null) continue;
  var il = body.GetILAsByteArray()!; var list = new List<MethodBase>(); int i = 0;
  while (i < il.Length) {
    OpCode oc; if (il[i] == 0xfe) { oc = twoByte[il[i + 1]]; i += 2; } else { oc = oneByte[il[i]]; i += 1; }
    int size = oc.OperandType switch { OperandType.InlineNone => 0, OperandType.ShortInlineBrTarget or OperandType.ShortInlineI or OperandType.ShortInlineVar => 1, OperandType.InlineVar => 2, OperandType.InlineI8 or OperandType.InlineR => 8, OperandType.InlineSwitch => 4 + 4 * BitConverter.ToInt32(il, i), _ => 4 };
    if (oc.OperandType == OperandType.InlineMethod) {
      try { var callee = m.Module.ResolveMethod(BitConverter.ToInt32(il, i), m.DeclaringType?.IsGenericType == true ? m.DeclaringType.GetGenericArguments() : null, m.IsGenericMethod ? m.GetGenericArguments() : null);
        if (callee != null) { list.Add(callee);
          if (callee is ConstructorInfo ci && ci.DeclaringType == scalarType && m.DeclaringType != scalarType) direct.Add(m);
          if (callee is MethodInfo mi && mi.ReturnType == scalarType && (mi.Name == "op_Implicit" || mi.Name == "ToScalar" || mi.DeclaringType == scalarType && mi.IsStatic)) direct.Add(m); }
      } catch { }
    }
    i += size;
  }
  callees[m] = list;
}
// transitive: a method creates a Scalar if it calls one that does. Stop at methods that take an explicit Scalar and forward (that's the caller's Scalar).
var creates = new HashSet<MethodBase>(direct); bool changed = true;
MethodBase Def(MethodBase m) => m is MethodInfo mi && mi.IsGenericMethod && !mi.IsGenericMethodDefinition ? mi.GetGenericMethodDefinition() : m;
while (changed) { changed = false; foreach (var (m, cs) in callees) if (!creates.Contains(m) && cs.Any(c => creates.Contains(c) || creates.Contains(Def(c)))) { creates.Add(m); changed = true; } }
string P(Type t) => t.IsByRef ? P(t.GetElementType()!) : t.IsArray ? P(t.GetElementType()!) + "[]" : t.IsGenericType ? t.Name.Split('`')[0] + "<" + string.Join(",", t.GetGenericArguments().Select(P)) + ">" : t.Name;
foreach (var m in creates.Where(m => (m.IsPublic || m.IsFamily) && m.DeclaringType!.IsVisible).OrderBy(m => m.DeclaringType!.FullName).ThenBy(m => m.Name))
  Console.WriteLine($"{(direct.Contains(m) ? "D" : "T")}\t{m.DeclaringType!.FullName}\t{m.Name}({string.Join(",", m.GetParameters().Select(p => P(p.ParameterType)))})");
