"""``ebpfpy doctor``'s judgements, on a made-up host: a directory standing for ``/`` and a
libbpf double whose answers the test chooses.  The real probes run in kernel_tests."""
from __future__ import annotations

import errno
from pathlib import Path

import pytest

from ebpfpy.cli_doctor import render
from ebpfpy.doctor import PROGRAM_KINDS, Finding, Host, Status, run_checks

ALL_CAPS = "000001ffffffffff"
GOOD_FILES = {
    "sys/kernel/btf/vmlinux": "BTF",
    "proc/self/status": f"Name:\tpython\nCapEff:\t{ALL_CAPS}\n",
    "proc/sys/kernel/unprivileged_bpf_disabled": "2\n",
    "proc/sys/net/core/bpf_jit_enable": "1\n",
    "proc/self/mounts": "bpf /sys/fs/bpf bpf rw 0 0\ntracefs /sys/kernel/tracing tracefs rw 0 0\n",
}


class FakeLibbpf:
    """Answers like libbpf: a version, exported symbols, probe results by program type."""

    def __init__(self, version=(1, 1), exports=(), probes=None) -> None:
        self.version = version
        self.version_string = "v%d.%d" % version
        self._exports = set(exports)
        self._probes = probes or {}

    def exports(self, symbol: str) -> bool:
        return symbol in self._exports

    def probe_prog_type(self, prog_type: int) -> int:
        return self._probes.get(prog_type, 1)

    def probe_attach_btf(self, prog_type: int, attach_type: int, targets) -> int:
        return self._probes.get(prog_type, 1)


def host(tmp_path: Path, release: str = "6.1.0", lib=None, **files: str | None) -> Host:
    merged = dict(GOOD_FILES)
    merged.update({k.replace("__", "/"): v for k, v in files.items()})
    for rel, text in merged.items():
        if text is not None:
            p = tmp_path / rel
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(text)
    return Host(root=str(tmp_path), release=release, euid=0,
                libbpf=FakeLibbpf() if lib is None else lib)


def by_check(findings: list[Finding], check: str) -> Finding:
    return next(f for f in findings if f.check == check)


def test_a_good_host_has_nothing_missing(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path))
    assert [f for f in found if f.status is Status.MISSING] == []
    assert {f"program {k.name}" for k in PROGRAM_KINDS} <= {f.check for f in found}
    text = render(found)
    assert "ok       kernel" in text and "MISSING" not in text


def test_missing_btf_names_the_kernel_option(tmp_path: Path) -> None:
    f = by_check(run_checks(host(tmp_path, sys__kernel__btf__vmlinux=None)), "btf")
    assert f.status is Status.MISSING and "CONFIG_DEBUG_INFO_BTF=y" in f.fix


def test_missing_libbpf_says_what_to_install_and_skips_probes(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path, lib="libbpf.so.1: cannot open shared object file"))
    f = by_check(found, "libbpf")
    assert f.status is Status.MISSING and "apt-get install libbpf1" in f.fix
    assert by_check(found, "program kinds").detail == "not probed: libbpf is missing"


def test_old_libbpf_is_refused_and_newer_features_are_named(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path, lib=FakeLibbpf(version=(1, 0))))
    assert by_check(found, "libbpf").status is Status.MISSING
    found = run_checks(host(tmp_path, lib=FakeLibbpf(exports={"bpf_program__attach_tcx"})))
    features = {f.detail: f.status for f in found if f.check == "libbpf feature"}
    assert features["tcx links (tc programs attached without qdiscs)"] is Status.OK
    assert features["BPF tokens (delegated privileges in user namespaces): needs libbpf 1.4"] \
        is Status.WARN


def test_unprivileged_user_gets_the_capabilities_to_grant(tmp_path: Path) -> None:
    lib = FakeLibbpf(probes={k.prog_type: -errno.EPERM for k in PROGRAM_KINDS})
    found = run_checks(host(tmp_path, lib=lib, proc__self__status="CapEff:\t0000000000000000\n"))
    for cap in ("CAP_BPF", "CAP_PERFMON", "CAP_NET_ADMIN"):
        f = by_check(found, cap)
        assert f.status is Status.MISSING and "setcap cap_bpf,cap_perfmon,cap_net_admin+ep" in f.fix
    assert by_check(found, "unprivileged_bpf_disabled").status is Status.MISSING
    xdp = by_check(found, "program xdp")
    assert xdp.status is Status.MISSING and "run as root" in xdp.fix


def test_sys_admin_alone_grants_everything(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path, proc__self__status=f"CapEff:\t{1 << 21:016x}\n"))
    assert by_check(found, "CAP_BPF").detail.startswith("granted (through CAP_SYS_ADMIN)")


def test_refusal_of_a_privileged_process_blames_a_policy(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path, lib=FakeLibbpf(probes={26: -errno.EPERM, 29: 0})))
    tracing = by_check(found, "program tracing")
    assert tracing.status is Status.WARN and "security policy" in tracing.fix
    lsm = by_check(found, "program lsm")
    assert lsm.status is Status.WARN and lsm.detail.startswith("this kernel lacks it")


def test_jit_off_and_unmounted_file_systems_come_with_commands(tmp_path: Path) -> None:
    found = run_checks(host(tmp_path, proc__sys__net__core__bpf_jit_enable="0\n",
                            proc__self__mounts="proc /proc proc rw 0 0\n"))
    assert by_check(found, "jit").fix == "sysctl -w net.core.bpf_jit_enable=1"
    assert by_check(found, "bpffs").fix == "mount -t bpf bpf /sys/fs/bpf"
    assert by_check(found, "tracefs").fix == "mount -t tracefs nodev /sys/kernel/tracing"


@pytest.mark.parametrize("release,status,lacking", [
    ("5.10.0-23-amd64", Status.WARN, ["Timer", "helpers.loop", '"syscall" programs']),
    ("4.19.0", Status.MISSING, []),
    ("6.18.44-fc-v1252", Status.OK, []),
])
def test_kernel_version_lists_what_it_lacks(tmp_path: Path, release, status, lacking) -> None:
    f = by_check(run_checks(host(tmp_path, release=release)), "kernel")
    assert f.status is status
    for what in lacking:
        assert what in f.detail
