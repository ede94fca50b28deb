using System.Globalization;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner;

/// <summary>
/// Screendumps of the test's VMs every <c>screendump_delay</c> seconds while it runs, when
/// <c>take_regular_screendumps = yes</c>; only the last <c>keep_screendumps</c> (default 10) per VM are kept.
/// </summary>
internal sealed class RegularScreendumps : IAsyncDisposable
{
    private static readonly TimeSpan ScreendumpTimeout = TimeSpan.FromSeconds(15);
    private readonly CancellationTokenSource _stop = new();
    private readonly Task _loop;

    private RegularScreendumps(TestContext context, List<string> screenshots)
    {
        _loop = Task.Run(() => LoopAsync(context, screenshots));
    }

    public static IAsyncDisposable Start(TestContext context, List<string> screenshots) =>
        context.Params.GetBool("take_regular_screendumps") ? new RegularScreendumps(context, screenshots) : NoOp.Instance;

    private async Task LoopAsync(TestContext context, List<string> screenshots)
    {
        var p = context.Params;
        var delay = double.TryParse(p.Get("screendump_delay"), NumberStyles.Float, CultureInfo.InvariantCulture, out var d) && d > 0 ? d : 5;
        var keep = int.TryParse(p.Get("keep_screendumps"), NumberStyles.Integer, CultureInfo.InvariantCulture, out var k) && k > 0 ? k : 10;
        var folder = Path.Combine(context.Directory, "screendumps");
        var taken = new Dictionary<string, Queue<string>>();
        var n = 0;
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(delay), _stop.Token).ConfigureAwait(false);
                n++;
                foreach (var vm in context.Env.Vms)
                {
                    if (vm.State is not (VmState.Running or VmState.Paused) || !vm.Supports(VmCapability.Screendump)) continue;
                    Directory.CreateDirectory(folder);
                    var png = Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"{vm.Name}-{n:D4}.png"));
                    try
                    {
                        // Not cancelled by the test's end: a screendump cut off midway could still be
                        // written by the hypervisor after we stopped counting, and escape keep_screendumps.
                        using var timeout = new CancellationTokenSource(ScreendumpTimeout);
                        await vm.SaveScreenshotAsync(png, timeout.Token).ConfigureAwait(false);
                    }
                    catch (Exception ex) when (ex is VirtTestException or IOException or OperationCanceledException)
                    {
                        continue; // the VM may be going away; the next round tries again
                    }
                    if (!taken.TryGetValue(vm.Name, out var queue)) taken[vm.Name] = queue = new Queue<string>();
                    queue.Enqueue(png);
                    while (queue.Count > keep) File.Delete(queue.Dequeue());
                }
            }
        }
        catch (OperationCanceledException) { }
        lock (screenshots) screenshots.AddRange(taken.Values.SelectMany(q => q));
    }

    public async ValueTask DisposeAsync()
    {
        _stop.Cancel();
        try { await _loop.ConfigureAwait(false); } catch (Exception) { /* screendumps are best effort */ }
        _stop.Dispose();
    }

    private sealed class NoOp : IAsyncDisposable
    {
        public static readonly NoOp Instance = new();
        public ValueTask DisposeAsync() => ValueTask.CompletedTask;
    }
}
