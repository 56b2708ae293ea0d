"""The command line as users meet it: a subprocess, its exit status, stdout and stderr.

Every failure must be a message and an exit status, never a Python traceback (LANGUAGE.md §8).
"""
from __future__ import annotations

import errno
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from ebpfpy import cli

ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ("compile", "check", "run", "disasm", "ir")

GOOD = '''from ebpfpy import bpf_program, Array, u64, XDP_PASS

hits = Array(u64, 4)


@bpf_program("xdp")
def count_packets(ctx) -> int:
    hits[0] += 1
    return XDP_PASS
'''

BROKEN = {
    "syntax": "from ebpfpy import bpf_program\n\n@bpf_program(\"xdp\")\ndef f(ctx) -> int:\n    return (\n",
    "nothing_to_compile": "from ebpfpy import u32\n\nX = 3\n",
    "while_loop": ("from ebpfpy import bpf_program\n\n@bpf_program(\"xdp\")\ndef f(ctx) -> int:\n"
                   "    i = 0\n    while i < 3:\n        i += 1\n    return 2\n"),
}


def ebpfpy(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    """Run ``python -m ebpfpy ARGS`` with this checkout first on the path."""
    env = dict(os.environ, PYTHONPATH=str(ROOT) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    env.pop("EBPFPY_DEBUG", None)
    return subprocess.run([sys.executable, "-m", "ebpfpy", *args], capture_output=True,
                          text=True, cwd=cwd or ROOT, env=env, timeout=120)


def assert_clean_failure(res: subprocess.CompletedProcess, status: int = 1) -> None:
    assert res.returncode == status, res
    assert "Traceback" not in res.stderr + res.stdout
    assert res.stderr.strip(), "a failure must say why"


def test_help_lists_every_command() -> None:
    res = ebpfpy("--help")
    assert res.returncode == 0
    for cmd in COMMANDS:
        assert re.search(rf"^\s+{cmd}\s", res.stdout, re.M), cmd


@pytest.mark.parametrize("cmd", COMMANDS)
def test_each_command_has_help(cmd: str) -> None:
    res = ebpfpy(cmd, "--help")
    assert res.returncode == 0 and "FILE" in res.stdout


def test_no_command_prints_usage_and_fails() -> None:
    res = ebpfpy()
    assert_clean_failure(res)
    assert "usage: ebpfpy" in res.stderr


def test_version() -> None:
    import ebpfpy as pkg
    res = ebpfpy("--version")
    assert res.returncode == 0 and res.stdout.strip() == f"ebpfpy {pkg.__version__}"


@pytest.mark.parametrize("cmd", COMMANDS)
def test_missing_file_fails_cleanly(cmd: str, tmp_path: Path) -> None:
    res = ebpfpy(cmd, str(tmp_path / "absent.py"))
    assert_clean_failure(res)
    assert res.stderr == f"ebpfpy: cannot read {tmp_path / 'absent.py'}: no such file\n"


def test_directory_fails_cleanly(tmp_path: Path) -> None:
    res = ebpfpy("compile", str(tmp_path))
    assert_clean_failure(res)
    assert "is a directory" in res.stderr


def test_disasm_of_an_object_file(ir_object: bytes, tmp_path: Path) -> None:
    obj = tmp_path / "prog.bpf.o"
    obj.write_bytes(ir_object)
    res = ebpfpy("disasm", str(obj), "--program", "count")
    assert res.returncode == 0, res.stderr
    assert "count (section xdp):" in res.stdout
    assert "; v = counts.lookup(7)  # prog.py:8" in res.stdout
    assert "call bpf_map_lookup_elem" in res.stdout


def test_disasm_unknown_program_names_the_real_ones(ir_object: bytes, tmp_path: Path) -> None:
    obj = tmp_path / "prog.bpf.o"
    obj.write_bytes(ir_object)
    res = ebpfpy("disasm", str(obj), "--program", "nope")
    assert_clean_failure(res)
    assert res.stderr == "ebpfpy: no program 'nope' in the object (programs: count)\n"


def test_disasm_of_a_non_bpf_object_fails_cleanly(tmp_path: Path) -> None:
    obj = tmp_path / "x.o"
    obj.write_bytes(Path(sys.executable).resolve().read_bytes()[:4096])   # an x86 ELF, cut short
    res = ebpfpy("disasm", str(obj))
    assert_clean_failure(res)
    assert res.stderr.startswith(f"ebpfpy: {obj}: not a")


def test_unexpected_exception_is_one_line(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    def boom(args):
        raise RuntimeError("something broke\nsecond line")
    monkeypatch.setattr(cli, "cmd_ir", boom)
    monkeypatch.delenv("EBPFPY_DEBUG", raising=False)
    src = tmp_path / "m.py"
    src.write_text(GOOD)
    assert cli.main(["ir", str(src)]) == cli.EXIT_INTERNAL_ERROR
    err = capsys.readouterr().err
    assert err.startswith("ebpfpy: internal error: RuntimeError: something broke ")
    assert err.count("\n") == 1


def test_load_errors_print_their_message(monkeypatch: pytest.MonkeyPatch, tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    from ebpfpy import VerifierError

    def refuse(args):
        raise VerifierError("program count_packets: invalid mem access", log="...", program="p")
    monkeypatch.setattr(cli, "cmd_run", refuse)
    src = tmp_path / "m.py"
    src.write_text(GOOD)
    assert cli.main(["run", str(src)]) == cli.EXIT_USER_ERROR
    assert capsys.readouterr().err == "ebpfpy: program count_packets: invalid mem access\n"


# ------------------------------------------------------------ with the compiler
@pytest.fixture
def good(tmp_path: Path) -> Path:
    p = tmp_path / "count_packets.py"
    p.write_text(GOOD)
    return p


def test_compile_writes_object_beside_file(good: Path) -> None:
    res = ebpfpy("compile", str(good))
    assert res.returncode == 0, res.stderr
    out = good.with_name("count_packets.bpf.o")
    assert out.read_bytes()[:4] == b"\x7fELF"
    assert not list(good.parent.glob("*.tmp"))


def test_compile_to_explicit_output(good: Path, tmp_path: Path) -> None:
    out = tmp_path / "sub.o"
    res = ebpfpy("compile", str(good), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert out.read_bytes()[:4] == b"\x7fELF"
    assert not good.with_name("count_packets.bpf.o").exists()


@pytest.mark.parametrize("case", sorted(BROKEN))
@pytest.mark.parametrize("cmd", ["compile", "check", "ir", "disasm"])
def test_broken_file_reports_compile_error(cmd: str, case: str, tmp_path: Path) -> None:
    src = tmp_path / f"{case}.py"
    src.write_text(BROKEN[case])
    res = ebpfpy(cmd, str(src))
    assert_clean_failure(res)
    assert re.match(rf"{re.escape(str(src))}:\d+:\d+: error", res.stderr), res.stderr
    assert res.stdout == ""
    assert not src.with_suffix(".bpf.o").exists()


def test_ir_prints_the_program(good: Path) -> None:
    res = ebpfpy("ir", str(good))
    assert res.returncode == 0, res.stderr
    assert re.search(r'define .*@"?count_packets"?\(', res.stdout)


def test_disasm_of_a_module_quotes_python_lines(good: Path) -> None:
    res = ebpfpy("disasm", str(good))
    assert res.returncode == 0, res.stderr
    assert "count_packets (section xdp):" in res.stdout
    assert "; hits[0] += 1  # count_packets.py:8" in res.stdout
    assert res.stdout.rstrip().endswith("exit")


def test_check_prints_a_row_per_program(good: Path) -> None:
    res = ebpfpy("check", str(good))
    assert res.returncode == 0, res.stderr
    header, row = res.stdout.splitlines()[:2]
    assert header.split()[:3] == ["program", "section", "instructions"]
    assert row.split()[:2] == ["count_packets", "xdp"] and int(row.split()[2]) > 0


def test_check_fails_over_the_instruction_budget(good: Path) -> None:
    res = ebpfpy("check", str(good), "--insn-budget", "1")
    assert_clean_failure(res)
    assert "budget" in res.stderr and "size limit" not in res.stderr


def test_check_size_limit_is_separate_from_the_verifier_budget(good: Path) -> None:
    """Program size (BPF_MAXINSNS, 4,096 unprivileged) and verifier work (1,000,000 processed
    instructions, every program) are two limits: each has its own option and message."""
    res = ebpfpy("check", str(good), "--max-insns", "1")
    assert_clean_failure(res)
    assert "instructions exceed the program size limit of 1" in res.stderr
    assert "verifier work" not in res.stderr
    ok = ebpfpy("check", str(good), "--max-insns", "4096", "--insn-budget", "1000000")
    assert ok.returncode == 0, ok.stderr


def test_disasm_names_a_loop_callback_and_lists_it_with_its_program(tmp_path: Path) -> None:
    src = tmp_path / "spin.py"
    src.write_text('from ebpfpy import bpf_program, Array, u64\n\ntotal = Array(u64, 1)\n\n\n'
                   '@bpf_program("syscall")\ndef spin(ctx) -> int:\n'
                   '    for i in range(100000):\n        total[0] += 1\n    return 0\n')
    res = ebpfpy("disasm", str(src), "--program", "spin")
    assert res.returncode == 0, res.stderr
    heads = [ln for ln in res.stdout.splitlines() if "(section" in ln]
    callbacks = [h.split()[0] for h in heads if h.split()[0] != "spin"]
    if not callbacks:
        pytest.skip("the compiler unrolled or kept the loop inline: no callback to name")
    assert f"= {callbacks[0]} ll" in res.stdout
    assert "call bpf_loop" in res.stdout


# ------------------------------------------- output files (issue 10 §3): atomic, no symlinks
def test_compile_into_a_directory_writes_name_bpf_o_inside(good: Path, tmp_path: Path) -> None:
    out = tmp_path / "objs"
    out.mkdir()
    for arg in (str(out), str(out) + "/"):
        res = ebpfpy("compile", str(good), "-o", arg)
        assert res.returncode == 0, res.stderr
        assert sorted(p.name for p in out.iterdir()) == ["count_packets.bpf.o"]
        assert (out / "count_packets.bpf.o").read_bytes()[:4] == b"\x7fELF"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["count_packets.py", "objs"]


def test_compile_into_a_missing_directory_fails_cleanly(good: Path, tmp_path: Path) -> None:
    res = ebpfpy("compile", str(good), "-o", str(tmp_path / "nowhere") + "/")
    assert_clean_failure(res)
    assert res.stderr == f"ebpfpy: {tmp_path}/nowhere/count_packets.bpf.o: No such file or directory\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["count_packets.py"]


def test_compile_never_writes_through_a_planted_symlink(good: Path, tmp_path: Path) -> None:
    victim = tmp_path / "victim"
    victim.write_bytes(b"root's file")
    out = tmp_path / "out.o"
    Path(str(out) + ".tmp").symlink_to(victim)               # the old predictable temp name
    out.symlink_to(victim)
    res = ebpfpy("compile", str(good), "-o", str(out))
    assert res.returncode == 0, res.stderr
    assert victim.read_bytes() == b"root's file"
    assert not out.is_symlink() and out.read_bytes()[:4] == b"\x7fELF"
    assert sorted(p.name for p in tmp_path.iterdir()) == \
        ["count_packets.py", "out.o", "out.o.tmp", "victim"]


def test_compile_over_the_file_size_limit_is_a_clean_error(good: Path, tmp_path: Path) -> None:
    import resource
    out = tmp_path / "out.o"
    env = dict(os.environ, PYTHONPATH=str(ROOT), XDG_CACHE_HOME=str(tmp_path / "cache"))
    res = subprocess.run([sys.executable, "-m", "ebpfpy", "compile", str(good), "-o", str(out)],
                         capture_output=True, text=True, cwd=ROOT, env=env, timeout=120,
                         preexec_fn=lambda: resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512)))
    assert_clean_failure(res)
    assert res.stderr == f"ebpfpy: {out}: File too large\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["cache", "count_packets.py"]
    # no cache temp (the compile server, which has no such limit, may have stored an entry)
    assert all(p.name.endswith(".entry") for p in (tmp_path / "cache" / "ebpfpy").iterdir())


@pytest.mark.skipif(os.geteuid() != 0, reason="mounting a tmpfs needs root")
def test_compile_onto_a_full_disk_is_a_clean_error(good: Path, tmp_path: Path) -> None:
    mnt = tmp_path / "full"
    mnt.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16k", f"ebpfpy-full-{os.getpid()}",
                       str(mnt)], capture_output=True).returncode != 0:
        pytest.skip("cannot mount a tmpfs here")
    try:
        with open(mnt / "filler", "wb", buffering=0) as f:     # fill it up
            with pytest.raises(OSError) as e:
                while True:
                    f.write(b"\0" * 4096)
            assert e.value.errno == errno.ENOSPC
        res = ebpfpy("compile", str(good), "-o", str(mnt))
        assert_clean_failure(res)
        assert res.stderr == f"ebpfpy: {mnt}/count_packets.bpf.o: No space left on device\n"
        assert sorted(p.name for p in mnt.iterdir()) == ["filler"]
    finally:
        subprocess.run(["umount", str(mnt)], check=True)


def test_internal_functions_are_listed_only_when_asked_for() -> None:
    step = str(ROOT / "examples" / "tutorial" / "03_limits.py")   # has a BTF type carrier
    for cmd in ("disasm", "check"):
        plain, full = ebpfpy(cmd, step), ebpfpy(cmd, step, "--internal")
        assert plain.returncode == 0 and full.returncode == 0, plain.stderr + full.stderr
        assert "__ebpfpy_" not in plain.stdout, cmd
        assert "__ebpfpy_types_0" in full.stdout, cmd
        assert "sums" in plain.stdout and "sums" in full.stdout
