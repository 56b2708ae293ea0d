"""Broken on purpose (step 12): an allocated object that one path neither frees nor stores."""
from ebpfpy import Array, RbNode, RbRoot, SpinLock, bpf_function, bpf_program, helpers, struct, u64


@struct
class Write:
    size: u64
    rb: RbNode


@struct
class Top:
    lock: SpinLock
    root: RbRoot[Write, "rb"]


top = Array(Top, 1)


@bpf_function
def smaller(a: Write, b: Write) -> bool:
    return a.size < b.size


@bpf_program("syscall")
def add(ctx) -> int:
    n = helpers.obj_new(Write)             # expect: E315 27:9
    if n is None:
        return 0
    v = top.lookup(0)
    if v is None:
        return 0                           # n leaks here
    with v.lock:
        v.root.add(n, smaller)
    return 0
