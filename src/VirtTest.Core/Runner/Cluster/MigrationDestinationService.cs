using System.Globalization;
using System.Net;
using System.Net.NetworkInformation;
using System.Net.Sockets;
using System.Text.Json;
using System.Text.Json.Nodes;
using VirtTest.Core.Resources;
using VirtTest.Core.Vm;

namespace VirtTest.Core.Runner.Cluster;

/// <summary>
/// The helper a cross-node migration test starts on the second node of its allocation
/// (<c>Invoke-VirtTestJob -MigrationDestination</c>, through srun): starts the test's main VM
/// there paused and waiting for the migration stream on this node's address, serves its serial
/// console on a TCP port, announces both, then answers the test's node line by line
/// (<c>wait-migrated</c>: continue the guest once it has arrived; <c>state</c>; <c>stop</c>).
/// The end of its input stops it as well; the VM is killed whatever happens.
/// </summary>
public static class MigrationDestinationService
{
    public static async Task RunAsync(ClusterJobSpec spec, TextReader input, TextWriter output, CancellationToken ct)
    {
        void Send(JsonObject message)
        {
            lock (output)
            {
                output.WriteLine(message.ToJsonString());
                output.Flush();
            }
        }

        var (jobId, attempt, node) = ClusterTestJob.Identity();
        VirtualMachine? vm = null;
        ConsoleRelay? relay = null;
        PortReservation? port = null;
        try
        {
            var test = spec.ToParams();
            var vmName = test.Get("main_vm") is { Length: > 0 } main ? main : VirtualMachine.VmNames(test)[0];
            var address = await OwnAddressAsync(node, ct).ConfigureAwait(false);
            var attemptPath = ClusterLayout.AttemptFolder(spec.ResultsPath, jobId, attempt);
            // The destination's console log goes into the test's folder, so the result lists it.
            var testDirectory = new ResultsFolder(attemptPath).TestDirectory(1, test.ShortName);
            var env = new TestEnv(0, Path.Combine(attemptPath, "images", "destination"), Path.Combine(attemptPath, "console"));
            var vmParams = EnvProcessor.VmParams(test, vmName, env);
            var backend = BackendRegistry.ForParams(vmParams, vmName);
            if (!backend.GetCapabilities(vmParams).HasFlag(VmCapability.MigrationToHost))
                throw new NotSupportedByBackendException(backend.Name, VmCapability.MigrationToHost);
            port = PortAllocator.ReservePort();
            vmParams["console_log_file"] = Path.Combine(testDirectory, $"{vmName}-console-{node}.log");
            vm = VirtualMachine.FromParams(vmParams, vmName);
            // The port stays reserved (no other reservation takes it) until QEMU listens on it.
            await vm.StartIncomingMigrationAsync(TcpUri(address, port.Port), ct).ConfigureAwait(false);
            var listener = new TcpListener(IPAddress.Parse(address), 0);
            listener.Start();
            relay = new ConsoleRelay(listener, vm);
            Send(new JsonObject
            {
                ["event"] = "ready",
                ["node"] = node,
                ["address"] = address,
                ["migrationUri"] = TcpUri(address, port.Port),
                ["consolePort"] = ((IPEndPoint)listener.LocalEndpoint).Port,
                ["vm"] = vmName,
            });

            while (await input.ReadLineAsync(ct).ConfigureAwait(false) is { } line)
            {
                JsonObject? command;
                try { command = JsonNode.Parse(line) as JsonObject; }
                catch (JsonException) { continue; }
                switch (command?["cmd"]?.GetValue<string>())
                {
                    case "wait-migrated":
                        var seconds = command["timeoutSec"]?.GetValue<double>() ?? 30;
                        try
                        {
                            Send(new JsonObject { ["event"] = "running", ["status"] = await ContinueAfterMigrationAsync(vm, TimeSpan.FromSeconds(seconds), ct).ConfigureAwait(false) });
                        }
                        catch (VirtTestException ex)
                        {
                            Send(new JsonObject { ["event"] = "error", ["message"] = ex.Message });
                        }
                        break;
                    case "state":
                        try
                        {
                            Send(new JsonObject { ["event"] = "state", ["status"] = await StatusAsync(vm, ct).ConfigureAwait(false) });
                        }
                        catch (VirtTestException ex)
                        {
                            Send(new JsonObject { ["event"] = "error", ["message"] = ex.Message });
                        }
                        break;
                    case "stop":
                        return;
                }
            }
        }
        catch (Exception ex) when (ex is not OperationCanceledException)
        {
            Send(new JsonObject { ["event"] = "error", ["message"] = TestRun.OneLine(ex.Message) });
        }
        finally
        {
            if (relay is not null) await relay.DisposeAsync().ConfigureAwait(false);
            if (vm is not null) await vm.DisposeAsync().ConfigureAwait(false);
            port?.Dispose();
            try { Send(new JsonObject { ["event"] = "stopped" }); } catch (IOException) { /* nobody listens any more */ }
        }
    }

    private static string TcpUri(string address, int port) =>
        "tcp:" + (address.Contains(':', StringComparison.Ordinal) ? "[" + address + "]" : address) + ":" + port.ToString(CultureInfo.InvariantCulture);

    /// <summary>Waits until the migration stream has been loaded, then continues the guest.</summary>
    private static async Task<string> ContinueAfterMigrationAsync(VirtualMachine vm, TimeSpan timeout, CancellationToken ct)
    {
        try
        {
            await vm.CompleteIncomingMigrationAsync(timeout, ct).ConfigureAwait(false);
        }
        catch (Monitor.MonitorTimeoutException)
        {
            throw new MigrationDestinationException(Environment.MachineName, $"VM '{vm.Name}' was still receiving the migration after {timeout.TotalSeconds:0} s.");
        }
        return await StatusAsync(vm, ct).ConfigureAwait(false);
    }

    /// <summary>The VM's state as the hypervisor reports it now: running, paused, ...</summary>
    private static async Task<string> StatusAsync(VirtualMachine vm, CancellationToken ct)
    {
        var state = await vm.RefreshStateAsync(ct).ConfigureAwait(false);
        if (state is VmState.Dead or VmState.Stopped) throw new VmStateException(vm.Name, vm.State, "migrate to", vm.DeathReason);
        return state.ToString().ToLowerInvariant();
    }

    /// <summary>This node's address as Slurm knows it (NodeAddr); else its first IPv4 address that is not loopback.</summary>
    private static async Task<string> OwnAddressAsync(string node, CancellationToken ct)
    {
        try
        {
            var nodes = await new SlurmClient().GetNodesAsync(ct).ConfigureAwait(false);
            if (nodes.FirstOrDefault(n => n.Name == node)?.Address is { Length: > 0 } address)
            {
                if (IPAddress.TryParse(address, out _)) return address;
                var resolved = await Dns.GetHostAddressesAsync(address, ct).ConfigureAwait(false);
                if (resolved.FirstOrDefault(a => a.AddressFamily == AddressFamily.InterNetwork) is { } v4) return v4.ToString();
            }
        }
        catch (SlurmException) { /* no client on the node: look at the interfaces */ }
        foreach (var nic in NetworkInterface.GetAllNetworkInterfaces())
        {
            if (nic.OperationalStatus != OperationalStatus.Up || nic.NetworkInterfaceType == NetworkInterfaceType.Loopback) continue;
            foreach (var a in nic.GetIPProperties().UnicastAddresses)
                if (a.Address.AddressFamily == AddressFamily.InterNetwork) return a.Address.ToString();
        }
        throw new MigrationDestinationException(node, $"Node {node} has no address other nodes could migrate to.");
    }
}
