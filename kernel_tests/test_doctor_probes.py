"""``ebpfpy doctor`` on this machine: its probes agree with what ebpfpy really loads."""
from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

import ebpfpy
from ebpfpy.doctor import Status, run_checks

TINY = '''
from ebpfpy import bpf_program, XDP_PASS
@bpf_program("{section}")
def prog(ctx) -> int:
    return 0
'''
FENTRY = '''
from ebpfpy import bpf_program
@bpf_program("fentry/do_unlinkat")
def prog(ctx) -> int:
    return 0
'''


@pytest.fixture(scope="module")
def findings() -> dict[str, object]:
    return {f.check: f for f in run_checks()}


def test_doctor_command_reports_json_and_passes_here() -> None:
    r = subprocess.run([sys.executable, "-m", "ebpfpy", "doctor", "--json"],
                       capture_output=True, text=True, timeout=120)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = [json.loads(line) for line in r.stdout.splitlines()]
    checks = {row["check"]: row for row in rows}
    assert checks["btf"]["status"] == "ok"
    assert checks["libbpf"]["detail"].startswith("libbpf 1.")
    assert all(set(row) == {"check", "status", "detail", "fix"} for row in rows)


@pytest.mark.parametrize("kind,section", [
    ("xdp", "xdp"), ("sched_cls", "tc"), ("syscall", "syscall"), ("socket_filter", "socket"),
    ("tracepoint", "tracepoint/syscalls/sys_enter_getpid"), ("kprobe", "uprobe"),
])
def test_probe_agrees_with_a_real_load(findings, kind: str, section: str) -> None:
    assert findings[f"program {kind}"].status is Status.OK
    elf = ebpfpy.compile(source=TINY.format(section=section), filename=f"doctor_{kind}.py")
    with ebpfpy.load(elf):
        pass


def test_tracing_probe_agrees_with_a_real_fentry_load(findings) -> None:
    """Here fentry loads are refused (EPERM): doctor must not claim they work, and where they
    do work it must say so."""
    elf = ebpfpy.compile(source=textwrap.dedent(FENTRY), filename="doctor_fentry.py")
    try:
        with ebpfpy.load(elf):
            loads = True
    except (PermissionError, ebpfpy.LoadError):
        loads = False
    assert (findings["program tracing"].status is Status.OK) == loads
