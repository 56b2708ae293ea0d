"""LLVM IR text → optimised BPF ELF bytes, in process through llvmlite (no clang, no llc)."""
from __future__ import annotations

import faulthandler
import functools
import os
import re
import select
import time
from typing import Any, Callable

from .hazards import ir_hazard, stack_depth
from .postopt import hide_chosen_offsets

TRIPLE = "bpfel-unknown-none"
# v3: 32-bit jumps and ALU32 (kernel 5.1+).  Signed division is lowered by hand, so v4
# (kernel 6.6+) is not required.
CPU = "v3"


@functools.lru_cache(maxsize=None)
def _llvm() -> Any:
    # lazy: only a process that emits code pays for loading LLVM's shared library and
    # initialising its targets (``ebpfpy check`` and a cache hit never do)
    import llvmlite.binding as llvm
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    # IndVarSimplify replaces a loop's exit value by its closed form: ``total += i`` over
    # ``range(min(n, 8))`` becomes n*(n-1)/2 computed in 128 bits, a call to __multi3 that
    # the BPF backend cannot emit; it reports a fatal error and exits the whole process.
    llvm.set_option("ebpfpy", "-replexitval=never")
    # A frame past 512 bytes is an error diagnostic, which ends the process; with the limit
    # lifted, stack_depth() reads the frame from the object and the caller gets an exception.
    llvm.set_option("ebpfpy", f"-bpf-stack-size={1 << 30}")
    return llvm


@functools.lru_cache(maxsize=None)
def target_machine() -> Any:
    """The BPF target machine (made once per process)."""
    llvm = _llvm()
    target = llvm.Target.from_triple(TRIPLE)
    return target.create_target_machine(cpu=CPU, opt=2, reloc="static", codemodel="small")


# Every function is "no-builtins" (clang's -fno-builtin) when optimised: otherwise LLVM turns
# zeroing and copying into calls to memset/memcpy (a loop ``rec.data[i] = 0``, the zeroing
# of a reserved 2 KB record, runs of stores); past MAX_INLINE_MEM_BYTES the backend emits
# them as library calls, which BPF cannot make ("A call to built-in function 'memset' is not
# supported").  Without library functions the stores stay stores, and loops stay loops.
# (llvmlite's IR builder takes no string attributes, hence the text edit; every function
# ebpfpy defines is nounwind.)
_DEFINE_NOUNWIND = re.compile(r'^(define\b[^\n]*?\)[^\n]*?\bnounwind\b)')


def _no_builtins(ir_text: str) -> str:
    """``ir_text`` with "no-builtins" on each nounwind definition.  Only the ``define`` lines
    are searched (a multi-line search tried the pattern at every line of sortnet's 950)."""
    chunks = ("\n" + ir_text).split("\ndefine")
    for i in range(1, len(chunks)):
        c = chunks[i]
        end = c.find("\n")
        end = len(c) if end < 0 else end
        line = _DEFINE_NOUNWIND.sub(r'\1 "no-builtins"', "define" + c[:end], count=1)
        chunks[i] = line[len("define"):] + c[end:]
    return "\ndefine".join(chunks)[1:]


def optimise(ir_text: str, level: int = 2) -> Any:
    """Parse and verify ``ir_text``, then run LLVM's ``-O<level>`` pipeline on it."""
    llvm = _llvm()
    mod = llvm.parse_assembly(_no_builtins(ir_text))
    mod.triple = TRIPLE
    mod.verify()
    tm = target_machine()
    pto = llvm.create_pipeline_tuning_options(speed_level=level)
    pb = llvm.create_pass_builder(tm, pto)
    pm = pb.getModulePassManager()
    pm.run(mod, pb)
    return mod


def emit_object(ir_text: str, level: int = 2) -> bytes:
    """Optimise and emit a BPF ELF object; ``.BTF``/``.BTF.ext`` come from the debug info."""
    mod = optimise(ir_text, level)
    return _codegen(mod, str(mod))


def _codegen(mod: Any, text: str) -> bytes:
    """The object for the optimised module ``mod`` (``text`` is its IR)."""
    edited = hide_chosen_offsets(_CTX_LOAD.sub(r"\1i1 true", text))
    if edited != text:
        mod = _llvm().parse_assembly(edited)
    elf = target_machine().emit_object(mod)
    depth = stack_depth(elf)
    if depth > STACK_LIMIT:
        raise BackendError(f"the BPF stack limit is exceeded: a frame of {depth} bytes, over "
                           f"{STACK_LIMIT} (move large stack variables into a map)")
    return elf


