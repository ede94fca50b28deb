using System.Diagnostics;

namespace VirtTest.Core.Resources;

/// <summary>
/// An exclusive lock shared by every process on the host: an open handle on a lock file
/// with <see cref="FileShare.None"/> (an <c>flock</c> on Unix, a share mode on Windows).
/// Each holder opens its own handle, so threads of one process exclude each other too.
/// Held only for short read-modify-write sections; acquisition retries until a deadline.
/// </summary>
internal sealed class CrossProcessLock : IDisposable
{
    public static readonly TimeSpan DefaultTimeout = TimeSpan.FromSeconds(15);

    private FileStream? _handle;

    private CrossProcessLock(FileStream handle) => _handle = handle;

    public static CrossProcessLock Acquire(string lockPath, TimeSpan? timeout = null, CancellationToken ct = default)
    {
        var dir = Path.GetDirectoryName(Path.GetFullPath(lockPath));
        if (!string.IsNullOrEmpty(dir)) Directory.CreateDirectory(dir);
        var limit = timeout ?? DefaultTimeout;
        var clock = Stopwatch.StartNew();
        var delay = 2;
        while (true)
        {
            ct.ThrowIfCancellationRequested();
            try
            {
                return new CrossProcessLock(new FileStream(lockPath, FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None, 1));
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException && clock.Elapsed < limit)
            {
                // Held by another process or thread: try again shortly (with jitter, so waiters do not march in step).
            }
            catch (IOException ex) when (ex is not FileNotFoundException and not DirectoryNotFoundException)
            {
                throw new ResourceException("lock", $"Could not lock '{lockPath}' within {limit.TotalSeconds:0.#} s: another process keeps holding it ({ex.Message}).", ex);
            }
            catch (UnauthorizedAccessException ex)
            {
                throw new ResourceException("lock", $"Could not open the lock file '{lockPath}': {ex.Message}", ex);
            }
            if (ct.WaitHandle.WaitOne(delay + Random.Shared.Next(delay))) ct.ThrowIfCancellationRequested();
            delay = Math.Min(delay * 2, 50);
        }
    }

    public void Dispose()
    {
        _handle?.Dispose();
        _handle = null;
    }
}
