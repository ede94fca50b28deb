using System.Diagnostics;
using System.Net.Sockets;
using System.Text;
using System.Text.RegularExpressions;
using Renci.SshNet;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;

namespace VirtTest.Bench;

/// <summary>
/// Cmd('true') round trips on one booted test guest, over the serial console and over SSH,
/// each beside a minimal raw client on the same transport in the same run (alternating rounds):
/// raw serial = write a line with an echo of $?, read until it; raw SSH = SSH.NET RunCommand.
/// </summary>
internal static class SessionBench
{
    public static async Task<int> RunAsync(int calls, int rounds, bool ssh = true)
    {
        Console.WriteLine($"Session benchmark: {calls} x Cmd('true') per round, {rounds} rounds, medians");
        var guest = TestGuest.Locate();
        await using var vm = VirtualMachine.FromParams(guest.CreateParams("sbench"), "sbench");
        await vm.StartAsync();
        await vm.WaitForConsoleAsync(new Regex(Regex.Escape(guest.ReadyLine)), TimeSpan.FromSeconds(120));
        var prompt = new Regex(guest.ShellPrompt);
        var timeout = TimeSpan.FromSeconds(60);

        var serial = new List<double>();
        var rawSerial = new List<double>();
        var rawFramed = new List<double>();
        var sshTimes = new List<double>();
        var rawSsh = new List<double>();
        var endpoint = vm.GetGuestPortEndpoint(22) ?? throw new InvalidOperationException("no SSH port forward");
        for (var r = 0; r < rounds; r++)
        {
            await using (var s = await SerialSession.ConnectAsync(vm, prompt, timeout))
            {
                await s.WaitForPromptAsync(timeout);
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++) await s.CmdAsync("true", timeout);
                serial.Add(sw.Elapsed.TotalMilliseconds);
            }
            rawSerial.Add(await RawSerialAsync(vm.SerialConsolePath!, calls, framed: false, firstId: 0));
            rawFramed.Add(await RawSerialAsync(vm.SerialConsolePath!, calls, framed: true, firstId: r * calls + 1));
            if (!ssh) continue;

            await using (var s = await SshSession.ConnectAsync(new SshConnectionOptions
            {
                Host = endpoint.Host, Port = endpoint.Port, UserName = guest.UserName, Password = guest.Password, ShellPrompt = prompt,
            }, timeout))
            {
                var sw = Stopwatch.StartNew();
                for (var i = 0; i < calls; i++) await s.CmdAsync("true", timeout);
                sshTimes.Add(sw.Elapsed.TotalMilliseconds);
            }
            rawSsh.Add(RawSsh(endpoint.Host, endpoint.Port, guest.UserName, guest.Password, calls));
        }
        Report("serial", Median(serial), Median(rawSerial), calls);
        // The guest's line editor echoes every typed byte through the emulated UART, so the length of
        // the command line is most of a command's cost: the raw client typing VirtTest's framing
        // (start and end marker) separates what the framing costs from what the code costs.
        Console.WriteLine($"  (raw client typing VirtTest's command framing: {Median(rawFramed) / calls:F2} ms/cmd; VirtTest/that = {Median(serial) / Median(rawFramed):F3})");
        if (ssh) Report("SSH", Median(sshTimes), Median(rawSsh), calls);
        return 0;
    }

    private static void Report(string transport, double ours, double raw, int calls) =>
        Console.WriteLine($"  {transport}: VirtTest {ours / calls:F2} ms/cmd, raw client {raw / calls:F2} ms/cmd, overhead ratio {ours / raw:F3} (target <= 1.10)");

    /// <summary>
    /// The least a serial client can do: one line out with the status echoed, read until it, and
    /// answer the cursor position query busybox's line editor sends after the prompt, as any
    /// terminal does. Without that answer the editor sleeps 20 ms after reading the next line
    /// whenever that line arrived after the query, so the raw figure was a coin toss between
    /// ~3 ms (line typed ahead of the prompt) and ~24 ms per command.
    /// </summary>
    private static async Task<double> RawSerialAsync(string socketPath, int calls, bool framed, int firstId)
    {
        using var socket = new Socket(AddressFamily.Unix, SocketType.Stream, ProtocolType.Unspecified);
        await socket.ConnectAsync(new UnixDomainSocketEndPoint(socketPath));
        await using var stream = new NetworkStream(socket);
        var buffer = new byte[4096];
        var seen = new StringBuilder();
        async Task WaitForAsync(string text)
        {
            int at;
            while ((at = seen.ToString().IndexOf(text, StringComparison.Ordinal)) < 0)
            {
                var n = await stream.ReadAsync(buffer);
                if (n == 0) throw new IOException("console closed");
                seen.Append(Encoding.UTF8.GetString(buffer, 0, n));
            }
            seen.Remove(0, at + text.Length); // the query may have come in the same chunk
        }
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            if (framed)
            {
                var id = Base36(firstId + i); // the same ids (and lengths) VirtTest's session used in this round
                await stream.WriteAsync(Encoding.UTF8.GetBytes($"echo V''{id};true;echo V$?E{id}\n"));
                await WaitForAsync($"V0E{id}\r\n");
            }
            else
            {
                await stream.WriteAsync(Encoding.UTF8.GetBytes("true; echo R$((1+$?))\n"));
                await WaitForAsync("R1");
            }
            await WaitForAsync("\x1b[6n");
            await stream.WriteAsync("\x1b[1;1R"u8.ToArray());
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    private static string Base36(int n)
    {
        var text = "";
        do
        {
            text = "0123456789abcdefghijklmnopqrstuvwxyz"[n % 36] + text;
            n /= 36;
        }
        while (n > 0);
        return text;
    }

    private static double RawSsh(string host, int port, string user, string password, int calls)
    {
        using var client = new SshClient(host, port, user, password);
        client.Connect();
        var sw = Stopwatch.StartNew();
        for (var i = 0; i < calls; i++)
        {
            using var cmd = client.RunCommand("true");
            if (cmd.ExitStatus != 0) throw new InvalidOperationException("true failed");
        }
        return sw.Elapsed.TotalMilliseconds;
    }

    private static double Median(List<double> values)
    {
        var sorted = values.OrderBy(v => v).ToList();
        return sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[sorted.Count / 2 - 1] + sorted[sorted.Count / 2]) / 2;
    }
}
