using System.Management.Automation;

namespace VirtTest.PowerShell;

/// <summary>
/// Base class of every VirtTest cmdlet.
/// </summary>
/// <remarks>
/// Owns a <see cref="CancellationTokenSource"/> that is cancelled when the user presses
/// Ctrl+C (or the pipeline is otherwise stopped: <see cref="StopProcessing"/>), so Core
/// code that takes a <see cref="System.Threading.CancellationToken"/> stops promptly.
/// <para>
/// Derived cmdlets override <see cref="EndProcessingCore"/> instead of
/// <see cref="EndProcessing"/>; the base disposes the token source after it has run.
/// PowerShell also calls <see cref="Dispose()"/> when the command is torn down
/// (including when a downstream <c>Select-Object -First</c> stops it early).
/// </para>
/// </remarks>
public abstract class VirtCmdlet : PSCmdlet, IDisposable
{
    private readonly object _gate = new();
    private CancellationTokenSource? _cts = new();
    private readonly CancellationToken _token;

    protected VirtCmdlet()
    {
        _token = _cts!.Token;
    }

    /// <summary>Cancelled when the pipeline is stopped (Ctrl+C, StopProcessing).</summary>
    protected CancellationToken CancellationToken => _token;

    /// <inheritdoc />
    protected override void StopProcessing()
    {
        lock (_gate)
        {
            _cts?.Cancel();
        }
        base.StopProcessing();
    }

    /// <inheritdoc />
    protected sealed override void EndProcessing()
    {
        try
        {
            EndProcessingCore();
        }
        finally
        {
            DisposeTokenSource();
        }
    }

    /// <summary>End-of-pipeline work of the derived cmdlet.</summary>
    protected virtual void EndProcessingCore()
    {
    }

    /// <summary>
    /// Rethrows <paramref name="ex"/> as a <see cref="PipelineStoppedException"/> when it
    /// is the result of our own cancellation; returns false otherwise.
    /// </summary>
    protected bool IsOwnCancellation(Exception ex) =>
        ex is OperationCanceledException && _token.IsCancellationRequested;

    /// <summary>
    /// Writes a <see cref="VirtTest.Core.Config.ConfigError"/> as a terminating error.
    /// </summary>
    protected void ThrowConfigError(VirtTest.Core.Config.ConfigError error) =>
        ThrowTerminatingError(ErrorRecords.FromConfigError(error));

    /// <summary>
    /// Runs Core async work synchronously on the pipeline thread (cmdlets may only write from
    /// it), observing Ctrl+C. Our own cancellation becomes <see cref="PipelineStoppedException"/>.
    /// </summary>
    protected T Await<T>(Func<CancellationToken, Task<T>> operation)
    {
        try
        {
            return operation(CancellationToken).GetAwaiter().GetResult();
        }
        catch (Exception ex) when (IsOwnCancellation(ex))
        {
            throw new PipelineStoppedException();
        }
    }

    /// <inheritdoc cref="Await{T}(Func{CancellationToken, Task{T}})"/>
    protected void Await(Func<CancellationToken, Task> operation) =>
        Await<bool>(async ct => { await operation(ct).ConfigureAwait(false); return true; });

    /// <summary>
    /// Runs one piece of work for one target; a VirtTest error becomes a non-terminating
    /// error about that target (so the pipeline goes on with the next one). Returns success.
    /// </summary>
    protected bool TryAwait(object? target, Func<CancellationToken, Task> operation)
    {
        try
        {
            Await(operation);
            return true;
        }
        catch (Exception ex) when (ex is VirtTest.Core.VirtTestException or ArgumentException or IOException or TimeoutException)
        {
            WriteError(ErrorRecords.FromException(ex, target));
            return false;
        }
    }

    /// <summary>
    /// <see cref="TryAwait"/> for long work that reports progress: the work runs off the
    /// pipeline thread, and the pipeline thread (the only one allowed to) shows its latest
    /// report every 200 ms through <paramref name="describe"/>.
    /// </summary>
    protected bool TryAwaitWithProgress<TProgress>(object? target, ProgressRecord record,
        Func<IProgress<TProgress>, CancellationToken, Task> operation, Action<ProgressRecord, TProgress> describe)
        where TProgress : class
    {
        var reporter = new LatestProgress<TProgress>();
        var work = Task.Run(() => operation(reporter, CancellationToken));
        try
        {
            while (!work.Wait(200))
            {
                if (reporter.Latest is { } latest) describe(record, latest);
                WriteProgress(record);
            }
        }
        catch (AggregateException)
        {
            // The failure is reported by TryAwait below.
        }
        finally
        {
            record.RecordType = ProgressRecordType.Completed;
            WriteProgress(record);
        }
        return TryAwait(target, _ => work);
    }

    /// <summary>Keeps only the newest report (written on pool threads, read on the pipeline thread).</summary>
    private sealed class LatestProgress<T> : IProgress<T> where T : class
    {
        private T? _latest;
        public T? Latest => Volatile.Read(ref _latest);
        public void Report(T value) => Volatile.Write(ref _latest, value);
    }

    private void DisposeTokenSource()
    {
        lock (_gate)
        {
            _cts?.Dispose();
            _cts = null;
        }
    }

    /// <inheritdoc />
    public void Dispose()
    {
        Dispose(true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Releases the cancellation token source.</summary>
    protected virtual void Dispose(bool disposing)
    {
        if (disposing)
        {
            DisposeTokenSource();
        }
    }
}
