"""Kernel test fixtures: the session-wide bpf() probe, mounts, a veth pair, and a pin check.

Where ``bpf()`` is refused (an unprivileged container, a locked-down host) every kernel test
is skipped with one clear reason instead of failing; ``-rs`` prints it as one line because
every skip is raised from the same place.  Any other probe failure lets the tests run and fail
loudly: a kernel that has bpf() but rejects ``r0 = 0; exit`` is a real problem.
"""
from __future__ import annotations

import ctypes
import errno
import itertools
import os
import platform
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Iterator

import pytest

# CLI runs in tests compile in their own process: no compile server outlives the suite.
os.environ.setdefault("EBPFPY_NO_SERVER", "1")

BPFFS = Path("/sys/fs/bpf")
TRACEFS = Path("/sys/kernel/tracing")

# __NR_bpf per architecture (the syscall has no glibc wrapper).
_NR_BPF = {"x86_64": 321, "aarch64": 280, "riscv64": 280, "i686": 357, "armv7l": 386,
           "ppc64le": 361, "s390x": 351}
_BPF_PROG_LOAD = 5
_BPF_PROG_TYPE_SOCKET_FILTER = 1
# r0 = 0; exit  (BPF_ALU64|BPF_MOV|BPF_K, then BPF_JMP|BPF_EXIT)
PROBE_REASON = "bpf() not permitted here"
_TRIVIAL_PROG = bytes([0xB7, 0, 0, 0, 0, 0, 0, 0, 0x95, 0, 0, 0, 0, 0, 0, 0])


class _ProgLoadAttr(ctypes.Structure):
    """The leading fields of ``union bpf_attr`` for BPF_PROG_LOAD; the rest stays zero."""

    _fields_ = [("prog_type", ctypes.c_uint32), ("insn_cnt", ctypes.c_uint32),
                ("insns", ctypes.c_uint64), ("license", ctypes.c_uint64),
                ("log_level", ctypes.c_uint32), ("log_size", ctypes.c_uint32),
                ("log_buf", ctypes.c_uint64), ("kern_version", ctypes.c_uint32),
                ("prog_flags", ctypes.c_uint32), ("_pad", ctypes.c_uint8 * 64)]


def probe_bpf() -> str | None:
    """Try ``BPF_PROG_LOAD`` of a trivial socket filter; the reason to skip, or None to run."""
    nr = _NR_BPF.get(platform.machine())
    if nr is None:
        return None  # unknown arch: let the tests speak for themselves
    libc = ctypes.CDLL(None, use_errno=True)
    insns = ctypes.create_string_buffer(_TRIVIAL_PROG, len(_TRIVIAL_PROG))
    lic = ctypes.create_string_buffer(b"GPL")
    attr = _ProgLoadAttr(prog_type=_BPF_PROG_TYPE_SOCKET_FILTER, insn_cnt=2,
                         insns=ctypes.addressof(insns), license=ctypes.addressof(lic))
    fd = libc.syscall(ctypes.c_long(nr), ctypes.c_int(_BPF_PROG_LOAD), ctypes.byref(attr),
                      ctypes.c_uint(ctypes.sizeof(attr)))
    if fd >= 0:
        os.close(fd)
        return None
    err = ctypes.get_errno()
    if err in (errno.EPERM, errno.EACCES):
        return (f"{PROBE_REASON}: BPF_PROG_LOAD failed with {errno.errorcode[err]} "
                f"(needs root or CAP_BPF + CAP_PERFMON) — kernel tests skipped")
    return None


@pytest.fixture(scope="session")
def bpf_skip_reason() -> str | None:
    """The probe's verdict, computed once per session."""
    return probe_bpf()


@pytest.fixture(autouse=True)
def _require_bpf(bpf_skip_reason: str | None) -> None:
    if bpf_skip_reason:
        _probe_skips.append(bpf_skip_reason)
        pytest.skip(bpf_skip_reason)


_probe_skips: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo) -> Iterator[None]:
    """Give every probe skip the same location, so ``-rs`` folds them into one line."""
    outcome = yield
    rep = outcome.get_result()
    if rep.skipped and isinstance(rep.longrepr, tuple) and PROBE_REASON in str(rep.longrepr[2]):
        rep.longrepr = (str(Path(__file__).parent), None, rep.longrepr[2])


