using System.Text;

namespace VirtTest.Core.Tests.Config;

/// <summary>Large configs made on the fly, whose dict count is known in advance.</summary>
internal static class GeneratedTrees
{
    /// <summary><paramref name="blocks"/> variants blocks of <paramref name="variants"/> variants each (variants^blocks dicts).</summary>
    public static string Blocks(int blocks, int variants)
    {
        var sb = new StringBuilder();
        sb.AppendLine("base = 1");
        for (var b = 0; b < blocks; b++)
        {
            sb.AppendLine(b % 2 == 0 ? "variants:" : $"variants blk{b}:");
            for (var v = 0; v < variants; v++)
            {
                sb.AppendLine($"    - b{b}v{v}:");
                sb.AppendLine($"        key{b} = {v}");
                sb.AppendLine($"        acc += .{v}");
            }
        }
        return sb.ToString();
    }
}
