namespace VirtTest.Core.Vm;

/// <summary>
/// Operations a backend may or may not be able to carry out. Each backend (and each VM,
/// since e.g. a Xen PV guest can do less than an HVM one) reports the set it supports.
/// </summary>
[Flags]
public enum VmCapability : long
{
    None = 0,
    /// <summary>Listing the PCI devices of a running VM.</summary>
    PciInfo = 1L << 0,
    /// <summary>Adding and removing emulated PCI devices (NICs, disks, ... by device model) on a running VM.</summary>
    PciHotplug = 1L << 1,
    /// <summary>Saving the display as an image.</summary>
    Screendump = 1L << 2,
    /// <summary>Sending key presses.</summary>
    SendKey = 1L << 3,
    /// <summary>Moving the mouse pointer.</summary>
    Mouse = 1L << 4,
    /// <summary>Pausing and resuming the virtual CPUs.</summary>
    Pause = 1L << 5,
    /// <summary>System reset.</summary>
    Reset = 1L << 6,
    /// <summary>ACPI power button (graceful shutdown request).</summary>
    Powerdown = 1L << 7,
    /// <summary>Live migration.</summary>
    Migration = 1L << 8,
    /// <summary>Live migration that also copies the disks (non-shared storage).</summary>
    MigrationWithDiskCopy = 1L << 9,
    /// <summary>A serial console the framework can read and write.</summary>
    SerialConsole = 1L << 10,
    /// <summary>Raw monitor commands (the escape hatch).</summary>
    RawMonitor = 1L << 11,
    /// <summary>Asynchronous events (device deleted, stop, resume, shutdown, ...).</summary>
    Events = 1L << 12,
    /// <summary>Attaching and detaching host PCI devices (passthrough, model <c>passthrough</c>) on a running VM.</summary>
    PciPassthrough = 1L << 13,
    /// <summary>NICs on a host bridge (<c>nettype = bridge</c>, <c>netdst</c>).</summary>
    BridgeNetwork = 1L << 14,
    /// <summary>NICs on a libvirt network (<c>nettype = network</c>, <c>netdst</c>).</summary>
    LibvirtNetwork = 1L << 15,
    /// <summary>Guest TCP ports forwarded to the host's loopback under user-mode networking (<c>redirs</c>).</summary>
    PortForward = 1L << 16,
    /// <summary>Multi-queue NICs (<c>queues</c> &gt; 1).</summary>
    MultiQueueNic = 1L << 17,
    /// <summary>The hypervisor reports the guest's addresses (libvirt's interface-address API: lease, agent, ARP).</summary>
    GuestAddressQuery = 1L << 18,
    /// <summary>A hot-plugged network card gets a network backend of its own (carries traffic).</summary>
    NicHotplugNetwork = 1L << 19,
    /// <summary>Listing the disks of a running VM.</summary>
    BlockInfo = 1L << 20,
    /// <summary>Hot-plugging and unplugging disk images on a running VM.</summary>
    DiskHotplug = 1L << 21,
    /// <summary>Live external snapshots: a running VM's disk continues on a new overlay file.</summary>
    LiveSnapshot = 1L << 22,
    /// <summary>Block jobs on a running VM's disks: stream, commit, mirror (with completion and cancel).</summary>
    BlockJobs = 1L << 23,
    /// <summary>Listing the CD-ROM drives (<c>cdroms</c>) of a running VM and changing their media (insert an ISO, eject).</summary>
    CdromChange = 1L << 24,
    /// <summary>
    /// Live migration between hosts through a waiting destination: a VM started to receive a
    /// migration stream at a URI on one host, another VM sending itself there from another host.
    /// </summary>
    MigrationToHost = 1L << 25,
}
