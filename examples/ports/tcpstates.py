"""tcpstates: trace TCP session state changes with the time spent in each state.

Port of bcc's libbpf-tools/tcpstates.bpf.c, tcpstates.h and tcpstates.c
(github.com/iovisor/bcc): the ``sock/inet_sock_set_state`` tracepoint, filtered to TCP and
by read-only ``target_family``, ``filter_by_sport``/``filter_by_dport`` (ports put in the
``sports``/``dports`` hashes from ``-L``/``-D``); the socket's addresses read from
``sk->__sk_common`` with ``bpf_probe_read_kernel``, the time in the previous state from a
hash keyed by the socket's address; a perf buffer and the same columns (``-w`` wide,
``-T`` time).  The event's ``unsigned __int128`` addresses are ``u32[4]`` here (the same
16 bytes).  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/tcpstates.py [-T] [-4 | -6] [-w] [-L LPORTS] [-D DPORTS]
"""
from ebpfpy import (Const, HashMap, PerfEventArray, bpf_program, helpers, i16, i32, struct,
                    u8, u16, u32, u64)
from ebpfpy.kernel import sock

MAX_ENTRIES = 10240
AF_INET = 2
AF_INET6 = 10
IPPROTO_TCP = 6
TCP_CLOSE = 7
TASK_COMM_LEN = 16


@struct
class Event:
    saddr: u32[4]
    daddr: u32[4]
    skaddr: u64
    ts_us: u64
    delta_us: u64
    pid: u32
    oldstate: i32
    newstate: i32
    family: u16
    sport: u16
    dport: u16
    task: u8[TASK_COMM_LEN]


filter_by_sport: Const[bool] = False
filter_by_dport: Const[bool] = False
target_family: Const[i16] = 0

sports = HashMap(u16, u16, max_entries=MAX_ENTRIES)
dports = HashMap(u16, u16, max_entries=MAX_ENTRIES)
timestamps = HashMap(u64, u64, max_entries=MAX_ENTRIES)
events = PerfEventArray(event=Event)


@bpf_program("tracepoint/sock/inet_sock_set_state")
def handle_set_state(ctx) -> int:
    skaddr = ctx.skaddr
    family = u16(ctx.family)
    sport = u16(ctx.sport)
    dport = u16(ctx.dport)
    if ctx.protocol != IPPROTO_TCP:
        return 0
    if target_family != 0 and u16(target_family) != family:
        return 0
    if filter_by_sport and sport not in sports:
        return 0
    if filter_by_dport and dport not in dports:
        return 0
    tsp = timestamps.lookup(skaddr)
    ts = helpers.ktime_get_ns()
    delta_us: u64 = 0
    if tsp is not None:
        delta_us = (ts - tsp.value) // 1000
    event = Event(skaddr=skaddr, ts_us=ts // 1000, delta_us=delta_us,
                  pid=u32(helpers.get_current_pid_tgid() >> 32), oldstate=i32(ctx.oldstate),
                  newstate=i32(ctx.newstate), family=family, sport=sport, dport=dport)
    event.task = helpers.get_current_comm()
    sk = sock(skaddr)
    if family == AF_INET:
        event.saddr[0] = sk.__sk_common.skc_rcv_saddr
        event.daddr[0] = sk.__sk_common.skc_daddr
    else:
        event.saddr = sk.__sk_common.skc_v6_rcv_saddr.in6_u.u6_addr32
        event.daddr = sk.__sk_common.skc_v6_daddr.in6_u.u6_addr32
    events.output(ctx, event)
    if ctx.newstate == TCP_CLOSE:
        del timestamps[skaddr]
    else:
        timestamps[skaddr] = ts
    return 0


