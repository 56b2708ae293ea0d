"""LLVM IR text → optimised BPF ELF bytes, in process through llvmlite (no clang, no llc)."""
from __future__ import annotations

import functools
import re
from typing import Any

TRIPLE = "bpfel-unknown-none"
# v3: 32-bit jumps and ALU32 (kernel 5.1+).  Signed division is lowered by hand, so v4
# (kernel 6.6+) is not required.
CPU = "v3"


@functools.lru_cache(maxsize=None)
def _llvm() -> Any:
    import llvmlite.binding as llvm
    llvm.initialize_all_targets()
    llvm.initialize_all_asmprinters()
    # IndVarSimplify replaces a loop's exit value by its closed form: ``total += i`` over
    # ``range(min(n, 8))`` becomes n*(n-1)/2 computed in 128 bits, a call to __multi3 that
    # the BPF backend cannot emit; it reports a fatal error and exits the whole process.
    llvm.set_option("ebpfpy", "-replexitval=never")
    return llvm


@functools.lru_cache(maxsize=None)
def target_machine() -> Any:
    llvm = _llvm()
    target = llvm.Target.from_triple(TRIPLE)
    return target.create_target_machine(cpu=CPU, opt=2, reloc="static", codemodel="small")


def optimise(ir_text: str, level: int = 2) -> Any:
    """Parse and verify ``ir_text``, then run LLVM's ``-O<level>`` pipeline on it."""
    llvm = _llvm()
    mod = llvm.parse_assembly(ir_text)
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
    text = str(mod)
    if _CTX_LOAD.search(text):
        mod = _llvm().parse_assembly(_CTX_LOAD.sub(r"\1i1 true", text))
    return target_machine().emit_object(mod)


# ctx loads (llvm.bpf.getelementptr.and.load, from llvm.preserve.static.offset) become
# volatile once the IR optimisations are done: instruction selection would otherwise fold
# ``select(c, load ctx.a, load ctx.b)`` into ``load(select(c, &ctx.a, &ctx.b))``, a ctx
# access at a computed offset that the verifier refuses ("dereference of modified ctx
# ptr").  The first i1 operand of the intrinsic is its volatile flag.
_CTX_LOAD = re.compile(r"(@llvm\.bpf\.getelementptr\.and\.load\.\w+\(ptr [^,]*, )i1 false")


def optimised_ir(ir_text: str, level: int = 2) -> str:
    return str(optimise(ir_text, level))
