"""Loaded programs: ``test_run`` through ``BPF_PROG_TEST_RUN`` and ``attach`` by section kind."""
from __future__ import annotations

import errno
import os
import socket
from dataclasses import dataclass
from typing import Any, Callable

from .. import libbpf as L
from ..codec import encode
from ..libbpf import ffi, lib
from ..types import StructType
from .fdinfo import kernel_id
from .links import BpfLink, IterLink, Link, LinkGroup, SocketLink, TcLink, attach_error

_XDP_HEADROOM = 4096        # room for bpf_xdp_adjust_head/tail growth in data_out


@dataclass
class TestRunResult:
    """What ``BPF_PROG_TEST_RUN`` returned: retval (u32), ctx/data out, average duration."""

    __test__ = False        # not a pytest class
    retval: int
    ctx: bytes | None
    data: bytes | None
    duration_ns: int | None


class Program:
    """A loaded BPF program of a :class:`~ebpfpy.loader.object.BpfObject`.

    Threads: ``test_run`` and ``attach`` may be called from several threads at once (each
    call has its own buffers and the kernel runs them independently); after the object
    is closed they raise ``ValueError``.
    """

    def __init__(self, owner: Any, ptr: Any) -> None:
        self._owner = owner           # keeps the object (and so this program) alive
        self._ptr = ptr
        self.name = L.cstr(lib.bpf_program__name(ptr))
        self.section = L.cstr(lib.bpf_program__section_name(ptr))
        self.prog_type = lib.bpf_program__type(ptr)
        self.log = ""                 # verifier log of the load (when one was requested)

    def __repr__(self) -> str:
        state = "closed" if self._owner.closed else f"fd={self.fd}"
        return f"<Program {self.name!r} section={self.section!r} {state}>"

    @property
    def fd(self) -> int:
        """The program fd (valid while the object is open)."""
        self._owner._check_open()
        return lib.bpf_program__fd(self._ptr)

    @property
    def id(self) -> int:
        """The kernel's id of the loaded program (what ``bpftool prog`` lists), from the fd's
        ``/proc/self/fdinfo`` entry."""
        return kernel_id(self.fd, "prog_id", f"program {self.name!r}")

    @property
    def insn_cnt(self) -> int:
        """Number of BPF instructions after libbpf's relocations."""
        self._owner._check_open()         # the libbpf program is freed with the object
        return lib.bpf_program__insn_cnt(self._ptr)

    # ----------------------------------------------------------- test_run
    def test_run(self, ctx: Any = None, data: Any = None, repeat: int = 1) -> TestRunResult:
        """Run the program once (or ``repeat`` times) in the kernel with ``BPF_PROG_TEST_RUN``.

        ``ctx`` is a ``@struct`` instance or bytes; ``data`` the packet for XDP/tc/socket
        programs.  ``syscall`` programs take only ``ctx`` (``repeat > 1`` raises ValueError)
        and give back the ctx the program wrote; ``duration_ns`` is None for them.
        """
        syscall = self.prog_type == L.PROG_SYSCALL or self.section == "syscall"
        if syscall and repeat != 1:
            raise ValueError("syscall programs run once per test_run: repeat must be 1")
        if syscall and data is not None:
            raise ValueError("syscall programs take no packet data: pass ctx=")
        if repeat < 1:
            raise ValueError("repeat must be at least 1")
        ctx_in = _as_bytes(ctx, "ctx")
        data_in = _as_bytes(data, "data")
        opts = L.new_opts("bpf_test_run_opts", repeat=0 if syscall else repeat)
        keep = []                      # cffi buffers must outlive the call
        if ctx_in is not None:
            # syscall programs: the kernel rejects ctx_out and writes back into ctx_in.
            cin = _writable(ctx_in) if syscall else ffi.from_buffer(ctx_in)
            cout = cin if syscall else ffi.new("char[]", max(len(ctx_in), 1))
            keep += [cin, cout]
            opts.ctx_in, opts.ctx_size_in = cin, len(ctx_in)
            if not syscall:
                opts.ctx_out, opts.ctx_size_out = cout, len(ctx_in)
        if data_in is not None:
            din = ffi.from_buffer(data_in)
            dout = ffi.new("char[]", len(data_in) + _XDP_HEADROOM)
            keep += [din, dout]
            opts.data_in, opts.data_size_in = din, len(data_in)
            opts.data_out, opts.data_size_out = dout, len(data_in) + _XDP_HEADROOM
        rc = lib.bpf_prog_test_run_opts(self.fd, opts)
        if rc < 0:
            raise _test_run_error(-rc, self, data_in)
        return TestRunResult(
            retval=opts.retval & 0xFFFFFFFF,
            ctx=_ctx_out(opts, cout, len(ctx_in), syscall) if ctx_in is not None else None,
            data=bytes(ffi.buffer(opts.data_out, opts.data_size_out)) if data_in is not None else None,
            duration_ns=None if syscall else int(opts.duration),
        )

    # ----------------------------------------------------------- attach
    def attach(self, iface: str | int | None = None, **kw: Any) -> Link:
        """Attach by section kind and return a :class:`Link` (detached when the object closes).

        ``xdp``/``tc`` need ``iface`` (name or index; tc takes ``direction="ingress"|"egress"``
        when the section does not say); ``socket`` needs ``sock=``; ``cgroup_skb/...`` takes
        ``cgroup=`` (a cgroup v2 directory, default the root); ``perf_event`` needs ``pfd=`` (the
        link owns it and closes it on detach); ``uprobe/PATH:SYM`` (and sleepable ``uprobe.s/``)
        accepts ``pid=``, ``path=``, ``symbol=``.  Tracepoints, raw tracepoints, ``tp_btf``,
        ``iter/`` and the other sections libbpf knows attach with no arguments.
        """
        self._owner._check_open()
        kind = self.section.split("/", 1)[0]
        attach = _ATTACHERS.get(kind, Program._attach_auto)
        if "sock" in kw:
            attach = Program._attach_socket
        link = attach(self, iface, **kw)
        self._owner._links.append(link)
        return link

    def _libbpf_link(self, make: Callable[[], Any], target: str, cls: type = BpfLink) -> Link:
        mark = L.message_mark()
        ptr = make()
        err = L.err_of(ptr)
        if err:
            raise attach_error(err, self.name, target, L.messages_since(mark, 1))
        return cls(ptr, self.name, target)

    def _attach_auto(self, iface: Any, **kw: Any) -> Link:
        _no_args(self, iface, kw)
        return self._libbpf_link(lambda: lib.bpf_program__attach(self._ptr), self.section)

    def _attach_iter(self, iface: Any, pid: int = 0, tid: int = 0, **kw: Any) -> Link:
        """``pid=`` / ``tid=``: a task iterator visits only that process's threads / that
        thread (libbpf's ``union bpf_iter_link_info`` ``.task.pid`` / ``.task.tid``)."""
        _no_args(self, iface, kw)
        if not pid and not tid:
            return self._libbpf_link(lambda: lib.bpf_program__attach_iter(self._ptr, ffi.NULL),
                                     self.section, IterLink)
        if pid and tid:
            raise TypeError(f"program {self.name!r}: give pid= or tid=, not both")
        if pid < 0 or tid < 0:
            raise ValueError(f"program {self.name!r}: pid and tid are positive")
        linfo = ffi.new("__u32[3]", [tid, pid, 0])      # struct { tid; pid; pid_fd; } task
        opts = ffi.new("struct bpf_iter_attach_opts *")
        opts.sz = ffi.sizeof("struct bpf_iter_attach_opts")
        opts.link_info = linfo
        opts.link_info_len = ffi.sizeof(linfo)
        return self._libbpf_link(lambda: lib.bpf_program__attach_iter(self._ptr, opts),
                                 self.section, IterLink)

    def _attach_xdp(self, iface: Any, ifindex: int | None = None, **kw: Any) -> Link:
        _no_args(self, None, kw)
        idx = _ifindex(iface if ifindex is None else ifindex, self)
        return self._libbpf_link(lambda: lib.bpf_program__attach_xdp(self._ptr, idx),
                                 f"xdp ifindex={idx}")

    def _attach_tc(self, iface: Any, direction: str | None = None, priority: int = 0,
                   handle: int = 0, **kw: Any) -> Link:
        _no_args(self, None, kw)
        idx = _ifindex(iface, self)
        where = direction or ("egress" if self.section.endswith("egress") else "ingress")
        if where not in ("ingress", "egress"):
            raise ValueError(f"tc direction must be 'ingress' or 'egress', not {where!r}")
        point = L.BPF_TC_INGRESS if where == "ingress" else L.BPF_TC_EGRESS
        return TcLink(self.name, idx, point, self.fd, priority, handle)

    def _attach_socket(self, iface: Any, sock: socket.socket | None = None, **kw: Any) -> Link:
        _no_args(self, iface, kw)
        if sock is None:
            raise TypeError(f"program {self.name!r} ({self.section}) attaches to a socket: "
                            "attach(sock=s)")
        return SocketLink(self.name, sock, self.fd)

    def _attach_cgroup(self, iface: Any, cgroup: str | int | None = None, **kw: Any) -> Link:
        _no_args(self, iface, kw)
        cgroup = _cgroup2_root() if cgroup is None else cgroup
        fd = cgroup if isinstance(cgroup, int) else os.open(cgroup, os.O_RDONLY | os.O_DIRECTORY)
        try:
            return self._libbpf_link(lambda: lib.bpf_program__attach_cgroup(self._ptr, fd),
                                     f"cgroup {cgroup}")
        finally:
            if not isinstance(cgroup, int):
                os.close(fd)              # the link holds its own reference to the cgroup

    def _attach_perf_event(self, iface: Any, pfd: int | None = None, **kw: Any) -> Link:
        _no_args(self, iface, kw)
        if pfd is None:
            raise TypeError(f"program {self.name!r} needs a perf event fd: attach(pfd=fd)")
        # The link takes ownership of pfd: detaching closes it.
        return self._libbpf_link(lambda: lib.bpf_program__attach_perf_event(self._ptr, pfd),
                                 f"perf event fd={pfd}")

    def _attach_uprobe(self, iface: Any, pid: int = -1, path: str | None = None,
                       symbol: str | None = None, offset: int = 0,
                       symbols: list[str] | None = None, **kw: Any) -> Link:
        _no_args(self, iface, kw)
        kind, _, spec = self.section.partition("/")
        spath, _, ssym = spec.rpartition(":") if ":" in spec else (spec, "", "")
        path, symbol = path or spath, symbol or ssym
        if symbols is None and symbol and "," in symbol:
            symbols = symbol.split(",")          # "uprobe/libc.so.6:getaddrinfo,gethostbyname"
        if symbols is not None:
            return self._attach_uprobes(pid, path, [s.strip() for s in symbols])
        if not path or not symbol:
            raise TypeError(f"program {self.name!r}: say where to attach, e.g. "
                            "section 'uprobe/PATH:SYMBOL' or attach(path=..., symbol=...)")
        sym, _, off = symbol.partition("+")
        name_buf = ffi.new("char[]", sym.encode())
        opts = L.new_opts("bpf_uprobe_opts", retprobe=kind.startswith("uretprobe"), func_name=name_buf)
        off_total = offset + (int(off, 0) if off else 0)
        return self._libbpf_link(lambda: lib.bpf_program__attach_uprobe_opts(
            self._ptr, pid, path.encode(), off_total, opts), f"{kind} {path}:{symbol}")

    def _attach_uprobes(self, pid: int, path: str, symbols: list[str]) -> Link:
        """One program on several symbols: a :class:`LinkGroup` of one link per symbol; if
        one attach fails, the links already made are detached before the error is raised."""
        if not path or not symbols or not all(symbols):
            raise TypeError(f"program {self.name!r}: attach(path=..., symbols=[...]) needs a "
                            "path and non-empty symbol names")
        links: list[Link] = []
        try:
            for sym in symbols:
                links.append(self._attach_uprobe(None, pid=pid, path=path, symbol=sym))
        except BaseException:
            for link in links:
                link.detach()
            raise
        return LinkGroup(self.name, links)


