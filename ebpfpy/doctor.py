"""What this machine gives eBPF programs, and what to do about what is missing.

Each check is a free function of a :class:`Host` (where it reads files, its capabilities, the
libbpf it found) returning :class:`Finding` rows; :func:`run_checks` runs them all.  Tests
give a :class:`Host` rooted in a temporary directory to see every branch without changing
the machine.
"""
from __future__ import annotations

import enum
import errno
import os
import re
from dataclasses import dataclass, field
from typing import Any, Callable, Optional

MIN_LIBBPF = (1, 1)


class Status(enum.Enum):
    """How a finding reads: fine, fine but something is unavailable, or a blocker."""

    OK = "ok"
    WARN = "warn"
    MISSING = "missing"


@dataclass(frozen=True)
class Finding:
    """One row of the report: what was checked, its status, what was found and the fix."""

    check: str
    status: Status
    detail: str
    fix: str = ""

    def as_dict(self) -> dict[str, str]:
        return {"check": self.check, "status": self.status.value, "detail": self.detail,
                "fix": self.fix}


# --------------------------------------------------------------------------------- the host
class Libbpf:
    """The system libbpf through its own small cffi binding (version and feature probes)."""

    CDEF = """
    unsigned int libbpf_major_version(void);
    unsigned int libbpf_minor_version(void);
    const char *libbpf_version_string(void);
    int libbpf_probe_bpf_prog_type(int prog_type, const void *opts);
    struct btf;
    struct btf *btf__load_vmlinux_btf(void);
    int btf__find_by_name_kind(const struct btf *btf, const char *name, unsigned int kind);
    void btf__free(struct btf *btf);
    struct bpf_prog_load_opts {
        size_t sz; int attempts; int expected_attach_type; unsigned int prog_btf_fd;
        unsigned int prog_flags; unsigned int prog_ifindex; unsigned int kern_version;
        unsigned int attach_btf_id; unsigned int attach_btf_obj_fd; const int *fd_array;
        const void *func_info; unsigned int func_info_cnt; unsigned int func_info_rec_size;
        const void *line_info; unsigned int line_info_cnt; unsigned int line_info_rec_size;
        unsigned int log_level; unsigned int log_size; char *log_buf;
    };
    int bpf_prog_load(int prog_type, const char *prog_name, const char *license,
                      const void *insns, size_t insn_cnt, const struct bpf_prog_load_opts *opts);
    int close(int fd);
    void bpf_program__attach_tcx(void);
    void bpf_program__attach_uprobe_multi(void);
    void bpf_program__attach_netkit(void);
    void bpf_token_create(void);
    void ring_buffer__consume_n(void);
    """

    def __init__(self, name: str = "libbpf.so.1") -> None:
        import cffi             # lazy: `ebpfpy doctor` reports a missing cffi, not crash
        self.ffi = cffi.FFI()
        self.ffi.cdef(self.CDEF)
        self.lib: Any = self.ffi.dlopen(name)

    @property
    def version(self) -> tuple[int, int]:
        return int(self.lib.libbpf_major_version()), int(self.lib.libbpf_minor_version())

    @property
    def version_string(self) -> str:
        return self.ffi.string(self.lib.libbpf_version_string()).decode()

    def exports(self, symbol: str) -> bool:
        try:
            getattr(self.lib, symbol)
            return True
        except AttributeError:
            return False

    def probe_prog_type(self, prog_type: int) -> int:
        """1 when the kernel loads a minimal program of this type, 0 when not, -errno else."""
        return int(self.lib.libbpf_probe_bpf_prog_type(prog_type, self.ffi.NULL))

    def probe_attach_btf(self, prog_type: int, attach_type: int, targets: tuple[str, ...]) -> int:
        """Load ``r0 = 0; exit`` attached (by BTF id) to the first kernel function of
        ``targets`` found: 1 when it loads, -errno when refused, 0 when no target exists.

        libbpf 1.1's own probe loads these types with no attach target, which every kernel
        refuses, so it cannot tell a kernel without them from one that forbids them.
        """
        btf = self.lib.btf__load_vmlinux_btf()
        if btf == self.ffi.NULL:
            return 0
        try:
            ids = [self.lib.btf__find_by_name_kind(btf, name.encode(), BTF_KIND_FUNC)
                   for name in targets]
        finally:
            self.lib.btf__free(btf)
        found = [i for i in ids if i > 0]
        if not found:
            return 0
        opts = self.ffi.new("struct bpf_prog_load_opts *")
        opts.sz = self.ffi.sizeof("struct bpf_prog_load_opts")
        opts.expected_attach_type = attach_type
        opts.attach_btf_id = found[0]
        fd = int(self.lib.bpf_prog_load(prog_type, b"ebpfpy_doctor", b"GPL", RETURN_ZERO,
                                        len(RETURN_ZERO) // 8, opts))
        if fd < 0:
            return fd
        self.lib.close(fd)
        return 1


BTF_KIND_FUNC = 12
RETURN_ZERO = bytes.fromhex("b700000000000000" "9500000000000000")    # r0 = 0; exit


def _open_libbpf() -> Libbpf | str:
    try:
        return Libbpf()
    except OSError as e:
        return str(e)


@dataclass
class Host:
    """Where the checks look.  ``root`` prefixes every absolute path (``/`` on a real host)."""

    root: str = "/"
    release: str = field(default_factory=lambda: os.uname().release)
    euid: int = field(default_factory=os.geteuid)
    libbpf: Optional[Libbpf | str] = None      # the library, or why it could not be opened
    open_libbpf: Callable[[], Libbpf | str] = _open_libbpf

    def path(self, p: str) -> str:
        return os.path.join(self.root, p.lstrip("/"))

    def read(self, p: str) -> str | None:
        try:
            with open(self.path(p)) as f:
                return f.read()
        except OSError:
            return None

    def library(self) -> Libbpf | str:
        if self.libbpf is None:
            self.libbpf = self.open_libbpf()
        return self.libbpf


# --------------------------------------------------------------------------------- kernel
# Kernel releases that brought what ebpfpy programs use.
KERNEL_FEATURES = [((5, 2), "global variables"), ((5, 8), "RingBuf"),
                   ((5, 14), '"syscall" programs'), ((5, 15), "Timer"),
                   ((5, 17), "helpers.loop")]


def kernel_version(release: str) -> tuple[int, int] | None:
    m = re.match(r"(\d+)\.(\d+)", release)
    return (int(m.group(1)), int(m.group(2))) if m else None


def check_kernel(host: Host) -> list[Finding]:
    version = kernel_version(host.release)
    if version is None:
        return [Finding("kernel", Status.WARN, f"cannot read the version in {host.release!r}")]
    lacking = [what for need, what in KERNEL_FEATURES if version < need]
    text = f"Linux {host.release}"
    if version < (5, 2):
        return [Finding("kernel", Status.MISSING, text + ": too old for ebpfpy's objects",
                        "ebpfpy needs Linux 5.2 or newer (5.17+ for every feature)")]
    if lacking:
        return [Finding("kernel", Status.WARN, text + "; unavailable: " + ", ".join(lacking),
                        "Linux 5.17 or newer has every feature ebpfpy uses")]
    return [Finding("kernel", Status.OK, text)]


def check_btf(host: Host) -> list[Finding]:
    p = "/sys/kernel/btf/vmlinux"
    if os.path.isfile(host.path(p)):
        size = os.path.getsize(host.path(p))
        return [Finding("btf", Status.OK, f"{p} ({size // 1024} KiB)")]
    return [Finding("btf", Status.MISSING, f"{p} is absent: kernel types (ebpfpy.kernel), CO-RE "
                    "and tp_btf/fentry programs do not work",
                    "boot a kernel built with CONFIG_DEBUG_INFO_BTF=y (the default of Debian, "
                    "Ubuntu, Fedora and RHEL kernels since 2020)")]


# --------------------------------------------------------------------------------- libbpf
# Features a newer libbpf brings: (exported symbol, version that added it, what it allows).
LIBBPF_FEATURES = [
    ("bpf_program__attach_uprobe_multi", (1, 3), "uprobe_multi links"),
    ("bpf_program__attach_tcx", (1, 3), "tcx links (tc programs attached without qdiscs)"),
    ("bpf_program__attach_netkit", (1, 3), "netkit links"),
    ("bpf_token_create", (1, 4), "BPF tokens (delegated privileges in user namespaces)"),
    ("ring_buffer__consume_n", (1, 5), "bounded ring-buffer reads"),
]


def check_libbpf(host: Host) -> list[Finding]:
    lib = host.library()
    if isinstance(lib, str):
        return [Finding("libbpf", Status.MISSING, f"libbpf.so.1 not found ({lib})",
                        "apt-get install libbpf1 (Debian 12, Ubuntu 23.04+), "
                        "dnf install libbpf (Fedora, RHEL 9)")]
    version = lib.version
    text = "libbpf {}.{} ({})".format(*version, lib.version_string)
    if version < MIN_LIBBPF:
        return [Finding("libbpf", Status.MISSING, text + ": ebpfpy needs 1.1 or newer",
                        "install libbpf 1.1+ (Debian 12's libbpf1 is 1.1.2)")]
    out = [Finding("libbpf", Status.OK, text)]
    for symbol, since, what in LIBBPF_FEATURES:
        if lib.exports(symbol):
            out.append(Finding("libbpf feature", Status.OK, what))
        else:
            out.append(Finding("libbpf feature", Status.WARN,
                               f"{what}: needs libbpf {since[0]}.{since[1]}",
                               f"a libbpf {since[0]}.{since[1]}+ (ebpfpy does not need it)"))
    return out


# --------------------------------------------------------------------------------- privileges
CAPABILITIES = {"CAP_NET_ADMIN": 12, "CAP_SYS_ADMIN": 21, "CAP_PERFMON": 38, "CAP_BPF": 39}
# What each capability lets ebpfpy do (without CAP_SYS_ADMIN, which allows all of it).
CAP_USES = {"CAP_BPF": "load programs and create maps",
            "CAP_PERFMON": "load tracing programs, read kernel memory",
            "CAP_NET_ADMIN": "attach xdp and tc programs"}


def effective_caps(host: Host) -> int:
    status = host.read("/proc/self/status") or ""
    m = re.search(r"^CapEff:\s*([0-9a-f]+)", status, re.M)
    return int(m.group(1), 16) if m else 0


def check_capabilities(host: Host) -> list[Finding]:
    caps = effective_caps(host)
    have = {name for name, bit in CAPABILITIES.items() if caps >> bit & 1}
    out = []
    for name, use in CAP_USES.items():
        if name in have or "CAP_SYS_ADMIN" in have:
            via = "" if name in have else " (through CAP_SYS_ADMIN)"
            out.append(Finding(name, Status.OK, f"granted{via}: may {use}"))
        else:
            out.append(Finding(name, Status.MISSING, f"not granted: cannot {use}",
                               "run as root (sudo), or grant it to the interpreter: setcap "
                               "cap_bpf,cap_perfmon,cap_net_admin+ep \"$(readlink -f $(which python3))\""))
    return out


def check_sysctls(host: Host) -> list[Finding]:
    out = []
    raw = host.read("/proc/sys/kernel/unprivileged_bpf_disabled")
    if raw is None:
        out.append(Finding("unprivileged_bpf_disabled", Status.WARN, "cannot read the sysctl"))
    else:
        value = raw.strip()
        privileged = effective_caps(host) >> CAPABILITIES["CAP_BPF"] & 1 or \
            effective_caps(host) >> CAPABILITIES["CAP_SYS_ADMIN"] & 1
        meaning = {"0": "users without CAP_BPF may load socket filters",
                   "1": "only CAP_BPF may use bpf() (fixed until reboot)",
                   "2": "only CAP_BPF may use bpf() (root may set it back to 0)"}.get(value, "")
        status = Status.OK if value == "0" or privileged else Status.MISSING
        fix = "" if status is Status.OK else "run as root or with CAP_BPF"
        out.append(Finding("unprivileged_bpf_disabled", status, f"{value}: {meaning}", fix))
    raw = host.read("/proc/sys/net/core/bpf_jit_enable")
    if raw is None:
        out.append(Finding("jit", Status.WARN, "net.core.bpf_jit_enable is absent: no JIT?",
                           "a kernel with CONFIG_BPF_JIT=y"))
    elif raw.strip() == "0":
        out.append(Finding("jit", Status.WARN, "JIT disabled: programs run in the interpreter, "
                           "several times slower (or not at all with CONFIG_BPF_JIT_ALWAYS_ON)",
                           "sysctl -w net.core.bpf_jit_enable=1"))
    else:
        out.append(Finding("jit", Status.OK, f"enabled (net.core.bpf_jit_enable={raw.strip()})"))
    return out


def mounts(host: Host) -> dict[str, str]:
    """Mount point -> file system type, from /proc/self/mounts."""
    out = {}
    for line in (host.read("/proc/self/mounts") or "").splitlines():
        parts = line.split()
        if len(parts) >= 3:
            out[parts[1]] = parts[2]
    return out


def check_mounts(host: Host) -> list[Finding]:
    table = mounts(host)
    out = []
    if table.get("/sys/fs/bpf") == "bpf":
        out.append(Finding("bpffs", Status.OK, "mounted on /sys/fs/bpf"))
    else:
        out.append(Finding("bpffs", Status.WARN, "not mounted on /sys/fs/bpf: maps and links "
                           "cannot be pinned", "mount -t bpf bpf /sys/fs/bpf"))
    where = [p for p in ("/sys/kernel/tracing", "/sys/kernel/debug/tracing")
             if table.get(p) == "tracefs"]
    if where:
        out.append(Finding("tracefs", Status.OK, f"mounted on {where[0]}"))
    else:
        out.append(Finding("tracefs", Status.WARN, "not mounted: no printk stream (`ebpfpy run`), "
                           "no tracepoint formats", "mount -t tracefs nodev /sys/kernel/tracing"))
    return out


# --------------------------------------------------------------------------------- program kinds
@dataclass(frozen=True)
class ProgramKind:
    """A kernel program type, probed once, and the ebpfpy sections that load as it.

    Types that need an attach target (tracing, lsm) are probed with a real one: the
    expected attach type and kernel functions to try, in order.
    """

    name: str
    prog_type: int          # enum bpf_prog_type
    sections: str
    attach_type: int = -1   # enum bpf_attach_type, for types loaded against a BTF id
    targets: tuple[str, ...] = ()


PROGRAM_KINDS = [
    ProgramKind("socket_filter", 1, "socket"),
    ProgramKind("kprobe", 2, "kprobe/, kretprobe/, uprobe, uretprobe"),
    ProgramKind("sched_cls", 3, "tc, tcx/ingress, tcx/egress, classifier"),
    ProgramKind("tracepoint", 5, "tracepoint/, tp/"),
    ProgramKind("xdp", 6, "xdp"),
    ProgramKind("perf_event", 7, "perf_event"),
    ProgramKind("cgroup_skb", 8, "cgroup_skb/ingress, cgroup_skb/egress"),
    ProgramKind("raw_tracepoint", 17, "raw_tp/"),
    ProgramKind("tracing", 26, "fentry/, fexit/, tp_btf/, iter/", 24,     # BPF_TRACE_FENTRY
                ("bpf_fentry_test1", "do_sys_openat2", "vfs_read")),
    ProgramKind("lsm", 29, "lsm/", 27, ("bpf_lsm_file_open",)),          # BPF_LSM_MAC
    ProgramKind("syscall", 31, "syscall"),
]


def check_program_kinds(host: Host) -> list[Finding]:
    lib = host.library()
    if isinstance(lib, str):
        return [Finding("program kinds", Status.WARN, "not probed: libbpf is missing")]
    caps = effective_caps(host)
    privileged = any(caps >> CAPABILITIES[c] & 1 for c in ("CAP_BPF", "CAP_SYS_ADMIN"))
    out = []
    for kind in PROGRAM_KINDS:
        if kind.targets:
            result = lib.probe_attach_btf(kind.prog_type, kind.attach_type, kind.targets)
        else:
            result = lib.probe_prog_type(kind.prog_type)
        out.append(_kind_finding(kind, result, privileged))
    return out


def _kind_finding(kind: ProgramKind, result: int, privileged: bool) -> Finding:
    label = f"program {kind.name}"
    if result == 1:
        return Finding(label, Status.OK, f"loads ({kind.sections})")
    if result == 0:
        return Finding(label, Status.WARN, f"this kernel lacks it ({kind.sections})",
                       "a newer kernel, or one built with this program type")
    if -result in (errno.EPERM, errno.EACCES):
        if not privileged:
            return Finding(label, Status.MISSING, f"not permitted ({kind.sections})",
                           "run as root or with CAP_BPF and CAP_PERFMON")
        return Finding(label, Status.WARN, f"refused although privileged ({kind.sections}): "
                       f"{os.strerror(-result)}",
                       "a security policy forbids it (kernel lockdown, an LSM, a seccomp "
                       "filter or a container runtime's profile); ebpfpy's other kinds work")
    return Finding(label, Status.WARN, f"probe failed: {os.strerror(-result)} ({kind.sections})")


CHECKS: list[Callable[[Host], list[Finding]]] = [
    check_kernel, check_btf, check_libbpf, check_capabilities, check_sysctls, check_mounts,
    check_program_kinds]


def run_checks(host: Host | None = None) -> list[Finding]:
    """Every check on ``host`` (this machine by default), in report order."""
    host = host or Host()
    return [f for check in CHECKS for f in check(host)]
