"""The per-user compile server behind ``ebpfpy compile``: the same bytes as an in-process
compile, one server for concurrent first users, and a fallback to the in-process compile
whenever the server cannot be trusted or cannot answer (stale socket, another user's socket or
directory, a server that dies mid-request, a server running older code)."""
from __future__ import annotations

import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
from pathlib import Path

import pytest

from ebpfpy import compile_client, compile_protocol as proto, compile_server

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "count_opens.py"
BAD = ("from ebpfpy import bpf_program\n\n@bpf_program(\"xdp\")\n"
       "def f(ctx) -> int:\n    return y\n")
NOBODY = 65534


@pytest.fixture
def rundir(monkeypatch):
    """A private XDG_RUNTIME_DIR (short: a socket path holds 108 bytes); its servers stopped."""
    base = tempfile.mkdtemp(prefix="ebpfpy-srv-")
    os.chmod(base, 0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", base)
    monkeypatch.setenv("EBPFPY_SERVER_IDLE", "30")
    monkeypatch.delenv("EBPFPY_NO_SERVER", raising=False)
    monkeypatch.delenv("EBPFPY_DEBUG", raising=False)
    yield Path(base)
    for pid in _servers(base):
        os.kill(pid, signal.SIGTERM)
    shutil.rmtree(base, ignore_errors=True)


def _servers(base: str | Path) -> list[int]:
    """Compile servers whose socket is under ``base`` (from /proc: no server needs to answer)."""
    out = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes().split(b"\0")
        except OSError:
            continue
        if b"ebpfpy.compile_server" in cmd and any(a.startswith(os.fsencode(base)) for a in cmd):
            out.append(int(pid))
    return out


def _sock_path(base: Path) -> Path:
    return base / "ebpfpy" / proto.socket_name()


def cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    e = dict(os.environ, PYTHONPATH=str(ROOT), EBPFPY_NO_CACHE="1", **env)
    return subprocess.run([sys.executable, "-m", "ebpfpy", *args], capture_output=True,
                          cwd=ROOT, env=e, timeout=120)


@pytest.fixture(scope="module")
def expected(tmp_path_factory) -> bytes:
    out = tmp_path_factory.mktemp("ref") / "ref.bpf.o"
    res = cli("compile", str(EXAMPLE), "-o", str(out), EBPFPY_NO_SERVER="1")
    assert res.returncode == 0, res.stderr
    return out.read_bytes()


def test_server_starts_on_first_use_and_serves_the_same_bytes(rundir, tmp_path, expected):
    for i in range(2):
        out = tmp_path / f"{i}.o"
        res = cli("compile", str(EXAMPLE), "-o", str(out))
        assert res.returncode == 0, res.stderr
        assert out.read_bytes() == expected
    assert len(_servers(rundir)) == 1
    st = os.lstat(_sock_path(rundir))
    assert st.st_mode & 0o777 == 0o600 and os.lstat(rundir / "ebpfpy").st_mode & 0o777 == 0o700
    assert compile_client.server_pid() == _servers(rundir)[0]


def test_server_keeps_no_descriptor_of_the_client_that_started_it(rundir, tmp_path):
    r, w = os.pipe()
    e = dict(os.environ, PYTHONPATH=str(ROOT), EBPFPY_NO_CACHE="1")
    res = subprocess.run([sys.executable, "-m", "ebpfpy", "compile", str(EXAMPLE), "-o",
                          str(tmp_path / "a.o")], cwd=ROOT, env=e, pass_fds=(w,), timeout=120)
    os.close(w)
    assert res.returncode == 0 and _servers(rundir)
    readable, _, _ = select.select([r], [], [], 30)
    assert readable and os.read(r, 1) == b""       # end-of-file: no process holds the pipe
    os.close(r)


def test_served_client_imports_nothing_of_the_compiler(rundir, tmp_path, expected):
    assert cli("compile", str(EXAMPLE), "-o", str(tmp_path / "warm.o")).returncode == 0
    probe = (f"from ebpfpy.cli import main\nassert main(['compile', {str(EXAMPLE)!r}, '-o', "
             f"{str(tmp_path / 'a.o')!r}]) == 0\nimport sys\nprint(' '.join(sys.modules))")
    res = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT,
                         env=dict(os.environ, PYTHONPATH=str(ROOT), EBPFPY_NO_CACHE="1"),
                         timeout=120)
    assert res.returncode == 0, res.stderr
    loaded = set(res.stdout.split())
    heavy = {m for m in loaded if m.split(".")[0] in ("llvmlite", "cffi", "numpy", "argparse",
                                                      "typing", "dataclasses")
             or m.startswith(("ebpfpy.frontend", "ebpfpy.lower", "ebpfpy.model", "ebpfpy.dsl",
                              "ebpfpy.api", "ebpfpy.errors"))}
    assert heavy == set()
    assert (tmp_path / "a.o").read_bytes() == expected


