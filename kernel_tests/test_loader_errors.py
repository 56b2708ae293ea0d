"""Load failures become the right exception: VerifierError pointing at the Python line,
PermissionError naming the missing capability, LoadError quoting libbpf."""
from __future__ import annotations

import ctypes
import importlib.util
import os
import subprocess
import sys
import textwrap

import pytest

import ebpfpy
from ebpfpy.api import compile_full
from ebpfpy.loader import verifier
from ebpfpy.loader.object import BpfObject

needs_compiler = pytest.mark.skipif(importlib.util.find_spec("ebpfpy.pipeline") is None,
                                    reason="ebpfpy.pipeline (the compiler) is not there yet")

# A tracepoint whose ctx is annotated with a struct far larger than the event's record: the
# compiler accepts it (LANGUAGE.md §6), the verifier refuses the out-of-range ctx read.
REJECTED = textwrap.dedent('''
    from ebpfpy import bpf_program, struct, u8, u64

    @struct
    class Huge:
        pad: u8[8192]
        x: u64

    @bpf_program("tracepoint/syscalls/sys_enter_getpid")
    def reads_too_far(ctx: Huge) -> int:
        v = ctx.x
        return int(v & 1)
''')
REJECTED_LINE = 11          # `v = ctx.x`

SIMPLE = textwrap.dedent('''
    from ebpfpy import bpf_program, Array, u64

    counts = Array(u64, 1)

    @bpf_program("syscall")
    def run(ctx) -> int:
        counts[0] += 1
        return 0
''')


@needs_compiler
def test_verifier_error_points_at_the_python_line() -> None:
    mod = compile_full(source=REJECTED, filename="rejected.py")
    with pytest.raises(ebpfpy.VerifierError) as info:
        BpfObject(mod.elf, compiled=mod)
    e = info.value
    assert isinstance(e, ebpfpy.LoadError)
    assert e.program == "reads_too_far"
    assert e.lineno == REJECTED_LINE and e.filename == "rejected.py"
    assert "invalid bpf_context access" in e.log
    first = str(e).splitlines()[0]
    assert first.startswith(f"rejected.py:{REJECTED_LINE}:5: error:"), first
    assert "invalid bpf_context access" in first
    assert "v = ctx.x" in str(e)
    assert "ebpfpy/" not in str(e) and "loader" not in str(e)


@needs_compiler
def test_permission_error_names_the_capability(tmp_path) -> None:
    elf = ebpfpy.compile(source=SIMPLE, filename="simple.py")
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:                                   # child: drop the caps, then try to load
        os.close(r)
        try:
            _drop_caps([21, 38, 39, 12])           # SYS_ADMIN, PERFMON, BPF, NET_ADMIN
            try:
                BpfObject(elf)
                msg = "loaded"
            except PermissionError as e:
                msg = f"PermissionError: {e}"
            except BaseException as e:             # noqa: BLE001 - reported to the parent
                msg = f"{type(e).__name__}: {e}"
            os.write(w, msg.encode())
        finally:
            os._exit(0)
    os.close(w)
    with os.fdopen(r, "rb") as f:
        out = f.read().decode()
    os.waitpid(pid, 0)
    assert out.startswith("PermissionError"), out
    assert "CAP_BPF" in out and "CAP_SYS_ADMIN" in out


