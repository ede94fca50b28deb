using System.Diagnostics;
using System.Text.RegularExpressions;
using VirtTest.Core.Config;
using VirtTest.Core.Session;
using VirtTest.Core.Vm;
using Xunit;

namespace VirtTest.Core.Tests.Vm;

/// <summary>Guest-booting tests run one after another: two cores, and each boot is CPU-bound (TCG).</summary>
[CollectionDefinition("Guest", DisableParallelization = true)]
public sealed class GuestCollection { }

/// <summary>A test-guest VM for one test, killed and gone when the test ends, pass or fail.</summary>
internal sealed class GuestVm : IAsyncDisposable
{
    public static readonly TimeSpan BootTimeout = TimeSpan.FromSeconds(90);
    private readonly List<SerialSession> _consoles = new();

    private GuestVm(VirtualMachine vm, TestGuest guest)
    {
        Vm = vm;
        Guest = guest;
    }

    public VirtualMachine Vm { get; }
    public TestGuest Guest { get; }

    public static GuestVm Create(string name, Action<VirtParams>? configure = null)
    {
        var guest = TestGuest.Locate();
        var p = guest.CreateParams(name);
        configure?.Invoke(p);
        return new GuestVm(VirtualMachine.FromParams(p, name), guest);
    }

    public static async Task<GuestVm> BootAsync(string name, Action<VirtParams>? configure = null)
    {
        var g = Create(name, configure);
        try
        {
            await g.Vm.StartAsync();
            await g.Vm.WaitForConsoleAsync(new Regex(Regex.Escape(g.Guest.ReadyLine)), BootTimeout);
            return g;
        }
        catch
        {
            await g.DisposeAsync();
            throw;
        }
    }

    /// <summary>Opens the serial console and waits for the shell prompt.</summary>
    public async Task<SerialSession> ConsoleAsync()
    {
        var console = await SerialSession.ConnectAsync(Vm, new Regex(Guest.ShellPrompt), TimeSpan.FromSeconds(10));
        _consoles.Add(console);
        // The ready line may have been printed before we connected: ask for a fresh prompt.
        await console.WaitForPromptAsync(TimeSpan.FromSeconds(30));
        return console;
    }

    public async Task<string> RunAsync(SerialSession console, string command)
    {
        var r = await console.CmdStatusOutputAsync(command, TimeSpan.FromSeconds(30));
        Assert.True(r.ExitCode == 0, $"'{command}' exited with {r.ExitCode}: {r.Output}");
        return r.Output.Trim();
    }

    public static bool ProcessAlive(int pid)
    {
        try
        {
            using var p = Process.GetProcessById(pid);
            return !p.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var c in _consoles) await c.DisposeAsync();
        await Vm.DisposeAsync();
    }
}
