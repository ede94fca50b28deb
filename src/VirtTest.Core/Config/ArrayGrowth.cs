namespace VirtTest.Core.Config;

/// <summary>
/// Grows the engine's hand-kept arrays. The framework's <c>Array.Resize</c> and <c>List&lt;T&gt;</c>
/// over this assembly's structs are generic code ReadyToRun cannot precompile (it would be compiled
/// at run time on the first parse of every session); this method, and its instantiations over
/// the engine's own types, are precompiled with the assembly.
/// </summary>
internal static class ArrayGrowth
{
    /// <summary>A new array twice as long holding the first <paramref name="count"/> items.</summary>
    public static T[] Doubled<T>(T[] items, int count)
    {
        var bigger = new T[Math.Max(items.Length * 2, 4)];
        Array.Copy(items, bigger, count);
        return bigger;
    }
}
