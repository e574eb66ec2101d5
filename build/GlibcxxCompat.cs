// Shared by the build (as an MSBuild inline task, see GlibcxxCompat.targets) and by the SrTrain library
// (Runtime/NativeRuntime.cs compiles this file too, with SRTRAIN_LIBRARY defined).
//
// Why this exists: TorchSharp 0.107's libLibTorchSharp.so lists GLIBCXX_3.4.32 in its version needs, but Debian 12's
// libstdc++ stops at GLIBCXX_3.4.30, so the dynamic loader refuses the library (and TorchSharp then wrongly blames a
// missing libtorch package). The only symbol tied to that version is std::ios_base_library_init(), a link-time marker
// that no relocation uses. Marking the version need weak (VER_FLG_WEAK in .gnu.version_r) turns the loader's hard error
// into nothing, and the library then loads and runs correctly. We only ever patch the copy in a build output folder,
// never the NuGet cache or the system.
#nullable enable
using System;
using System.IO;
using System.Text;

namespace SrTrain.Runtime
{
    public static class GlibcxxCompat
    {
        public const string NeededVersion = "GLIBCXX_3.4.32";
        const ushort VerFlgWeak = 0x2;
        const uint ShtGnuVerneed = 0x6ffffffe;

        static readonly string[] LibStdCxxCandidates =
        {
            "/lib/x86_64-linux-gnu/libstdc++.so.6", "/usr/lib/x86_64-linux-gnu/libstdc++.so.6",
            "/lib/aarch64-linux-gnu/libstdc++.so.6", "/usr/lib/aarch64-linux-gnu/libstdc++.so.6",
            "/usr/lib64/libstdc++.so.6", "/lib64/libstdc++.so.6", "/usr/lib/libstdc++.so.6",
        };

        /// <summary>The system libstdc++ the loader would pick, or null when none is found (not Linux, say).</summary>
        public static string? FindSystemLibStdCxx()
        {
            foreach (var p in LibStdCxxCandidates)
                if (File.Exists(p)) return p;
            return null;
        }

        /// <summary>True when the given shared library defines the version string (a plain byte search of its version
        /// definitions is enough: the name only appears in .dynstr when it is defined or needed).</summary>
#pragma warning disable RS0030 // Linux-only ELF files, also compiled into the netstandard build task (no SharedRead there)
        public static bool LibraryHasVersion(string path, string version)
        {
            var bytes = File.ReadAllBytes(path);
            var needle = Encoding.ASCII.GetBytes(version + "\0");
            return IndexOf(bytes, needle) >= 0;
        }

        public enum PatchResult { NotNeeded, AlreadyWeak, Patched }

        /// <summary>Marks the version need <paramref name="version"/> weak in an ELF64 little-endian file, in place
        /// (written to a temporary file and renamed over, so a hard link to a shared copy is never modified).</summary>
        public static PatchResult WeakenVersionNeed(string path, string version)
        {
            var elf = File.ReadAllBytes(path);
            var result = WeakenVersionNeed(elf, version);
            if (result == PatchResult.Patched)
            {
                var tmp = path + ".srtrain-tmp";
                File.WriteAllBytes(tmp, elf);
                File.Delete(path); // the build task runs on netstandard, which has no Move(..., overwrite)
                File.Move(tmp, path);
            }
            return result;
        }

