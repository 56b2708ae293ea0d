"""Step 2: the verifier's principles — every pointer is checked before it is used.

    python examples/tutorial/02_verifier.py

``counts.lookup(pid)`` returns a reference into the map, or None when the key is absent.  The
kernel's verifier refuses a program that could dereference a NULL pointer, so ebpfpy refuses
it first, at compile time, pointing at the line (see 02_unchecked.py for the mistake).
"""
from ebpfpy import bpf_program, helpers, HashMap, u32, u64

counts = HashMap(u32, u64, max_entries=1024)      # pid -> openat calls


@bpf_program("tracepoint/syscalls/sys_enter_openat")
def count(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    r = counts.lookup(pid)
    if r is None:                 # the check the verifier insists on
        counts[pid] = 1
        return 0
    r.value += 1                  # after the check: a reference to the stored value
    return 0


if __name__ == "__main__":
    import os

    import ebpfpy

    with ebpfpy.load(__file__) as obj, obj.programs.count.attach():
        for _ in range(5):
            open(__file__).close()
        print(f"this process (pid {os.getpid()}) opened files "
              f"{obj.maps.counts[os.getpid()]} times while the program was attached")