def test_compile_error_from_the_server_reads_as_in_process(rundir, tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text(BAD)
    served = cli("compile", str(bad))
    local = cli("compile", str(bad), EBPFPY_NO_SERVER="1")
    assert _servers(rundir)
    assert (served.returncode, served.stdout, served.stderr) == \
        (local.returncode, local.stdout, local.stderr) == (1, b"", local.stderr)
    assert b"E061" in served.stderr and b"Traceback" not in served.stderr


def test_concurrent_first_users_share_one_server(rundir, tmp_path, expected):
    env = dict(os.environ, PYTHONPATH=str(ROOT), EBPFPY_NO_CACHE="1")
    procs = [subprocess.Popen([sys.executable, "-m", "ebpfpy", "compile", str(EXAMPLE), "-o",
                               str(tmp_path / f"{i}.o")], cwd=ROOT, env=env,
                              stderr=subprocess.PIPE) for i in range(4)]
    for p in procs:
        assert p.wait(timeout=120) == 0, p.stderr.read() if p.stderr else ""
    assert all((tmp_path / f"{i}.o").read_bytes() == expected for i in range(4))
    assert len(_servers(rundir)) == 1


def test_stale_socket_is_replaced(rundir, tmp_path, expected):
    path = _sock_path(rundir)
    path.parent.mkdir(mode=0o700)
    dead = socket.socket(socket.AF_UNIX)
    dead.bind(str(path))          # bound, never listening: what a killed server leaves
    dead.close()
    res = cli("compile", str(EXAMPLE), "-o", str(tmp_path / "a.o"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.o").read_bytes() == expected
    assert _servers(rundir) and compile_client.server_pid() == _servers(rundir)[0]


def test_other_users_socket_is_not_used(rundir, tmp_path, expected):
    path = _sock_path(rundir)
    path.parent.mkdir(mode=0o700)
    planted = socket.socket(socket.AF_UNIX)
    planted.bind(str(path))
    planted.listen(8)
    os.chown(path, NOBODY, NOBODY)
    planted.settimeout(0)
    res = cli("compile", str(EXAMPLE), "-o", str(tmp_path / "a.o"), EBPFPY_SERVER_IDLE="5")
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.o").read_bytes() == expected
    with pytest.raises(BlockingIOError):
        planted.accept()          # nothing ever connected to it
    planted.close()


def test_other_users_directory_is_not_used(rundir, tmp_path, expected):
    (rundir / "ebpfpy").mkdir(mode=0o700)
    os.chown(rundir / "ebpfpy", NOBODY, NOBODY)
    assert proto.runtime_dir() is None
    res = cli("compile", str(EXAMPLE), "-o", str(tmp_path / "a.o"))
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.o").read_bytes() == expected
    assert not _servers(rundir)


def _fake_server(path: Path, reply: list[bytes] | None) -> threading.Thread:
    """A server at ``path`` that reads a request and replies ``reply`` (None: hangs up
    mid-request, as a server that crashed)."""
    path.parent.mkdir(mode=0o700, exist_ok=True)
    srv = socket.socket(socket.AF_UNIX)
    srv.bind(str(path))
    srv.listen(1)

    def run() -> None:
        conn, _ = srv.accept()
        with conn, srv:
            if reply is None:
                conn.recv(16)
                return
            proto.recv_frames(conn, 5)
            proto.send_frames(conn, reply)
    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


@pytest.mark.parametrize("reply", [None, [proto.RETRY, b"the compiler changed on disk"]],
                         ids=["crashed", "retry"])
def test_a_server_that_cannot_answer_falls_back_to_in_process(rundir, tmp_path, expected, reply):
    t = _fake_server(_sock_path(rundir), reply)
    res = cli("compile", str(EXAMPLE), "-o", str(tmp_path / "a.o"))
    t.join(timeout=60)
    assert res.returncode == 0, res.stderr
    assert (tmp_path / "a.o").read_bytes() == expected
    assert not _servers(rundir)


def test_server_with_older_code_says_retry_and_stops(rundir, monkeypatch):
    path = str(_sock_path(rundir))
    os.makedirs(os.path.dirname(path), mode=0o700)
    server = compile_server.Server(path)
    monkeypatch.setattr(server, "current", lambda: False)
    t = threading.Thread(target=lambda: (server.serve(30), server.close()), daemon=True)
    t.start()
    assert compile_client.compile_file(str(EXAMPLE)) is None    # the caller compiles itself
    t.join(timeout=30)
    assert not t.is_alive() and not os.path.exists(path)


def test_request_from_another_installation_is_refused(rundir):
    path = str(_sock_path(rundir))
    os.makedirs(os.path.dirname(path), mode=0o700)
    server = compile_server.Server(path)
    t = threading.Thread(target=lambda: server.answer(server.sock.accept()[0]), daemon=True)
    t.start()
    conn = socket.socket(socket.AF_UNIX)
    conn.connect(path)
    proto.send_frames(conn, [proto.MAGIC, b"/elsewhere\0", b"x.py", b"", b""])
    assert proto.recv_frames(conn, 2)[0] == proto.RETRY
    t.join(timeout=30)
    conn.close()
    server.close()


def test_forwarded_environment_only(rundir):
    packed = proto.pack_env({"EBPFPY_NO_CACHE": "1", "PATH": "/bin", "HOME": "/h"})
    assert proto.unpack_env(packed) == {"EBPFPY_NO_CACHE": "1", "HOME": "/h"}
    with pytest.raises(proto.ProtocolError):
        proto.unpack_env(b"LD_PRELOAD=/x.so")


def test_no_server_switch(rundir, tmp_path, expected):
    res = cli("compile", str(EXAMPLE), "-o", str(tmp_path / "a.o"), EBPFPY_NO_SERVER="1")
    assert res.returncode == 0 and (tmp_path / "a.o").read_bytes() == expected
    assert not _servers(rundir)
