"""Step 8: eBPF for security: a policy the kernel enforces on every packet.

    python examples/tutorial/08_policy.py

A ``cgroup_skb/egress`` program runs for every packet a process in the cgroup sends; returning
0 drops it, and the sender's ``sendto`` fails with ``EPERM``.  This one lets UDP out only to
the ports listed in a map, which userspace may change while the policy runs, and counts what
it refused.  The userspace part makes a cgroup of its own, runs a child process in it, and
removes the cgroup afterwards.
"""
from ebpfpy import bpf_program, struct, Array, HashMap, SkbContext, helpers, u8, u16, u32, u64


@struct
class Ip:
    ver_ihl: u8
    tos: u8
    tot_len: u16
    id: u16
    frag: u16
    ttl: u8
    proto: u8
    csum: u16
    saddr: u32
    daddr: u32


@struct
class Udp:
    sport: u16
    dport: u16
    len: u16
    csum: u16


allowed = HashMap(u16, u8, max_entries=64)     # UDP destination ports that may be used
refused = Array(u64, 1)                         # packets dropped by the policy

UDP = 17


@bpf_program("cgroup_skb/egress")
def udp_policy(ctx: SkbContext) -> int:
    """1: let the packet out; 0: drop it (the sender gets EPERM)."""
    ip = ctx.load(Ip, 0)                  # cgroup_skb data starts at the IP header
    if ip is None or ip.ver_ihl != 0x45 or ip.proto != UDP:
        return 1
    udp = ctx.load(Udp, 20)
    if udp is None:
        return 1
    ok = allowed.lookup(helpers.ntohs(udp.dport))
    if ok is not None:
        return 1
    refused[0] += 1
    return 0


if __name__ == "__main__":
    import os
    import subprocess
    import sys

    import ebpfpy

    SEND = ("import socket, sys\n"
            "s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)\n"
            "for port in map(int, sys.argv[1:]):\n"
            "    try:\n"
            "        s.sendto(b'hello', ('127.0.0.1', port))\n"
            "        print(f'  send to port {port}: sent')\n"
            "    except OSError as e:\n"
            "        print(f'  send to port {port}: {e.strerror}')\n")

    def cgroup2_root() -> str:
        with open("/proc/self/mounts") as f:
            return next(ln.split()[1] for ln in f if ln.split()[2] == "cgroup2")

    cg = os.path.join(cgroup2_root(), f"ebpfpy-tutorial-policy-{os.getpid()}")

    def join() -> None:
        """In the child, before it runs: move it into the cgroup."""
        with open(os.path.join(cg, "cgroup.procs"), "w") as f:
            f.write("0")
    os.mkdir(cg)
    try:
        with ebpfpy.load(__file__) as obj, obj.programs.udp_policy.attach(cgroup=cg):
            obj.maps.allowed[53] = 1                      # DNS only
            for ports in (["53", "9"], ["53", "9", "123"]):
                print(f"allowed ports {sorted(obj.maps.allowed.keys())}; a process in the cgroup:")
                sys.stdout.flush()
                subprocess.run([sys.executable, "-c", SEND, *ports], check=True, preexec_fn=join)
                obj.maps.allowed[9] = 1                   # change the policy while it runs
            print(f"the policy refused {obj.maps.refused[0]} packets")
    finally:
        os.rmdir(cg)
