"""Step 3: a program larger than one verifier pass, split into a chain of tail calls.

    python examples/tutorial/03_chain.py

The verifier walks straight-line code instruction by instruction, and a loop does not help
code that is long rather than repetitive (generated code, a large decision table).  In the
kinds that can tail-call (XDP, tc, socket filters, cgroup_skb, tracepoints, perf events,
kprobes and uprobes), ebpfpy cuts such a program between statements into an entry and parts
``NAME__part1``, ``NAME__part2``, ...: each is a program of its own, verified with its own
budget; the entry and each part end in a tail call to the next through the ProgArray
``NAME__parts`` (the loader fills it), and the locals still needed travel in the per-CPU
array ``NAME__state``.  It happens when the estimate is over half the budget or the function
has more than 8,000 statements; here a small budget (400) makes this short program show it.

FNV-1a over the first 32 bytes of a packet, unrolled, and the same in Python.
"""
from ebpfpy import bpf_program, struct, Array, XdpContext, u8, u64, XDP_PASS

PRIME = 0x100000001B3


@struct
class Head:
    b: u8[32]


hashes = Array(u64, 1)


@bpf_program("xdp")
def fnv(ctx: XdpContext) -> int:
    p = ctx.load(Head, 0)             # a packet pointer: it cannot cross into another program,
    if p is None:                     # so the bytes are copied to a local first
        return XDP_PASS
    head = Head()
    head.b = p.b
    h: u64 = 0xCBF29CE484222325
    h ^= head.b[0]
    h *= PRIME
    h ^= head.b[1]
    h *= PRIME
    h ^= head.b[2]
    h *= PRIME
    h ^= head.b[3]
    h *= PRIME
    h ^= head.b[4]
    h *= PRIME
    h ^= head.b[5]
    h *= PRIME
    h ^= head.b[6]
    h *= PRIME
    h ^= head.b[7]
    h *= PRIME
    h ^= head.b[8]
    h *= PRIME
    h ^= head.b[9]
    h *= PRIME
    h ^= head.b[10]
    h *= PRIME
    h ^= head.b[11]
    h *= PRIME
    h ^= head.b[12]
    h *= PRIME
    h ^= head.b[13]
    h *= PRIME
    h ^= head.b[14]
    h *= PRIME
    h ^= head.b[15]
    h *= PRIME
    h ^= head.b[16]
    h *= PRIME
    h ^= head.b[17]
    h *= PRIME
    h ^= head.b[18]
    h *= PRIME
    h ^= head.b[19]
    h *= PRIME
    h ^= head.b[20]
    h *= PRIME
    h ^= head.b[21]
    h *= PRIME
    h ^= head.b[22]
    h *= PRIME
    h ^= head.b[23]
    h *= PRIME
    h ^= head.b[24]
    h *= PRIME
    h ^= head.b[25]
    h *= PRIME
    h ^= head.b[26]
    h *= PRIME
    h ^= head.b[27]
    h *= PRIME
    h ^= head.b[28]
    h *= PRIME
    h ^= head.b[29]
    h *= PRIME
    h ^= head.b[30]
    h *= PRIME
    h ^= head.b[31]
    h *= PRIME
    hashes[0] = h
    return XDP_PASS


def fnv_python(data: bytes) -> int:
    h = 0xCBF29CE484222325
    for c in data[:32]:
        h = ((h ^ c) * PRIME) & (2**64 - 1)
    return h


if __name__ == "__main__":
    import re

    import ebpfpy

    PACKET = b"GET /index.html HTTP/1.1\r\n".ljust(64, b"\0")
    with ebpfpy.load(__file__, insn_budget=400, log_level=4) as obj:
        chain = ["fnv", *obj.chain_parts]
        print(f"{len(chain)} programs, {len(chain) - 1} tail calls through fnv__parts:")
        for name in chain:
            n = re.search(r"processed (\d+) insns", obj.programs[name].log).group(1)
            print(f"  {name:<11} the verifier processed {int(n):>4} insns")
        obj.programs.fnv.test_run(data=PACKET)
        print(f"kernel: fnv1a(packet[:32]) = {obj.maps.hashes[0]:#018x}")
        print(f"Python: fnv1a(packet[:32]) = {fnv_python(PACKET):#018x}")
