"""Step 2 in C: load a clang-built object whose lookup result is used unchecked.

    clang-19 -O2 -g -target bpf -c examples/tutorial/c/unchecked.bpf.c -o /tmp/unchecked.bpf.o
    python examples/tutorial/02_unchecked_c.py /tmp/unchecked.bpf.o

The kernel refuses it; ``ebpfpy.VerifierError`` renders the verifier's log against the C
source lines found in the object's BTF line info.  Exit status 1 when refused.
"""
import sys

import ebpfpy

if __name__ == "__main__":
    with open(sys.argv[1], "rb") as f:
        elf = f.read()
    try:
        with ebpfpy.load(elf):
            print("loaded (unexpected: the verifier should refuse it)")
    except ebpfpy.VerifierError as e:
        print(e, file=sys.stderr)
        raise SystemExit(1)
