#!/bin/bash
# A private libvirtd (QEMU driver) for the tests, used by the xunit fixture and the Pester
# helper alike:
#   libvirt-daemon.sh start DIR [NETNS [SUBNET]]
#                                 -> starts it, prints its connection URI. With NETNS it runs
#                                    in that network namespace (a test network's: its QEMUs,
#                                    taps and libvirt networks stay in there); with SUBNET too
#                                    (a /24, e.g. 10.231.7.0/24) it starts a NAT network named
#                                    "virttest" on bridge NETNS-lv (.1, DHCP .100-.199, libvirt's
#                                    own dnsmasq) inside that namespace.
#   libvirt-daemon.sh stop DIR    -> destroys and undefines its domains and networks, stops it, removes DIR
# The daemon runs in its own mount namespace with DIR's subfolders bound over /etc/libvirt,
# /run/libvirt, /var/lib/libvirt, /var/log/libvirt and /var/cache/libvirt: its config, sockets
# and state are all in DIR, and the host's libvirt (if any) is untouched. QEMU runs as root and
# writes its own logs (stdio_handler = "file"), so no virtlogd is needed.
set -euo pipefail

cmd=${1:-}
dir=${2:-}
netns=${3:-}
subnet=${4:-}
[ -n "$cmd" ] && [ -n "$dir" ] || { echo "usage: $0 start DIR [NETNS [SUBNET]] | stop DIR" >&2; exit 2; }
case "$dir" in /*) ;; *) echo "$0: DIR must be an absolute path: $dir" >&2; exit 2 ;; esac
socket="$dir/run/libvirt-sock"
uri="qemu:///system?socket=$socket"

# Waits without a sleep process (tests look for stray sleep processes).
pause() { read -rt "$1" <> <(:) || true; }

inside() {
    # Runs in the new mount namespace: bind the private folders, then start the daemon.
    for sub in etc run lib log cache; do mkdir -p "$dir/$sub"; done
    mkdir -p /etc/libvirt /run/libvirt /var/lib/libvirt /var/log/libvirt /var/cache/libvirt
    mount --bind "$dir/etc" /etc/libvirt
    mount --bind "$dir/run" /run/libvirt
    mount --bind "$dir/lib" /var/lib/libvirt
    mount --bind "$dir/log" /var/log/libvirt
    mount --bind "$dir/cache" /var/cache/libvirt
    exec libvirtd --pid-file "$dir/libvirtd.pid" --daemon
}

start() {
    command -v libvirtd >/dev/null || { echo "$0: libvirtd is not installed (Debian: libvirt-daemon libvirt-daemon-driver-qemu libvirt-clients)" >&2; exit 1; }
    # The QEMU driver resolves its compiled-in default user and group before reading
    # qemu.conf, so they must exist even though qemu.conf below runs QEMU as root.
    getent group kvm >/dev/null || groupadd --system kvm
    getent group libvirt-qemu >/dev/null || groupadd --system libvirt-qemu
    getent passwd libvirt-qemu >/dev/null || useradd --system --no-create-home --home-dir /var/lib/libvirt --shell /usr/sbin/nologin -g libvirt-qemu -G kvm libvirt-qemu
    mkdir -p "$dir/etc"
    chmod 700 "$dir"
    cat > "$dir/etc/qemu.conf" <<'CONF'
user = "root"
group = "root"
dynamic_ownership = 0
stdio_handler = "file"
security_driver = "none"
CONF
    cat > "$dir/etc/libvirtd.conf" <<'CONF'
unix_sock_dir = "/run/libvirt"
unix_sock_rw_perms = "0700"
log_outputs = "3:file:/var/log/libvirt/libvirtd.log"
CONF
    # Each daemon its own host UUID: libvirt refuses to migrate between equal ones.
    printf 'host_uuid = "%s"\n' "$(cat /proc/sys/kernel/random/uuid)" >> "$dir/etc/libvirtd.conf"
    if [ -n "$netns" ]; then
        ip netns exec "$netns" unshare --mount --propagation private -- "$0" __inside "$dir"
    else
        unshare --mount --propagation private -- "$0" __inside "$dir"
    fi
    for _ in $(seq 1 300); do
        if [ -S "$socket" ] && virsh -q -c "$uri" version >/dev/null 2>&1; then
            if [ -n "$subnet" ]; then nat_network || { stop >/dev/null 2>&1 || true; exit 1; }; fi
            echo "$uri"
            return 0
        fi
        pause 0.1
    done
    echo "$0: libvirtd did not come up within 30 s; its log:" >&2
    tail -n 20 "$dir/log/libvirtd.log" >&2 2>/dev/null || true
    stop >/dev/null 2>&1 || true
    exit 1
}

# The NAT network "virttest" on SUBNET (a /24): bridge NETNS-lv with .1, DHCP .100-.199.
nat_network() {
    [ -n "$netns" ] || { echo "$0: a NAT network needs the daemon in a network namespace (NETNS)" >&2; return 1; }
    case "$subnet" in *.0/24) ;; *) echo "$0: SUBNET must be a /24 such as 10.231.7.0/24: $subnet" >&2; return 1 ;; esac
    local base=${subnet%.0/24}
    cat > "$dir/virttest-network.xml" <<XML
<network>
  <name>virttest</name>
  <forward mode='nat'/>
  <bridge name='${netns}-lv' stp='off'/>
  <ip address='${base}.1' netmask='255.255.255.0'>
    <dhcp><range start='${base}.100' end='${base}.199'/></dhcp>
  </ip>
</network>
XML
    virsh -q -c "$uri" net-create "$dir/virttest-network.xml" >/dev/null
}

stop() {
    if [ -S "$socket" ]; then
        for dom in $(virsh -q -c "$uri" list --all --name 2>/dev/null); do
            virsh -q -c "$uri" destroy "$dom" >/dev/null 2>&1 || true
            virsh -q -c "$uri" undefine "$dom" >/dev/null 2>&1 || true
        done
        # Networks (their bridges and dnsmasq processes) do not end with the daemon.
        for net in $(virsh -q -c "$uri" net-list --all --name 2>/dev/null); do
            virsh -q -c "$uri" net-destroy "$net" >/dev/null 2>&1 || true
            virsh -q -c "$uri" net-undefine "$net" >/dev/null 2>&1 || true
        done
    fi
    # QEMU processes the daemon started (their pid files are in its state folder).
    for pidfile in "$dir"/run/qemu/*.pid; do
        [ -f "$pidfile" ] || continue
        pid=$(cat "$pidfile" 2>/dev/null || true)
        [ -n "$pid" ] && kill -KILL "$pid" 2>/dev/null || true
    done
    if [ -f "$dir/libvirtd.pid" ]; then
        pid=$(cat "$dir/libvirtd.pid")
        kill -TERM "$pid" 2>/dev/null || true
        for _ in $(seq 1 150); do
            [ -d "/proc/$pid" ] || break
            pause 0.1
        done
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -rf "$dir"
}

case "$cmd" in
    start) start ;;
    stop) stop ;;
    __inside) inside ;;
    *) echo "usage: $0 start DIR [NETNS [SUBNET]] | stop DIR" >&2; exit 2 ;;
esac
