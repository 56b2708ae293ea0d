"""tcplife: trace TCP sessions and summarize each one's lifespan and bytes when it closes.

Port of bcc's libbpf-tools/tcplife.bpf.c, tcplife.h and tcplife.c (github.com/iovisor/bcc):
the ``sock/inet_sock_set_state`` tracepoint stamps a socket's birth (keyed by its address),
remembers the process that started or ended the session (``SYN_SENT``/``LAST_ACK``), and at
``TCP_CLOSE`` sends the addresses, ports, bytes (``tcp_sock.bytes_acked``/``bytes_received``
read through CO-RE from the socket's address) and lifespan through a perf buffer; read-only
``target_pid``, ``target_family`` and ``target_sports``/``target_dports`` (1024-entry port
lists, ``-L``/``-D``); the same columns (``-w`` wide, ``-T`` time).  The event's
``unsigned __int128`` addresses are ``u8[16]`` here.  Left out: ``-v`` (libbpf's debug output).

    sudo python examples/ports/tcplife.py [-p PID] [-4 | -6] [-w] [-T] [-L LPORTS] [-D DPORTS]
"""
from ebpfpy import (Const, HashMap, PerfEventArray, bpf_program, helpers, i32, struct, u8, u16,
                    u32, u64)
from ebpfpy.kernel import tcp_sock

MAX_ENTRIES = 10240
MAX_PORTS = 1024
TASK_COMM_LEN = 16
AF_INET = 2
IPPROTO_TCP = 6
TCP_SYN_SENT = 2
TCP_FIN_WAIT1 = 4
TCP_CLOSE = 7
TCP_LAST_ACK = 9


@struct
class Ident:
    pid: u32
    comm: u8[TASK_COMM_LEN]


@struct
class Event:
    saddr: u8[16]
    daddr: u8[16]
    ts_us: u64
    span_us: u64
    rx_b: u64
    tx_b: u64
    pid: u32
    sport: u16
    dport: u16
    family: u16
    comm: u8[TASK_COMM_LEN]


filter_sport: Const[bool] = False
filter_dport: Const[bool] = False
target_sports: Const[u16[MAX_PORTS]]
target_dports: Const[u16[MAX_PORTS]]
target_pid: Const[i32] = 0
target_family: Const[u16] = 0

birth = HashMap(u64, u64, max_entries=MAX_ENTRIES)
idents = HashMap(u64, Ident, max_entries=MAX_ENTRIES)
events = PerfEventArray(event=Event)


@bpf_program("tracepoint/sock/inet_sock_set_state")
def inet_sock_set_state(ctx) -> int:
    if ctx.protocol != IPPROTO_TCP:
        return 0
    family = u16(ctx.family)
    if target_family != 0 and family != target_family:
        return 0
    sport = u16(ctx.sport)
    if filter_sport:
        found = False
        for i in range(MAX_PORTS):
            if target_sports[i] == 0:
                return 0
            if sport == target_sports[i]:
                found = True
                break
        if not found:
            return 0
    dport = u16(ctx.dport)
    if filter_dport:
        found = False
        for i in range(MAX_PORTS):
            if target_dports[i] == 0:
                return 0
            if dport == target_dports[i]:
                found = True
                break
        if not found:
            return 0
    sk = ctx.skaddr
    newstate = i32(ctx.newstate)
    if newstate < TCP_FIN_WAIT1:
        birth[sk] = helpers.ktime_get_ns()
    if newstate == TCP_SYN_SENT or newstate == TCP_LAST_ACK:
        pid = u32(helpers.get_current_pid_tgid() >> 32)
        if target_pid != 0 and pid != u32(target_pid):
            return 0
        ident = Ident(pid=pid)
        ident.comm = helpers.get_current_comm()
        idents[sk] = ident
    if newstate != TCP_CLOSE:
        return 0
    start = birth.lookup(sk)
    if start is None:
        del idents[sk]
        return 0
    ts = helpers.ktime_get_ns()
    event = Event(ts_us=ts // 1000, span_us=(ts - start.value) // 1000, sport=sport,
                  dport=dport, family=family)
    identp = idents.lookup(sk)
    if identp is not None:
        event.pid = identp.pid
        event.comm = identp.comm
    else:
        event.pid = u32(helpers.get_current_pid_tgid() >> 32)
        event.comm = helpers.get_current_comm()
    if target_pid == 0 or event.pid == u32(target_pid):
        tp = tcp_sock(sk)
        event.rx_b = tp.bytes_received
        event.tx_b = tp.bytes_acked
        if family == AF_INET:
            for i in range(4):
                event.saddr[i] = ctx.saddr[i]
                event.daddr[i] = ctx.daddr[i]
        else:
            event.saddr = ctx.saddr_v6
            event.daddr = ctx.daddr_v6
        events.output(ctx, event)
    del birth[sk]
    del idents[sk]
    return 0


