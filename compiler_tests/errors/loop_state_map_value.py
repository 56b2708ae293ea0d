# expect: E167 21:28
from ebpfpy import bpf_program, bpf_function, struct, Array, u32, helpers

@struct
class S:
    n: u32

states = Array(S, 1)

@bpf_function
def step(i: u32, s: S) -> int:
    s.n += 1
    return 0

@bpf_program("syscall")
def main(ctx) -> int:
    s = states.lookup(0)
    if s is None:
        return 0
    # bpf_loop's state must be on the stack: a map value is refused by the kernel
    helpers.loop(10, step, s)
    return 0
