"""Read-only configuration (``Const[T]`` globals, libbpf's ``const volatile``): set between
open and load, frozen by the kernel, so the verifier knows the value and skips dead branches.

The proof of pruning uses the tracepoint attach check: the kernel refuses to attach a program
whose explored paths read its context past the tracepoint's record (``max_ctx_offset``).  A
branch reading ``args[1]`` of ``sys_enter_getpid`` (a 16-byte record) is fine when a ``Const``
rules it out, and refused when the branch is live or the flag is a plain (writable) global.
"""
from __future__ import annotations

import ctypes
import errno
import os
import re
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

import ebpfpy
from ebpfpy.loader.pinning import remove_pins

_libc = ctypes.CDLL(None, use_errno=True)
SYS_getpid = 39

FILTER = textwrap.dedent('''
    from ebpfpy import struct, bpf_program, Const, Array, helpers, u32, u64, i64

    targ_tgid: Const[u32] = 0
    use_arg: FLAG_TYPE = False
    hits = Array(u64, 2)

    @struct
    class SysEnter:          # wider than sys_enter_getpid's record (16 bytes, no arguments)
        common: u64
        nr: i64
        args: u64[6]

    @bpf_program("tracepoint/syscalls/sys_enter_getpid")
    def on_getpid(ctx: SysEnter) -> int:
        if u32(helpers.get_current_pid_tgid() >> 32) != targ_tgid:
            return 0
        v: u64 = 1
        if use_arg:
            v = ctx.args[1]
        hits[0] += v
        return 0
''')

SETTINGS = textwrap.dedent('''
    from ebpfpy import bpf_program, Const, u8, u32, i16, u64

    targ_pid: Const[u32] = 7
    min_us: Const[u64] = 0
    delta: Const[i16] = -3
    verbose: Const[bool] = True
    total: u64 = 0
    seen: bool = True

    @bpf_program("syscall")
    def main(ctx) -> int:
        global total
        total += min_us
        if verbose and seen:
            return i32(targ_pid) + delta
        return 0
''').replace("u8, u32", "u8, u32, i32")


def _elf(flag_type: str) -> bytes:
    return ebpfpy.compile(source=FILTER.replace("FLAG_TYPE", flag_type),
                          filename=f"config_{flag_type.replace('[', '_').strip(']')}.py")


def _processed(log: str) -> int:
    return int(re.search(r"processed (\d+) insns", log).group(1))


def test_const_false_prunes_the_branch_and_filters_by_tgid():
    with ebpfpy.load(_elf("Const[bool]"), config={"targ_tgid": os.getpid()}) as obj:
        assert obj.config.use_arg is False and obj.globals.targ_tgid == os.getpid()
        with obj.programs.on_getpid.attach():
            for _ in range(7):
                _libc.syscall(SYS_getpid)
        assert obj.maps.hits[0] == 7


def test_live_branch_reading_past_the_record_is_refused_at_attach():
    with ebpfpy.load(_elf("Const[bool]"), config={"targ_tgid": os.getpid(), "use_arg": True}) \
            as obj:
        with pytest.raises(OSError) as e:
            obj.programs.on_getpid.attach()
        assert e.value.errno in (errno.EACCES, errno.EINVAL)
        assert "hint: the verified program reads its context past this tracepoint's record" \
            in str(e.value)


def test_plain_global_keeps_the_branch_live():
    """Without Const the verifier must assume any value: more instructions, attach refused."""
    with ebpfpy.load(_elf("bool"), config={"targ_tgid": os.getpid()}, log_level=1) as plain, \
            ebpfpy.load(_elf("Const[bool]"), config={"targ_tgid": os.getpid()},
                        log_level=1) as const:
        assert _processed(const.programs.on_getpid.log) < _processed(plain.programs.on_getpid.log)
        with pytest.raises(OSError):
            plain.programs.on_getpid.attach()