def pytest_terminal_summary(terminalreporter, exitstatus: int, config: pytest.Config) -> None:
    """Without ``-rs`` pytest prints no reasons; the probe's verdict still deserves its line."""
    if _probe_skips and "s" not in (config.option.reportchars or ""):
        terminalreporter.write_line(f"{len(_probe_skips)} kernel tests skipped: {_probe_skips[0]}")


def _mount(fstype: str, target: Path) -> None:
    if os.path.ismount(target):
        return
    target.mkdir(parents=True, exist_ok=True)
    res = subprocess.run(["mount", "-t", fstype, fstype, str(target)],
                         capture_output=True, text=True)
    if res.returncode != 0:
        pytest.skip(f"cannot mount {fstype} on {target}: {res.stderr.strip()}")


@pytest.fixture(scope="session")
def tracefs() -> Path:
    """``/sys/kernel/tracing``, mounted if it was not."""
    _mount("tracefs", TRACEFS)
    return TRACEFS


@pytest.fixture(scope="session")
def bpffs() -> Path:
    """``/sys/fs/bpf``, mounted if it was not."""
    _mount("bpf", BPFFS)
    return BPFFS


def _pins() -> set[str]:
    if not BPFFS.is_dir():
        return set()
    return {str(p) for p in BPFFS.rglob("*")}


@pytest.fixture(scope="session", autouse=True)
def _no_pins_left(bpf_skip_reason: str | None) -> Iterator[None]:
    """Fail the session when tests leave pins in bpffs, then remove them for the next run."""
    before = _pins()
    yield
    left = sorted(_pins() - before)
    if not left:
        return
    for p in sorted(left, key=len, reverse=True):
        path = Path(p)
        try:
            path.rmdir() if path.is_dir() and not path.is_symlink() else path.unlink()
        except OSError:
            pass
    pytest.fail(f"kernel tests left pins in {BPFFS}: {', '.join(left)}", pytrace=False)


@dataclass
class VethPair:
    """A veth pair: ``host`` in the test's namespace, ``peer`` inside namespace ``netns``."""

    netns: str
    host: str
    peer: str
    host_addr: str
    peer_addr: str

    def in_netns(self, *cmd: str, **kw) -> subprocess.CompletedProcess:
        """Run a command inside the namespace (e.g. a ping towards ``host_addr``)."""
        return subprocess.run(["ip", "netns", "exec", self.netns, *cmd],
                              capture_output=True, text=True, **kw)


_veth_ids = itertools.count(1)


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


@pytest.fixture
def netns_veth() -> Iterator[VethPair]:
    """A fresh network namespace joined to this one by an addressed, up veth pair."""
    n = next(_veth_ids)
    tag = f"{os.getpid() % 10000}{n}"
    pair = VethPair(netns=f"ebpfpy-ns{tag}", host=f"ebpv{tag}h", peer=f"ebpv{tag}p",
                    host_addr=f"10.231.{n % 250}.1", peer_addr=f"10.231.{n % 250}.2")
    try:
        _ip("netns", "add", pair.netns)
        _ip("link", "add", pair.host, "type", "veth", "peer", "name", pair.peer)
        _ip("link", "set", pair.peer, "netns", pair.netns)
        _ip("addr", "add", f"{pair.host_addr}/24", "dev", pair.host)
        _ip("link", "set", pair.host, "up")
        _ip("-n", pair.netns, "addr", "add", f"{pair.peer_addr}/24", "dev", pair.peer)
        _ip("-n", pair.netns, "link", "set", pair.peer, "up")
        _ip("-n", pair.netns, "link", "set", "lo", "up")
    except (subprocess.CalledProcessError, FileNotFoundError) as e:
        _teardown_veth(pair)
        detail = getattr(e, "stderr", None) or str(e)
        pytest.skip(f"cannot create a veth pair in a network namespace: {detail.strip()}")
    try:
        yield pair
    finally:
        _teardown_veth(pair)


def _teardown_veth(pair: VethPair) -> None:
    # Deleting the namespace destroys the peer, and with it the pair; the explicit link
    # delete covers a failure before the peer moved.
    _ip("link", "del", pair.host, check=False)
    _ip("netns", "del", pair.netns, check=False)