# ctx loads (llvm.bpf.getelementptr.and.load, from llvm.preserve.static.offset) become
# volatile once the IR optimisations are done: instruction selection would otherwise fold
# ``select(c, load ctx.a, load ctx.b)`` into ``load(select(c, &ctx.a, &ctx.b))``, a ctx
# access at a computed offset that the verifier refuses ("dereference of modified ctx
# ptr").  The first i1 operand of the intrinsic is its volatile flag.
_CTX_LOAD = re.compile(r"(@llvm\.bpf\.getelementptr\.and\.load\.\w+\(ptr [^,]*, )i1 false")


class BackendError(Exception):
    """LLVM could not generate code: a fatal error (in the isolated child), or a frame too big."""


CHILD_TIMEOUT = 600.0
STACK_LIMIT = 512


def emit_object_isolated(ir_text: str, level: int = 2) -> bytes:
    """:func:`emit_object`, with LLVM's fatal errors kept from ending this process.

    LLVM reports some backend failures (an operation the target cannot lower, a call to a
    library function) with ``report_fatal_error`` or an error diagnostic, which end the whole
    process.  When the optimised IR holds a construct known to do that (:func:`ir_hazard`),
    code generation runs in a forked child: a failure ends only the child, and
    the caller gets :class:`BackendError` with LLVM's message.  Otherwise it runs in process,
    which saves the fork (several ms in a large process).  ``EBPFPY_NO_FORK=1`` never forks.
    """
    if os.environ.get("EBPFPY_NO_FORK") or not hasattr(os, "fork"):
        return emit_object(ir_text, level)
    # The optimisation passes run in process: they do not stop the process on verified IR
    # (the failures are the backend's).  The screen reads their output, which is also where
    # an optimisation may have made a hazard (a loop idiom, a wide product), and is smaller.
    mod = optimise(ir_text, level)
    text = str(mod)
    if ir_hazard(text):
        return _in_child(lambda: _codegen(mod, text))
    return _codegen(mod, text)


def _in_child(work: Callable[[], bytes]) -> bytes:
    """``work()`` in a forked child: its bytes, or :class:`BackendError` when it fails."""
    data_r, data_w = os.pipe()
    err_r, err_w = os.pipe()
    pid = os.fork()
    if pid == 0:                                        # the child: compile, write, exit
        code = 0
        try:
            os.close(data_r)
            os.close(err_r)
            os.dup2(err_w, 2)
            # A host that enabled faulthandler (pytest does) has it write to its own copy
            # of the terminal: LLVM's abort would print "Fatal Python error" and a stack
            # there although the caller handles it.  Into the pipe, it joins LLVM's message.
            if faulthandler.is_enabled():
                faulthandler.enable(file=err_w)
            out = work()
            view = memoryview(out)
            while view:
                view = view[os.write(data_w, view):]
        except BaseException as e:                      # noqa: BLE001 - reported by status
            text = str(e) if isinstance(e, BackendError) else f"{type(e).__name__}: {e}"
            os.write(err_w, text.encode(errors="replace"))
            code = 3
        finally:
            os._exit(code)
    os.close(data_w)
    os.close(err_w)
    chunks, errs = _drain(data_r, err_r)
    _, status = os.waitpid(pid, 0)
    if status != 0:
        message = b"".join(errs).decode(errors="replace").strip() or f"status {status}"
        raise BackendError(message.replace("LLVM ERROR: ", "").splitlines()[0])
    return b"".join(chunks)


def _drain(data_fd: int, err_fd: int) -> tuple[list[bytes], list[bytes]]:
    """Read both pipes until the child closes them (both at once: neither may fill up)."""
    out: dict[int, list[bytes]] = {data_fd: [], err_fd: []}
    open_fds = [data_fd, err_fd]
    deadline = time.monotonic() + CHILD_TIMEOUT
    try:
        while open_fds:
            ready, _, _ = select.select(open_fds, [], [], max(0.0, deadline - time.monotonic()))
            if not ready:
                raise BackendError("code generation did not finish")
            for fd in ready:
                chunk = os.read(fd, 1 << 16)
                if chunk:
                    out[fd].append(chunk)
                else:
                    open_fds.remove(fd)
    finally:
        os.close(data_fd)
        os.close(err_fd)
    return out[data_fd], out[err_fd]


def optimised_ir(ir_text: str, level: int = 2) -> str:
    """The IR text after the optimisation pipeline at ``level`` (for inspecting what LLVM did)."""
    return str(optimise(ir_text, level))
