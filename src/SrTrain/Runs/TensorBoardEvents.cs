using System.Buffers.Binary;
using SrTrain.Runtime;

namespace SrTrain.Runs;

/// <summary>TensorBoard event files (TFRecord framing of <c>tensorboard.Event</c> protobufs): drop the events after a
/// step. Each record is kept byte for byte (its CRCs stay valid) or left out.</summary>
internal static class TensorBoardEvents
{
    /// <summary>Removes from every event file in <paramref name="dir"/> the events with a step above
    /// <paramref name="step"/>. A torn last record (a kill while writing) is dropped too.</summary>
    public static void DropAfter(string dir, long step)
    {
        if (!Directory.Exists(dir)) return;
        foreach (var file in Directory.EnumerateFiles(dir, "events.out.tfevents.*"))
        {
            var bytes = SharedRead.ReadAllBytes(file);
            var kept = new MemoryStream();
            bool changed = false;
            int end = 0;
            foreach (var r in Records(bytes))
            {
                end = r.End;
                if (global::Tensorboard.Event.Parser.ParseFrom(r.Data).Step > step)
                {
                    changed = true;
                    continue;
                }
                kept.Write(bytes, r.Start, r.End - r.Start);
            }
            if (!changed && end == bytes.Length) continue;
            DurableFs.WriteAllBytesAtomically(file, kept.ToArray());
        }
    }

    internal readonly record struct Record(int Start, int End, byte[] Data);

    /// <summary>The file's records in order; a torn last one is left out.</summary>
    internal static IEnumerable<Record> Records(byte[] bytes)
    {
        int at = 0;
        // Frame: uint64 length, uint32 masked CRC of the length, data, uint32 masked CRC of the data.
        while (at + 12 <= bytes.Length)
        {
            long length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes.AsSpan(at));
            if (length < 0 || at + 12 + length + 4 > bytes.Length) yield break;
            var data = bytes.AsSpan(at + 12, (int)length).ToArray();
            int end = at + 12 + (int)length + 4;
            yield return new Record(at, end, data);
            at = end;
        }
    }
}