_ATTACHERS: dict[str, Callable[..., Link]] = {
    "xdp": Program._attach_xdp, "tc": Program._attach_tc, "tcx": Program._attach_tc,
    "classifier": Program._attach_tc,
    "socket": Program._attach_socket, "iter": Program._attach_iter,
    "cgroup_skb": Program._attach_cgroup, "cgroup": Program._attach_cgroup,
    "perf_event": Program._attach_perf_event, "uprobe": Program._attach_uprobe,
    "uretprobe": Program._attach_uprobe, "uprobe.s": Program._attach_uprobe,
    "uretprobe.s": Program._attach_uprobe, "iter.s": Program._attach_iter,
}


def _no_args(prog: Program, iface: Any, kw: dict[str, Any]) -> None:
    if iface is not None or kw:
        extra = ", ".join(["iface"] * (iface is not None) + list(kw))
        raise TypeError(f"program {prog.name!r} ({prog.section}) takes no attach argument {extra}")


def _cgroup2_root() -> str:
    """The cgroup v2 mount point (``/sys/fs/cgroup`` or the hybrid ``.../unified``)."""
    with open("/proc/self/mounts") as f:
        for line in f:
            parts = line.split()
            if len(parts) > 2 and parts[2] == "cgroup2":
                return parts[1]
    raise FileNotFoundError("no cgroup v2 hierarchy is mounted: pass attach(cgroup=PATH)")


