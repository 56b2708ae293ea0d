# examples/count_opens.py
from ebpfpy import bpf_program, HashMap, u32, u64, helpers

counts = HashMap(u32, u64, max_entries=1024)        # a map

@bpf_program("tracepoint/syscalls/sys_enter_openat")
def on_open(ctx) -> int:
    pid = u32(helpers.get_current_pid_tgid() >> 32)
    counts[pid] += 1
    return 0

if __name__ == "__main__":                            # userspace: ignored by the compiler
    import ebpfpy, time
    with ebpfpy.load(__file__) as obj:
        obj.programs.on_open.attach()
        time.sleep(1)
        for pid, n in obj.maps.counts.items():
            print(pid, n)