TCP_STATES = {1: "ESTABLISHED", 2: "SYN_SENT", 3: "SYN_RECV", 4: "FIN_WAIT1", 5: "FIN_WAIT2",
              6: "TIME_WAIT", 7: "CLOSE", 8: "CLOSE_WAIT", 9: "LAST_ACK", 10: "LISTEN",
              11: "CLOSING", 12: "NEW_SYN_RECV", 13: "UNKNOWN"}


def ntop(family: int, words) -> str:
    """``inet_ntop`` of the event's 16 address bytes."""
    import socket
    raw = b"".join(w.to_bytes(4, "little") for w in words)
    return socket.inet_ntop(socket.AF_INET, raw[:4]) if family == AF_INET else \
        socket.inet_ntop(socket.AF_INET6, raw)


def main(argv=None) -> None:
    import argparse

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Trace TCP session state changes and durations.")
    p.add_argument("-T", "--timestamp", action="store_true", help="Include timestamp on output")
    p.add_argument("-4", "--ipv4", action="store_true", help="Trace IPv4 family only")
    p.add_argument("-6", "--ipv6", action="store_true", help="Trace IPv6 family only")
    p.add_argument("-w", "--wide", action="store_true", help="Wide column output (fits IPv6 addresses)")
    p.add_argument("-L", "--localport", help="Comma-separated list of local ports to trace.")
    p.add_argument("-D", "--remoteport", help="Comma-separated list of remote ports to trace.")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    lports = [int(x) for x in args.localport.split(",")] if args.localport else []
    rports = [int(x) for x in args.remoteport.split(",")] if args.remoteport else []
    for port in lports + rports:
        if not 1 <= port <= 65535:
            p.error(f"Invalid port: {port}")

    obj = ebpfpy.open(__file__)
    obj.config.filter_by_sport = bool(lports)
    obj.config.filter_by_dport = bool(rports)
    obj.config.target_family = AF_INET if args.ipv4 else AF_INET6 if args.ipv6 else 0

    def handle(e) -> None:
        line = f"{strftime_now():>8} " if args.timestamp else ""
        saddr, daddr = ntop(e.family, e.saddr), ntop(e.family, e.daddr)
        old, new = TCP_STATES.get(e.oldstate, ""), TCP_STATES.get(e.newstate, "")
        if args.wide:
            ip = 4 if e.family == AF_INET else 6
            line += (f"{e.skaddr:<16x} {e.pid:<7} {text(e.task):<16} {ip:<2} {saddr:<39} "
                     f"{e.sport:<5} {daddr:<39} {e.dport:<5} {old:<11} -> {new:<11} "
                     f"{e.delta_us / 1000:.3f}")
        else:
            line += (f"{e.skaddr:<16x} {e.pid:<7} {text(e.task)[:10]:<10} {saddr:<15} "
                     f"{e.sport:<5} {daddr:<15} {e.dport:<5} {old:<11} -> {new:<11} "
                     f"{e.delta_us / 1000:.3f}")
        print(line, flush=True)

    with obj.load():
        for port in lports:
            obj.maps.sports[port] = port
        for port in rports:
            obj.maps.dports[port] = port
        obj.programs.handle_set_state.attach()
        head = f"{'TIME(s)':<8} " if args.timestamp else ""
        if args.wide:
            head += (f"{'SKADDR':<16} {'PID':<7} {'COMM':<16} {'IP':<2} {'LADDR':<39} {'LPORT':<5} "
                     f"{'RADDR':<39} {'RPORT':<5} {'OLDSTATE':<11} -> {'NEWSTATE':<11} MS")
        else:
            head += (f"{'SKADDR':<16} {'PID':<7} {'COMM':<10} {'LADDR':<15} {'LPORT':<5} "
                     f"{'RADDR':<15} {'RPORT':<5} {'OLDSTATE':<11} -> {'NEWSTATE':<11} MS")
        print(head, flush=True)
        poll_events(obj.maps.events, handle, args.duration,
                    lost_fmt="lost {n} events on CPU #{cpu}")


if __name__ == "__main__":
    main()