def _ifindex(iface: Any, prog: Program) -> int:
    if iface is None:
        raise TypeError(f"program {prog.name!r} ({prog.section}) attaches to a network "
                        "interface: attach(iface=\"eth0\")")
    if isinstance(iface, int):
        return iface
    try:
        return socket.if_nametoindex(iface)
    except OSError:
        raise ValueError(f"no network interface named {iface!r}") from None


def _writable(data: bytes) -> Any:
    buf = ffi.new("char[]", max(len(data), 1))
    ffi.memmove(buf, data, len(data))
    return buf


def _ctx_out(opts: Any, buf: Any, size_in: int, syscall: bool) -> bytes:
    return bytes(ffi.buffer(buf, size_in if syscall else opts.ctx_size_out))


def _as_bytes(v: Any, what: str) -> bytes | None:
    if v is None:
        return None
    if isinstance(v, (bytes, bytearray, memoryview)):
        return bytes(v)
    st = getattr(type(v), "__bpf_type__", None)
    if isinstance(st, StructType):
        return encode(st, v, f"test_run {what}")
    if hasattr(type(v), "__bytes__"):
        return bytes(v)
    raise TypeError(f"test_run {what} must be bytes or a @struct instance, not {type(v).__name__}")


_ETH_HLEN = 14


def _test_run_error(err: int, prog: Program, data: bytes | None = None) -> OSError:
    if err in (errno.EPERM, errno.EACCES):
        return PermissionError(err, f"test_run of {prog.name!r}: {os.strerror(err)} "
                                    "(BPF_PROG_TEST_RUN needs CAP_SYS_ADMIN or CAP_BPF)")
    if err in (errno.ENOTSUP, 524):      # 524 is the kernel's internal ENOTSUPP
        return OSError(err, f"the kernel cannot test_run {prog.section!r} programs "
                            f"({prog.name!r})")
    if err == errno.EINVAL and data is not None and len(data) < _ETH_HLEN:
        # bpf_test_init() refuses packets shorter than an Ethernet header.
        return OSError(err, f"test_run of {prog.name!r}: {os.strerror(err)}: the kernel needs "
                            f"at least {_ETH_HLEN} bytes of packet data, got {len(data)}")
    return OSError(err, f"test_run of {prog.name!r}: {os.strerror(err)}")