def test_open_configure_load():
    obj = ebpfpy.open(ebpfpy.compile(source=SETTINGS, filename="config_settings.py"))
    with obj:
        assert repr(obj).endswith("opened, not loaded>")
        with pytest.raises(AttributeError, match=r"call \.load\(\) first"):
            obj.programs
        assert dict(obj.config.items()) == {"targ_pid": 7, "min_us": 0, "delta": -3,
                                            "verbose": True}
        obj.config.targ_pid = 40
        obj.config["min_us"] = 5
        assert obj.load() is obj
        assert obj.programs.main.test_run().retval == 37
        assert obj.globals.total == 5 and obj.globals.targ_pid == 40 and obj.globals.seen is True
        with pytest.raises(AttributeError, match="frozen at load"):
            obj.config.targ_pid = 1
        with pytest.raises(AttributeError, match="frozen at load"):
            obj.globals.targ_pid = 1
        with pytest.raises(ValueError, match="already loaded"):
            obj.load()
        obj.globals.seen = False
        assert obj.programs.main.test_run().retval == 0


@pytest.mark.parametrize("name, value, exc, text", [
    ("targ_pid", -1, OverflowError, r"Const global 'targ_pid': -1 is out of range for u32"),
    ("delta", 1 << 15, OverflowError, r"out of range for i16"),
    ("verbose", 2, OverflowError, r"2 is out of range for bool"),
    ("min_us", 1.5, TypeError, r"expected an int"),
    ("total", 1, AttributeError, r"'total' is not Const: set it after load as obj.globals.total"),
    ("targ", 1, AttributeError, r"no Const global 'targ' \(Const globals: delta, min_us, targ_pid, verbose\)"),
])
def test_config_values_are_checked(name, value, exc, text):
    elf = ebpfpy.compile(source=SETTINGS, filename="config_settings.py")
    with pytest.raises(exc, match=text):
        ebpfpy.load(elf, config={name: value})
    with ebpfpy.open(elf) as obj:
        with pytest.raises(exc, match=text):
            obj.config[name] = value
        obj.load()
        assert obj.globals.targ_pid == 7 and obj.globals.delta == -3   # nothing stored


def test_docs_example_runs(tmp_path):
    """docs/language.md's Const example: open, configure, load, attach; one counted write."""
    doc = (Path(__file__).resolve().parent.parent / "docs" / "language.md").read_text()
    section = doc[doc.index("## Read-only configuration"):]
    block = re.search(r"```python\n(.*?)```", section, re.S).group(1)
    path = tmp_path / "const_example.py"
    path.write_text(block)
    proc = subprocess.Popen([sys.executable, str(path)], stdout=subprocess.PIPE, text=True)
    out, _ = proc.communicate(timeout=120)
    assert proc.returncode == 0
    assert out.splitlines()[-1] == f"{{{proc.pid}: 1}}"


@pytest.mark.parametrize("sets, rc, text", [
    (["targ_pid=0x28", "verbose=false"], 0, "targ_pid: 40\nmin_us: 0\ndelta: -3\nverbose: False"),
    (["targ=1"], 1, "ebpfpy: --set: no Const global 'targ'"),
    (["targ_pid=-1"], 1, "ebpfpy: --set: Const global 'targ_pid': -1 is out of range for u32"),
    (["targ_pid=abc"], 1, "ebpfpy: --set targ_pid: 'abc' is not an integer, true or false"),
    (["targ_pid"], 1, "ebpfpy: --set takes NAME=VALUE, not 'targ_pid'"),
])
def test_cli_run_sets_config(tmp_path, sets, rc, text):
    path = tmp_path / "config_cli.py"
    path.write_text(SETTINGS)
    args = [a for s in sets for a in ("--set", s)]
    r = subprocess.run([sys.executable, "-m", "ebpfpy", "run", str(path), "--duration", "0.1",
                        *args], capture_output=True, text=True, timeout=120)
    assert r.returncode == rc, r.stderr
    assert text in (r.stdout if rc == 0 else r.stderr)


