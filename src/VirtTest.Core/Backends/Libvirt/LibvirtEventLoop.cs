using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace VirtTest.Core.Backends.Libvirt;

/// <summary>
/// libvirt's default event loop, run on one background thread for the whole process. It must
/// be registered before the first connection is opened: nonblocking streams (console) and
/// domain events are delivered by it. Also silences libvirt's default error printer, since
/// every error is reported through <see cref="LibvirtException"/> instead.
/// </summary>
internal static class LibvirtEventLoop
{
    private static readonly object Gate = new();
    private static bool _started;

    public static unsafe void EnsureStarted()
    {
        lock (Gate)
        {
            if (_started) return;
            try
            {
                LibvirtNative.virSetErrorFunc(IntPtr.Zero, &IgnoreError);
                if (LibvirtNative.virEventRegisterDefaultImpl() < 0) throw LibvirtException.FromLastError("register the event loop");
            }
            catch (DllNotFoundException ex)
            {
                throw new LibvirtException("load libvirt.so.0", -1, -1,
                    "the libvirt client library is not installed (Debian package libvirt0): " + ex.Message);
            }
            var thread = new Thread(Run) { IsBackground = true, Name = "libvirt event loop" };
            thread.Start();
            _started = true;
        }
    }

    private static void Run()
    {
        while (true)
        {
            // Returns after each dispatched event (or error); a failing iteration must not spin.
            if (LibvirtNative.virEventRunDefaultImpl() < 0) Thread.Sleep(10);
        }
    }

    [UnmanagedCallersOnly(CallConvs = new[] { typeof(CallConvCdecl) })]
    private static void IgnoreError(IntPtr userData, IntPtr error) { }
}
