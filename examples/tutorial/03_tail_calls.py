"""Step 3: what subprograms and tail calls do to the verifier's limit, measured.

    python examples/tutorial/03_tail_calls.py

A subprogram (``@bpf_function``) is verified as part of its program, once per call site: it
shares the program's one million processed instructions.  A tail call jumps to *another*
program, verified on its own with its own million; a chain may take at most 33 tail calls
(``MAX_TAIL_CALL_CNT``), after which ``tail_call`` falls through.
"""
from ebpfpy import bpf_program, bpf_function, struct, Array, ProgArray, XdpContext, u32, u64, XDP_PASS

N = 30_000                    # iterations per hop: a plain loop, walked by the verifier


@struct
class Chain:
    hops: u32                 # programs run in this chain so far
    total: u64                # sum over every hop of sum(range(N))


chain = Array(Chain, 1)
progs = ProgArray(1)


@bpf_function
def spin(seed: u64) -> u64:
    """A subprogram with a loop of 300 iterations, walked at every call site."""
    s = seed
    for i in range(300):
        s += u64(i) ^ (s >> 3)
    return s


@bpf_function
def i32_of(v: u64) -> int:
    return int(v & 1)


@bpf_program("syscall")
def call_once(ctx) -> int:
    return i32_of(spin(1))


@bpf_program("syscall")
def call_four_times(ctx) -> int:
    return i32_of(spin(1) + spin(2) + spin(3) + spin(4))


@bpf_program("xdp")
def hop(ctx: XdpContext) -> int:
    c = chain.lookup(0)
    if c is None:
        return XDP_PASS
    t: u64 = 0
    for i in range(N):
        t += u64(i)
    c.total += t
    c.hops += 1
    progs.tail_call(ctx, 0)   # to itself: a fresh program run, same verified code
    return XDP_PASS           # reached when the kernel refuses the 34th program


if __name__ == "__main__":
    import re

    import ebpfpy

    PACKET = bytes(64)

    def processed(p) -> int:
        return int(re.search(r"processed (\d+) insns", p.log).group(1))

    with ebpfpy.load(__file__, log_level=4) as obj:
        once, four = obj.programs.call_once, obj.programs.call_four_times
        print(f"a subprogram called once:       the verifier processed {processed(once):>7,} insns")
        print(f"the same subprogram, four calls: the verifier processed {processed(four):>7,} insns")
        hop = obj.programs.hop
        print(f"one hop of the chain:            the verifier processed {processed(hop):>7,} insns")
        obj.maps.progs[0] = hop
        hop.test_run(data=PACKET)
        c = obj.maps.chain[0]
        print(f"one packet ran {c.hops} programs ({c.hops - 1} tail calls): "
              f"{c.hops * N:,} loop iterations, total = {c.total}")
        print(f"Python: total = {c.hops * sum(range(N))}")