PORTS = textwrap.dedent('''
    from ebpfpy import bpf_program, Const, u16, u32

    ports: Const[u16[4]]
    nports: Const[u32] = 0

    @bpf_program("syscall")
    def main(ctx) -> int:
        hit = 0
        for i in range(4):
            if i < nports and ports[i] == 443:
                hit += 1
        return hit
''')


@pytest.mark.parametrize("config, hits", [
    ({}, 0),
    ({"ports": [443, 80, 443, 0], "nports": 3}, 2),
    ({"ports": [443, 443, 443, 443], "nports": 2}, 2),
])
def test_const_array(config, hits):
    elf = ebpfpy.compile(source=PORTS, filename="config_ports.py")
    with ebpfpy.load(elf, config=config, log_level=1) as obj:
        assert obj.programs.main.test_run().retval == hits
        assert obj.globals.ports == config.get("ports", [0, 0, 0, 0])
        if not config:      # nports known to be 0: the verifier skips the whole loop
            assert _processed(obj.programs.main.log) < 15
    with ebpfpy.open(elf) as obj:
        with pytest.raises(ValueError):
            obj.config.ports = [1, 2, 3]
        with pytest.raises(OverflowError):
            obj.config.ports = [1, 2, 3, 70000]


C_CONFIG = r'''
#include <linux/bpf.h>
#include <bpf/bpf_helpers.h>
const volatile __u32 targ_pid = 0;
const volatile char greeting[8] = "hi";
SEC("syscall")
int main_prog(void *ctx) {
    bpf_printk("pid %d", targ_pid);     /* a string literal in .rodata too */
    return targ_pid + greeting[0];
}
char LICENSE[] SEC("license") = "GPL";
'''


def test_config_of_a_clang_object(tmp_path):
    """libbpf's own `const volatile` globals, from C, are configured the same way."""
    if shutil.which("clang-19") is None:
        pytest.skip("clang-19 is not installed (apt-get install clang-19)")
    src, obj = tmp_path / "cfg.bpf.c", tmp_path / "cfg.bpf.o"
    src.write_text(C_CONFIG)
    cc = subprocess.run(["clang-19", "-O2", "-g", "-target", "bpf", "-I/usr/include/x86_64-linux-gnu",
                         "-c", str(src), "-o", str(obj)], capture_output=True, text=True,
                        timeout=120)
    assert cc.returncode == 0, cc.stderr
    elf = obj.read_bytes()
    with ebpfpy.load(elf) as plain:
        assert plain.programs.main_prog.test_run().retval == ord("h")
    with ebpfpy.load(elf, config={"targ_pid": 5, "greeting": b"A"}) as configured:
        assert configured.programs.main_prog.test_run().retval == 5 + ord("A")
        assert configured.globals.targ_pid == 5


@pytest.fixture
def pin_dir(tmp_path):
    """A bpffs of this test's own (as test_loader_pinning.py)."""
    root = tmp_path / "bpffs"
    root.mkdir()
    subprocess.run(["mount", "-t", "bpf", "bpf", str(root)], check=True)
    yield str(root / "pins")
    remove_pins(str(root / "pins"))
    subprocess.run(["umount", str(root)], check=True)


def test_pinned_rodata_keeps_its_values_and_says_so(pin_dir):
    elf = ebpfpy.compile(source=SETTINGS, filename="config_pinned.py")
    with ebpfpy.load(elf, config={"targ_pid": 40}, pin_dir=pin_dir) as first:
        assert first.programs.main.test_run().retval == 37
    with ebpfpy.load(elf, config={"targ_pid": 40}, pin_dir=pin_dir) as same:
        assert same.globals.targ_pid == 40               # the same values: reused quietly
    with pytest.raises(ValueError, match=r"'targ_pid' is 40 in the \.rodata map pinned"):
        ebpfpy.load(elf, config={"targ_pid": 41}, pin_dir=pin_dir)
    remove_pins(pin_dir)
    with ebpfpy.load(elf, config={"targ_pid": 41}, pin_dir=pin_dir) as fresh:
        assert fresh.programs.main.test_run().retval == 38
