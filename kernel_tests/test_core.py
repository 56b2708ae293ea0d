"""CO-RE and tracepoint strings in the kernel: ``__data_loc`` strings of tracepoint records.

Each program runs on a real event the test makes (a child's exec) and the test compares what
the program saw with what CPython knows about that event.
"""
from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
import textwrap

import pytest

import ebpfpy

pytestmark = pytest.mark.skipif(not os.path.exists("/sys/kernel/btf/vmlinux"),
                                reason="the kernel has no BTF (/sys/kernel/btf/vmlinux)")

_dirs: list[str] = []


@pytest.fixture(autouse=True, scope="module")
def _sources_removed():
    """The program files build() writes are removed with the module's tests."""
    d = tempfile.mkdtemp(prefix="ebpfpy-core-")
    _dirs.append(d)
    yield
    _dirs.remove(d)
    shutil.rmtree(d, ignore_errors=True)


def build(body: str, name: str):
    path = os.path.join(_dirs[-1], f"{name}.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(body))
    return ebpfpy.load(path)


DATA_LOC = '''
    from ebpfpy import bpf_program, helpers, u8, u32, u64, Array

    me: u32 = 0
    names = Array(u8[64], 1)
    seen = Array(u64, 3)

    @bpf_program("tracepoint/sched/sched_process_exec")
    def on_exec(ctx) -> int:
        if u32(helpers.get_current_task_btf().real_parent.tgid) != me:
            return 0                                  # another process's exec
        buf = u8[64]()
        seen[0] = u64(helpers.probe_read_kernel_str(buf, ctx.filename))
        names[0] = buf
        seen[1] = u64(ctx.__data_loc_filename >> 16)  # the length the kernel recorded
        seen[2] = u64(ctx.pid)
        return 0
'''


@pytest.mark.parametrize("name", ["", "a-longer-name-for-true"])
def test_data_loc_string_is_readable(name: str) -> None:
    """``ctx.filename`` (a ``__data_loc char[]``) is the address of the string in the record:
    probe_read_kernel_str copies the path the child exec'd (as given to execve), with its NUL."""
    path = "/bin/true"
    if name:                                   # another length, at another record offset
        path = os.path.join(_dirs[-1], name)
        os.symlink("/bin/true", path)
    with build(DATA_LOC, "data_loc") as obj:
        obj.globals.me = os.getpid()
        with obj.programs.on_exec.attach():
            child = subprocess.Popen([path])
            child.wait()
        want = path.encode()
        assert bytes(obj.maps.names[0]).rstrip(b"\0") == want
        assert obj.maps.seen[0] == len(want) + 1
        assert obj.maps.seen[1] == len(want) + 1
        assert obj.maps.seen[2] == child.pid


KCONFIG = '''
    from ebpfpy import Array, Kconfig, bpf_program, u8, u32, u64

    LINUX_KERNEL_VERSION: Kconfig[u32]
    LINUX_HAS_BPF_COOKIE: Kconfig[bool]
    CONFIG_HZ: Kconfig[u64]
    CONFIG_BPF_SYSCALL: Kconfig[bool]
    CONFIG_BPF_JIT: Kconfig[u8]                     # the letter: y, m or n
    CONFIG_DEFAULT_HOSTNAME: Kconfig[u8[64]]
    CONFIG_EBPFPY_NO_SUCH_OPTION: Kconfig[u64]

    out = Array(u64, 8)
    host = Array(u8[64], 1)

    @bpf_program("syscall")
    def main(ctx) -> int:
        out[0] = u64(LINUX_KERNEL_VERSION)
        out[1] = u64(LINUX_HAS_BPF_COOKIE)
        out[2] = CONFIG_HZ
        out[3] = u64(CONFIG_BPF_SYSCALL)
        out[4] = u64(CONFIG_BPF_JIT)
        out[5] = CONFIG_EBPFPY_NO_SUCH_OPTION + 7
        if LINUX_KERNEL_VERSION >= (5 << 16) + (15 << 8):
            out[6] = 1                                 # a comparison the verifier decides
        host[0] = CONFIG_DEFAULT_HOSTNAME
        return 0
'''


def _kernel_config() -> dict[str, str] | None:
    """The running kernel's config as libbpf reads it (/boot/config-$(uname -r), else
    /proc/config.gz): option -> value text; None when neither exists."""
    import gzip
    path = f"/boot/config-{os.uname().release}"
    try:
        if os.path.exists(path):
            with open(path) as f:
                text = f.read()
        else:
            with gzip.open("/proc/config.gz", "rt") as f:
                text = f.read()
    except OSError:
        return None
    return dict(line.split("=", 1) for line in text.splitlines()
                if line.startswith("CONFIG_") and "=" in line)


def _kernel_version() -> int:
    """KERNEL_VERSION(a, b, c) of ``uname -r`` as libbpf computes it (c capped at 255)."""
    import re
    a, b, c = (int(x) for x in re.match(r"(\d+)\.(\d+)\.(\d+)", os.uname().release).groups())
    return (a << 16) + (b << 8) + min(c, 255)


def test_kconfig_values_match_the_running_kernel() -> None:
    """libbpf fills Kconfig globals at load: the version from uname, the options from the
    kernel's config file (an option it lacks reads as 0); userspace sees the same values."""
    if os.path.exists("/proc/version_signature"):
        pytest.skip("Ubuntu's version_signature: libbpf takes the version from there")
    config = _kernel_config()
    if config is None:
        pytest.skip("no /boot/config-$(uname -r) or /proc/config.gz: libbpf cannot read "
                    "CONFIG_* values on this machine")
    with build(KCONFIG, "kconfig") as obj:
        assert obj.programs.main.test_run().retval == 0
        out = [obj.maps.out[i] for i in range(7)]
        version = _kernel_version()
        assert out[0] == version == obj.globals.LINUX_KERNEL_VERSION
        assert out[1] == 1                         # bpf cookies: Linux 5.15 and later
        assert out[2] == int(config.get("CONFIG_HZ", "0"))
        assert out[3] == int(config.get("CONFIG_BPF_SYSCALL") == "y")
        assert out[4] == ord(config.get("CONFIG_BPF_JIT", "\0"))
        assert out[5] == 7
        assert out[6] == int(version >= (5 << 16) + (15 << 8))
        want = config.get("CONFIG_DEFAULT_HOSTNAME", '""').strip('"').encode()
        assert bytes(obj.maps.host[0]).rstrip(b"\0") == want
        with pytest.raises(AttributeError, match="set by libbpf"):
            obj.globals.CONFIG_HZ = 1


FLAVOURS = '''
    from ebpfpy import Array, bpf_program, helpers, i32, i64, kernel_struct, u32, u64
    from ebpfpy.kernel import task_struct

    @kernel_struct
    class task_struct___pre514:
        state: i64                   # Linux 5.14 renamed it __state (this kernel lacks it)
        pid: i32                     # a field every kernel has
        tgid: i32

    @kernel_struct
    class task_struct___v514:
        __state: u32

    out = Array(u64, 8)

    @bpf_program("syscall")
    def main(ctx) -> int:
        task = helpers.get_current_task_btf()
        old = task_struct___pre514(task)
        out[0] = u64(helpers.field_exists(old.state))
        out[1] = u64(helpers.field_exists(old.tgid))
        out[2] = u64(old.tgid)
        if helpers.field_exists(old.state):
            out[3] = u64(old.state)
        else:
            out[3] = u64(task_struct___v514(task).__state) + 1000
        out[4] = u64(helpers.field_size(task_struct___v514(task).__state))
        out[5] = u64(helpers.field_size(old.pid))
        out[6] = u64(old.state) if helpers.field_exists(old.state) else 77
        return 0
'''


def test_struct_flavours_relocate_by_field_name() -> None:
    """A flavour's fields relocate to the running kernel's: one this kernel lacks
    (``task_struct.state``, renamed ``__state`` in 5.14) is ``field_exists`` 0 and its read,
    in the branch libbpf's relocation makes dead, loads; one it has is read at the right
    offset (the caller's tgid, as in CPython); a running task's ``__state`` is 0."""
    with build(FLAVOURS, "flavours") as obj:
        assert obj.programs.main.test_run().retval == 0
        out = [obj.maps.out[i] for i in range(7)]
    assert out == [0, 1, os.getpid(), 1000, 4, 4, 77]


ENUMS = '''
    from ebpfpy import Array, bpf_program, helpers, kernel_enum, u64

    @kernel_enum
    class bpf_func_id:
        BPF_FUNC_ktime_get_ns = 0            # declared values: used only where the kernel
        BPF_FUNC_get_current_task_btf = 0    # lacks the enumerator
        BPF_FUNC_ebpfpy_future_helper = 9999

    @kernel_enum
    class pid_type___mine:                   # a flavour: matched as enum pid_type
        PIDTYPE_TGID = 0

    @kernel_enum
    class ebpfpy_enum_nobody_has:
        NOPE = 3

    out = Array(u64, 8)

    @bpf_program("syscall")
    def main(ctx) -> int:
        out[0] = u64(helpers.enum_value(bpf_func_id.BPF_FUNC_ktime_get_ns))
        out[1] = u64(helpers.enum_value(bpf_func_id.BPF_FUNC_get_current_task_btf))
        out[2] = u64(helpers.enum_value_exists(bpf_func_id.BPF_FUNC_ebpfpy_future_helper))
        out[3] = u64(helpers.enum_value_exists(bpf_func_id.BPF_FUNC_ktime_get_ns))
        out[4] = u64(helpers.enum_value_exists(ebpfpy_enum_nobody_has.NOPE))
        out[5] = u64(helpers.enum_value(pid_type___mine.PIDTYPE_TGID))
        if helpers.enum_value_exists(bpf_func_id.BPF_FUNC_ebpfpy_future_helper):
            out[6] = u64(helpers.enum_value(bpf_func_id.BPF_FUNC_ebpfpy_future_helper))
        else:
            out[6] = 42
        return 0
'''


def _kernel_enum(name: str) -> dict[str, int]:
    """The running kernel's enumerators of ``enum name``, read from its BTF."""
    from ebpfpy.btf_reader import K_ENUM, K_ENUM64, vmlinux_btf
    r = vmlinux_btf()
    tid = r.find(name, K_ENUM) or r.find(name, K_ENUM64)
    t, kind, vlen, _kflag, _n = r.raw(tid)
    return dict(r.enumerators(t, kind, vlen))


def test_enum_values_relocate_to_the_running_kernel() -> None:
    """libbpf gives the loading kernel's enumerator values (the declared 0s are replaced:
    BPF_FUNC_ktime_get_ns is 5 in the UAPI, PIDTYPE_TGID from the kernel's BTF), 0 for the
    existence of an enumerator or an enum it lacks, and the guarded read of a missing one
    loads (its branch is dead)."""
    funcs, pids = _kernel_enum("bpf_func_id"), _kernel_enum("pid_type")
    with build(ENUMS, "enums") as obj:
        assert obj.programs.main.test_run().retval == 0
        out = [obj.maps.out[i] for i in range(7)]
    assert out == [funcs["BPF_FUNC_ktime_get_ns"], funcs["BPF_FUNC_get_current_task_btf"],
                   0, 1, 0, pids["PIDTYPE_TGID"], 42]
    assert out[:2] == [5, 158]                      # the UAPI's numbers


TASKS = '''
    from ebpfpy import Array, bpf_program, helpers, u8, u32, u64

    target: u32 = 0
    out = Array(u64, 6)
    comm = Array(u8[16], 1)

    @bpf_program("syscall")
    def main(ctx) -> int:
        t = helpers.task_from_pid(target)
        if t is None:
            out[0] = 0
        else:
            out[0] = 1
            out[1] = u64(u32(t.tgid))
            out[2] = u64(u32(t.real_parent.tgid))
            comm[0] = t.comm
            helpers.task_release(t)
        out[3] = u64(helpers.ksym_exists("bpf_task_from_pid"))
        out[4] = u64(helpers.ksym_exists("ebpfpy_no_such_kernel_symbol"))
        out[5] = u64(helpers.ksym_exists("schedule"))
        return 0
'''


def test_task_from_pid_acquires_and_releases_a_task() -> None:
    """bpf_task_from_pid finds a sleeping child by pid (its tgid, parent and comm as /proc
    shows them) and gives None for a pid that has exited; ksym_exists answers from
    /proc/kallsyms (a kfunc and a function the kernel has, a name it lacks)."""
    from ebpfpy.btf_reader import K_FUNC, vmlinux_btf
    if not vmlinux_btf().find("bpf_task_from_pid", K_FUNC):
        pytest.skip("this kernel has no bpf_task_from_pid kfunc (Linux 6.2+)")
    child = subprocess.Popen(["sleep", "30"])
    try:
        with build(TASKS, "tasks") as obj:
            obj.globals.target = child.pid
            assert obj.programs.main.test_run().retval == 0
            out = [obj.maps.out[i] for i in range(6)]
            name = bytes(obj.maps.comm[0]).rstrip(b"\0")
            with open(f"/proc/{child.pid}/comm", "rb") as f:
                want = f.read().strip()
            assert out[:3] == [1, child.pid, os.getpid()] and name == want == b"sleep"
            assert out[3:] == [1, 0, 1]
            child.kill()
            child.wait()
            obj.globals.target = child.pid              # reaped: no such task any more
            obj.maps.out[0] = 7
            assert obj.programs.main.test_run().retval == 0
            assert obj.maps.out[0] == 0
    finally:
        child.kill()
        child.wait()


GUARDED = '''
    from ebpfpy import Array, bpf_program, helpers, u32, u64

    out = Array(u64, 3)
    target: u32 = 0

    @bpf_program("syscall")
    def main(ctx) -> int:
        # libbpf-tools' guard: the kfunc is named before the call (it was E999 'Not a function')
        if helpers.ksym_exists("bpf_task_from_pid"):
            out[0] = 1
            t = helpers.task_from_pid(target)
            if t is not None:
                out[1] = u64(u32(t.tgid))
                helpers.task_release(t)
        out[2] = u64(helpers.ksym_exists("bpf_obj_new_impl"))
        return 0
'''


def test_ksym_exists_guards_a_kfunc_called_after_it() -> None:
    """``if helpers.ksym_exists("bpf_task_from_pid"): helpers.task_from_pid(...)``: one weak
    extern serves the guard and the call; this process is found through it."""
    from ebpfpy.btf_reader import K_FUNC, vmlinux_btf
    if not vmlinux_btf().find("bpf_task_from_pid", K_FUNC):
        pytest.skip("this kernel has no bpf_task_from_pid kfunc (Linux 6.2+)")
    with build(GUARDED, "guarded") as obj:
        obj.globals.target = os.getpid()
        assert obj.programs.main.test_run().retval == 0
        assert [obj.maps.out[i] for i in range(3)] == [1, os.getpid(), 1]


def test_kconfig_globals_are_not_load_time_configuration() -> None:
    """``obj.config`` (Const globals, set between open and load) names a Kconfig global as
    libbpf's to set."""
    path = os.path.join(_dirs[-1], "kconfig_open.py")
    with open(path, "w") as f:
        f.write(textwrap.dedent(KCONFIG))
    obj = ebpfpy.open(path)
    try:
        with pytest.raises(AttributeError, match="is Kconfig: libbpf sets it"):
            obj.config.CONFIG_HZ = 100
    finally:
        obj.close()
