namespace SrTrain.Training;

/// <summary>Small files written so that a crash leaves either the old or the new content, never a torn file.</summary>
public static class AtomicFile
{
    public static void WriteAllText(string path, string text)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        using (var w = new StreamWriter(fs))
        {
            w.Write(text);
            w.Flush();
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }

    public static void WriteAllBytes(string path, byte[] bytes)
    {
        var tmp = path + ".tmp-" + Environment.ProcessId;
        using (var fs = new FileStream(tmp, FileMode.Create, FileAccess.Write))
        {
            fs.Write(bytes);
            fs.Flush(flushToDisk: true);
        }
        File.Move(tmp, path, overwrite: true);
    }
}