def _drop_caps(caps: list[int]) -> None:
    """capset(2) without ``caps`` in the effective and permitted sets."""
    class Header(ctypes.Structure):
        _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]

    class Data(ctypes.Structure):
        _fields_ = [("effective", ctypes.c_uint32), ("permitted", ctypes.c_uint32),
                    ("inheritable", ctypes.c_uint32)]

    libc = ctypes.CDLL(None, use_errno=True)
    hdr, data = Header(0x20080522, 0), (Data * 2)()     # _LINUX_CAPABILITY_VERSION_3
    if libc.capget(ctypes.byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), "capget")
    for c in caps:
        data[c // 32].effective &= ~(1 << (c % 32))
        data[c // 32].permitted &= ~(1 << (c % 32))
    if libc.capset(ctypes.byref(hdr), data) != 0:
        raise OSError(ctypes.get_errno(), "capset")


def test_garbage_is_a_load_error() -> None:
    with pytest.raises(ebpfpy.LoadError, match="^not a valid BPF object: no ELF header") as info:
        ebpfpy.load(b"this is not an ELF file")
    assert not isinstance(info.value, ebpfpy.VerifierError)


# A log as this kernel prints it for an unchecked map lookup (from BTF line info).
LOG = """\
0: R1=ctx() R10=fp0
; def bad(ctx) -> int: @ prog.py:6
0: (b7) r1 = 0                        ; R1=0
; v = m.lookup(k) @ prog.py:8
4: (18) r1 = 0xffff888104400800       ; R1=map_ptr(map=h,ks=4,vs=8)
6: (85) call bpf_map_lookup_elem#1    ; R0=map_value_or_null(id=1,map=h,ks=4,vs=8)
; return v.value @ prog.py:9
7: (79) r0 = *(u64 *)(r0 +0)
R0 invalid mem access 'map_value_or_null'
processed 7 insns (limit 1000000) max_states_per_insn 0 total_states 0 peak_states 0 mark_read 0
"""
SRC = "\n".join(["x"] * 7 + ["    v = m.lookup(k)", "    return v.value"]) + "\n"


def test_verifier_message_from_a_log() -> None:
    e = verifier.verifier_error("bad", LOG, SRC, "prog.py")
    assert (e.lineno, e.col_offset, e.filename) == (9, 4, "prog.py")
    lines = str(e).splitlines()
    assert lines[0] == ("prog.py:9:5: error: verifier rejected program 'bad': "
                        "R0 invalid mem access 'map_value_or_null'")
    assert lines[1] == "        return v.value" and lines[2] == "        ^^^^^^^^^^^^^^"
    assert "if r is None: return 0" in lines[3]
    assert e.log == LOG


@pytest.mark.parametrize("log_line, hint", [
    ("back-edge from insn 10 to 5", "loop's bound"),
    ("infinite loop detected at insn 3\ncur state: R1=ctx() R10=fp0\nold state: R1=ctx() R10=fp0",
     "could not see the loop make progress"),
    ("R2 unbounded memory access, make sure to bounds check any such access", "index"),
    ("combined stack size of 3 calls is 576. Too large", "stack"),
    ("BPF program is too large. Processed 1000001 insn", "too many instructions"),
    ("The sequence of 8193 jumps is too complex.", "branches"),
    ("invalid access to packet, off=14 size=20, R2(id=0,off=14,r=14)", "ctx.load"),
])
def test_hints_for_common_failures(log_line: str, hint: str) -> None:
    e = verifier.verifier_error("p", f"; x = 1 @ f.py:3\n0: (b7) r0 = 0\n{log_line}\n"
                                "processed 2 insns (limit 1000000) max_states_per_insn 0\n")
    assert hint in str(e) and e.lineno == 3
    assert str(e).splitlines()[0] == f"f.py:3:1: error: verifier rejected program 'p': " \
                                     f"{log_line.splitlines()[0]}"


def test_reason_on_the_line_of_the_instruction_before() -> None:
    """Fuzz seed 2 program 3312: the kernel printed its reason on the last instruction's line
    (that instruction's state not yet printed); the headline was "the verifier rejected the
    program"."""
    log = ("; if x: @ f.py:7\n"
           "869: (85) call bpf_map_lookup_elem#1          ; frame1: R0=map_value_or_null(id=6) cb\n"
           "870: (55) if r0 != 0x0 goto pc+1 BPF program is too large. Processed 1000001 insn\n"
           "processed 1000001 insns (limit 1000000) max_states_per_insn 34 total_states 45560\n")
    e = verifier.verifier_error("p", log)
    assert str(e).splitlines()[0] == "f.py:7:1: error: verifier rejected program 'p': " \
                                     "BPF program is too large. Processed 1000001 insn", str(e)
    assert "too many instructions" in str(e) and e.lineno == 7


# Every kind of refusal this suite can provoke (and the kinds the fuzzer met), each from a
# tiny LLVM IR program (ebpfpy's checker refuses the same mistakes in Python first):
# (section, body, the kernel's reason).
IR_HEAD = 'target triple = "bpfel-unknown-none"\n' \
          '@LICENSE = global [4 x i8] c"GPL\\00", section "license"\n'
REFUSALS = {
    "infinite_loop": ("syscall", "entry:\n br label %l\nl:\n br label %l",
                      "infinite loop detected at insn 0"),
    "no_return_value": ("syscall", "entry:\n ret i32 undef", "R0 !read_ok"),
    "unknown_helper": ("syscall", "entry:\n %r = call i64 inttoptr (i64 9999 to ptr)()\n"
                       " %t = trunc i64 %r to i32\n ret i32 %t", "invalid func unknown#9999"),
    "ctx_out_of_range": ("tracepoint/syscalls/sys_enter_getpid",
                         "entry:\n %p = getelementptr i8, ptr %ctx, i64 8192\n"
                         " %v = load i32, ptr %p\n ret i32 %v",
                         "invalid bpf_context access off=8192 size=4"),
    "scalar_deref": ("syscall", "entry:\n %v = load volatile i32, ptr inttoptr (i64 1234 to ptr)\n"
                     " ret i32 %v", "R1 invalid mem access 'scalar'"),
    "helper_argument_type": ("syscall", "entry:\n %r = call ptr inttoptr (i64 1 to ptr)(i64 7, ptr null)\n"
                             " ret i32 0", "R1 type=scalar expected=map_ptr"),
    "too_large": ("syscall", "entry:\n %a = alloca i64\n br label %l\nl:\n"
                  " %i = phi i64 [0, %entry], [%n, %l]\n store volatile i64 %i, ptr %a\n"
                  " %n = add i64 %i, 1\n %c = icmp ult i64 %n, 2000000\n br i1 %c, label %l, label %x\n"
                  "x:\n ret i32 0", "BPF program is too large. Processed 1000001 insn"),
    "jumps_too_complex": ("syscall", "entry:\n %a = alloca i64\n store volatile i64 0, ptr %a\n"
                          " br label %l\nl:\n %i = phi i64 [0, %entry], [%n, %m]\n"
                          " %x = call i64 inttoptr (i64 7 to ptr)()\n %b = and i64 %x, 1\n"
                          " %z = icmp eq i64 %b, 0\n br i1 %z, label %y, label %m\n"
                          "y:\n store volatile i64 %i, ptr %a\n br label %m\n"
                          "m:\n %n = add i64 %i, 1\n %c = icmp ult i64 %n, 20000\n"
                          " br i1 %c, label %l, label %x2\nx2:\n ret i32 0",
                          "The sequence of 8193 jumps is too complex."),
    "helper_not_for_this_kind": ("socket", "entry:\n %r = call i64 inttoptr (i64 9 to ptr)()\n"
                                 " %t = trunc i64 %r to i32\n ret i32 %t",
                                 "program of this type cannot use helper bpf_skb_store_bytes#9"),
    "return_out_of_range": ("cgroup_skb/ingress", "entry:\n ret i32 5",
                            "At program exit the register R0 has smin=5 smax=5 should have "
                            "been in [0, 1]"),
    "packet_unchecked": ("xdp", "entry:\n %d = load i32, ptr %ctx\n %z = zext i32 %d to i64\n"
                         " %p = inttoptr i64 %z to ptr\n %v = load volatile i8, ptr %p\n"
                         " %w = zext i8 %v to i32\n ret i32 %w",
                         "invalid access to packet, off=0 size=1, R1(id=0,off=0,r=0)"),
    # the refusals the fuzzer met in index and address arithmetic (docs/testing.md)
    "or_on_pointer": ("syscall", "entry:\n %a = alloca i64\n store volatile i64 0, ptr %a\n"
                      " %x0 = load volatile i64, ptr %ctx\n %x = and i64 %x0, 7\n"
                      " %i = ptrtoint ptr %a to i64\n %j = or i64 %i, %x\n"
                      " %p = inttoptr i64 %j to ptr\n %v = load volatile i64, ptr %p\n"
                      " %t = trunc i64 %v to i32\n ret i32 %t",
                      "R2 bitwise operator |= on pointer prohibited"),
    "fp_math_unbounded_min": ("syscall", "entry:\n %a = alloca [8 x i64]\n"
                              " store volatile i64 0, ptr %a\n %x = load volatile i64, ptr %ctx\n"
                              " %p = getelementptr i8, ptr %a, i64 %x\n %v = load volatile i8, ptr %p\n"
                              " %t = zext i8 %v to i32\n ret i32 %t",
                              "math between fp pointer and register with unbounded min value is "
                              "not allowed"),
    "unbounded_stack_offset": ("syscall", "entry:\n %a = alloca [8 x i64]\n"
                               " store volatile i64 0, ptr %a\n %x0 = load volatile i32, ptr %ctx\n"
                               " %x = zext i32 %x0 to i64\n %p = getelementptr i8, ptr %a, i64 %x\n"
                               " %v = load volatile i8, ptr %p\n %t = zext i8 %v to i32\n ret i32 %t",
                               "invalid unbounded variable-offset read from stack R2"),
    "combined_stack": ("syscall", "entry:\n %a = alloca [300 x i8]\n store volatile i8 1, ptr %a\n"
                       " %r = call i32 @deep(ptr %a)\n ret i32 %r",
                       "combined stack size of 2 calls is 704. Too large"),
}
# functions a refusal's program calls
CALLEES = {
    "combined_stack": "define internal i32 @deep(ptr %q) noinline {\nentry:\n %b = alloca [400 x i8]\n"
                      " store volatile i8 2, ptr %b\n %v = load volatile i8, ptr %b\n"
                      " %w = load volatile i8, ptr %q\n %s = add i8 %v, %w\n"
                      " %z = zext i8 %s to i32\n ret i32 %z\n}\n",
}


def _headline_reason(e: ebpfpy.VerifierError) -> str:
    first = str(e).splitlines()[0]
    return first.split(f"verifier rejected program {e.program!r}: ", 1)[1]


@needs_compiler
@pytest.mark.parametrize("name", sorted(REFUSALS))
def test_headline_is_the_kernels_reason(name: str) -> None:
    """Whatever the kernel prints after its reason (the two states of an infinite loop, the
    statistics), the headline is the reason line itself."""
    from ebpfpy.lower.target import emit_object
    section, body, reason = REFUSALS[name]
    ir = IR_HEAD + CALLEES.get(name, "") + \
        f'define i32 @{name}(ptr %ctx) section "{section}" {{\n{body}\n}}\n'
    with pytest.raises(ebpfpy.VerifierError) as info:
        BpfObject(emit_object(ir, level=0))
    e = info.value
    assert _headline_reason(e) == reason, str(e)
    assert reason in e.log.splitlines()
    if name == "infinite_loop":
        assert "loop's bound" not in str(e) and "make progress" in str(e)


@needs_compiler
def test_headline_and_line_of_a_python_refusal() -> None:
    mod = compile_full(source=REJECTED, filename="rejected.py")
    with pytest.raises(ebpfpy.VerifierError) as info:
        BpfObject(mod.elf, compiled=mod)
    reason = _headline_reason(info.value)
    assert reason.startswith("invalid bpf_context access") and reason in info.value.log.splitlines()


@needs_compiler
def test_too_large_points_at_the_loop_the_verifier_gave_up_on() -> None:
    """Tutorial step 3 without splitting: LLVM gives the latch of the 2,000,000-iteration loop
    the line of the 1,000-iteration loop's body, so the last quote in the log names line 25;
    the error names the loop whose back edge the verifier was walking (line 29, as
    docs/tutorial.md shows)."""
    path = os.path.join(os.path.dirname(__file__), "..", "examples", "tutorial", "03_limits.py")
    with pytest.raises(ebpfpy.VerifierError) as info:
        ebpfpy.load(path, split=False)
    e = info.value
    assert e.lineno == 29, str(e)
    lines = str(e).splitlines()
    assert lines[0].endswith("03_limits.py:29:5: error: verifier rejected program 'sums': "
                             "BPF program is too large. Processed 1000001 insn"), lines[0]
    assert lines[1].strip() == "for i in range(2_000_000):"


def test_no_source_quote_still_explains() -> None:
    e = verifier.verifier_error("p", "0: (95) exit\nR0 !read_ok\n")
    assert e.lineno is None
    assert str(e).startswith("verifier rejected program 'p': R0 !read_ok")
    assert "return an integer" in str(e)


def test_compiling_needs_no_privilege() -> None:
    """The compiler runs with no capabilities at all (bounding, permitted and effective sets
    empty), where bpf() itself is refused.  The uid stays 0 only so that the interpreter and
    its packages, wherever root installed them, remain readable."""
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    code = (f"import sys; sys.path.insert(0, {root!r}); import ebpfpy; "
            f"elf = ebpfpy.compile(source={SIMPLE!r}, filename='simple.py'); "
            "caps = [l.split()[1] for l in open('/proc/self/status') if l.startswith('CapEff')][0]; "
            "sys.stdout.write(caps + ' ' + elf[:4].hex() + ' ' + str(len(elf)))")
    env = {"PATH": os.environ.get("PATH", ""), "EBPFPY_NO_CACHE": "1", "HOME": "/nonexistent"}
    r = subprocess.run(["setpriv", "--inh-caps=-all", "--ambient-caps=-all", "--bounding-set=-all",
                        sys.executable, "-c", code],
                       capture_output=True, text=True, env=env, timeout=120, cwd="/")
    assert r.returncode == 0, r.stderr
    caps, magic, size = r.stdout.split()
    assert int(caps, 16) == 0                      # no capability whatsoever
    assert magic == "7f454c46" and int(size) > 500