def main(argv=None) -> None:
    import argparse
    import socket

    import ebpfpy
    from trace_helpers import poll_events, strftime_now, text

    p = argparse.ArgumentParser(description="Trace the lifespan of TCP sessions and summarize.")
    p.add_argument("-p", "--pid", type=int, default=0, help="Process ID to trace")
    p.add_argument("-4", "--ipv4", action="store_true", help="Trace IPv4 only")
    p.add_argument("-6", "--ipv6", action="store_true", help="Trace IPv6 only")
    p.add_argument("-w", "--wide", action="store_true", help="Wide column output (fits IPv6 addresses)")
    p.add_argument("-T", "--time", action="store_true", help="Include timestamp on output")
    p.add_argument("-L", "--localport", help="Comma-separated list of local ports to trace.")
    p.add_argument("-D", "--remoteport", help="Comma-separated list of remote ports to trace.")
    p.add_argument("--duration", type=float, default=0.0,
                   help="stop after this many seconds (default: run until Ctrl-C)")
    args = p.parse_args(argv)
    width = 39 if args.wide else 15
    lports = [int(x) for x in args.localport.split(",")][:MAX_PORTS] if args.localport else []
    rports = [int(x) for x in args.remoteport.split(",")][:MAX_PORTS] if args.remoteport else []

    obj = ebpfpy.open(__file__)
    obj.config.target_pid = args.pid
    obj.config.target_family = AF_INET if args.ipv4 else 10 if args.ipv6 else 0
    if lports:
        obj.config.target_sports = lports + [0] * (MAX_PORTS - len(lports))
        obj.config.filter_sport = True
    if rports:
        obj.config.target_dports = rports + [0] * (MAX_PORTS - len(rports))
        obj.config.filter_dport = True

    def handle(e) -> None:
        fam = socket.AF_INET if e.family == AF_INET else socket.AF_INET6
        n = 4 if e.family == AF_INET else 16
        saddr = socket.inet_ntop(fam, bytes(e.saddr)[:n])
        daddr = socket.inet_ntop(fam, bytes(e.daddr)[:n])
        line = f"{strftime_now():>8} " if args.time else ""
        line += (f"{e.pid:<7} {text(e.comm):<16} {saddr:<{width}} {e.sport:<5} {daddr:<{width}} "
                 f"{e.dport:<5} {e.tx_b / 1024:<6.2f} {e.rx_b / 1024:<6.2f} {e.span_us / 1000:.2f}")
        print(line, flush=True)

    with obj.load():
        obj.programs.inet_sock_set_state.attach()
        head = f"{'TIME(s)':<8} " if args.time else ""
        head += (f"{'PID':<7} {'COMM':<16} {'LADDR':<{width}} {'LPORT':<5} {'RADDR':<{width}} "
                 f"{'RPORT':<5} {'TX_KB':<6} {'RX_KB':<6} MS")
        print(head, flush=True)
        poll_events(obj.maps.events, handle, args.duration,
                    lost_fmt="lost {n} events on CPU #{cpu}")


if __name__ == "__main__":
    main()