        /// <summary>Same as above, on the bytes of the file.</summary>
        public static PatchResult WeakenVersionNeed(byte[] elf, string version)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException("not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException("only 64-bit little-endian ELF files are supported");

            ulong shoff = BitConverter.ToUInt64(elf, 0x28);
            int shentsize = BitConverter.ToUInt16(elf, 0x3A);
            int shnum = BitConverter.ToUInt16(elf, 0x3C);
            var result = PatchResult.NotNeeded;
            for (int i = 0; i < shnum; i++)
            {
                int sh = checked((int)shoff + i * shentsize);
                if (BitConverter.ToUInt32(elf, sh + 4) != ShtGnuVerneed) continue;
                int secOff = checked((int)BitConverter.ToUInt64(elf, sh + 0x18));
                int link = (int)BitConverter.ToUInt32(elf, sh + 0x28);
                int strOff = checked((int)BitConverter.ToUInt64(elf, checked((int)shoff + link * shentsize) + 0x18));

                // Elf64_Verneed: vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32.
                // Elf64_Vernaux: vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32.
                int vn = secOff;
                while (true)
                {
                    int cnt = BitConverter.ToUInt16(elf, vn + 2);
                    int aux = vn + (int)BitConverter.ToUInt32(elf, vn + 8);
                    for (int a = 0; a < cnt; a++)
                    {
                        string name = ReadCString(elf, strOff + (int)BitConverter.ToUInt32(elf, aux + 8));
                        if (name == version)
                        {
                            ushort flags = BitConverter.ToUInt16(elf, aux + 4);
                            if ((flags & VerFlgWeak) != 0)
                            {
                                if (result == PatchResult.NotNeeded) result = PatchResult.AlreadyWeak;
                            }
                            else
                            {
                                BitConverter.GetBytes((ushort)(flags | VerFlgWeak)).CopyTo(elf, aux + 4);
                                result = PatchResult.Patched;
                            }
                        }
                        uint nextAux = BitConverter.ToUInt32(elf, aux + 12);
                        if (nextAux == 0) break;
                        aux += (int)nextAux;
                    }
                    uint next = BitConverter.ToUInt32(elf, vn + 12);
                    if (next == 0) break;
                    vn += (int)next;
                }
            }
            return result;
        }

        static string ReadCString(byte[] b, int at)
        {
            int end = at;
            while (end < b.Length && b[end] != 0) end++;
            return Encoding.ASCII.GetString(b, at, end - at);
        }

        static int IndexOf(byte[] hay, byte[] needle)
        {
            for (int i = 0; i + needle.Length <= hay.Length; i++)
            {
                if (hay[i] != needle[0]) continue;
                int j = 1;
                while (j < needle.Length && hay[i + j] == needle[j]) j++;
                if (j == needle.Length) return i;
            }
            return -1;
        }
    }
}

#if !SRTRAIN_LIBRARY
namespace SrTrain.Build
{
    using Microsoft.Build.Framework;
    using Microsoft.Build.Utilities;
    using SrTrain.Runtime;

    /// <summary>After the build copies TorchSharp's natives, makes libLibTorchSharp.so loadable on this machine when
    /// the system libstdc++ lacks GLIBCXX_3.4.32. Machines that have it are left alone.</summary>
    public class WeakenGlibcxxNeed : Task
    {
        [Required] public string OutputDirectory { get; set; } = "";

        public override bool Execute()
        {
            if (!Directory.Exists(OutputDirectory)) return true;
            var libs = Directory.GetFiles(OutputDirectory, "libLibTorchSharp.so", SearchOption.AllDirectories);
            if (libs.Length == 0) return true;
            var system = GlibcxxCompat.FindSystemLibStdCxx();
            if (system == null) return true; // not a glibc Linux: nothing to do
            if (GlibcxxCompat.LibraryHasVersion(system, GlibcxxCompat.NeededVersion))
            {
                Log.LogMessage(MessageImportance.Normal, $"SrTrain: {system} has {GlibcxxCompat.NeededVersion}; libLibTorchSharp.so left as shipped.");
                return true;
            }
            foreach (var lib in libs)
            {
                var r = GlibcxxCompat.WeakenVersionNeed(lib, GlibcxxCompat.NeededVersion);
                if (r == GlibcxxCompat.PatchResult.Patched)
                    Log.LogMessage(MessageImportance.High, $"SrTrain: {system} lacks {GlibcxxCompat.NeededVersion}; marked that version need weak in the build's copy {lib} (see README, 'Debian 12 and libstdc++').");
            }
            return true;
        }
    }
}
#endif
