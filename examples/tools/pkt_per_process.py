"""pkt_per_process: packets and bytes each process sends, by pid, with its command name.

Transmitted packets pass the BTF tracepoint ``net_dev_queue`` in the context of the process
that sent them (locally generated traffic: UDP, TCP data, ping).  Its argument ``ctx.skb`` is
the kernel's ``struct sk_buff``: ``skb.len`` and ``skb.dev.ifindex`` (``dev`` sits in an
anonymous union of ``sk_buff``) read with CO-RE relocations.  Set ``ifindex`` to count one
interface only (0: all).

    sudo ebpfpy run examples/tools/pkt_per_process.py --duration 5
    sudo python examples/tools/pkt_per_process.py
"""
from ebpfpy import HashMap, bpf_program, helpers, struct, u8, u32, u64
from ebpfpy.kernel import sk_buff  # noqa: F401  (ctx.skb is one)


@struct
class Traffic:
    packets: u64
    bytes: u64
    comm: u8[16]


sent = HashMap(u32, Traffic, max_entries=4096)     # tgid -> what it sent
ifindex: u32 = 0


@bpf_program("tp_btf/net_dev_queue")
def on_xmit(ctx) -> int:
    skb = ctx.skb
    if ifindex != 0 and u32(skb.dev.ifindex) != ifindex:
        return 0
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    t = sent.lookup(pid)
    if t is None:
        fresh = Traffic(packets=1, bytes=skb.len)
        fresh.comm = helpers.get_current_comm()
        sent[pid] = fresh
        return 0
    t.packets += 1
    t.bytes += skb.len
    return 0


if __name__ == "__main__":
    import time

    import ebpfpy
    with ebpfpy.load(__file__) as obj, obj.programs.on_xmit.attach():
        try:
            time.sleep(5)
        except KeyboardInterrupt:
            pass
        print(f"{'PID':>7} {'COMM':16} {'PACKETS':>8} {'BYTES':>10}")
        for pid, t in sorted(obj.maps.sent.items(), key=lambda kv: -kv[1].bytes):
            name = bytes(t.comm).split(b"\0", 1)[0].decode()
            print(f"{pid:>7} {name:16} {t.packets:>8} {t.bytes:>10}")
