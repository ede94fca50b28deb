namespace VirtTest.Core.Storage;

/// <summary>How far a long qemu-img operation (convert, commit, rebase) has come, from its <c>-p</c> output.</summary>
public sealed record ImageProgress(string Operation, string Image, double Percent);
