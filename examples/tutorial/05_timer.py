"""Step 5: programs that don't have to end — a timer whose callback re-arms itself.

    python examples/tutorial/05_timer.py

Every BPF program ends, but a timer callback may start its own timer again: ``start(0)``
means "as soon as possible", so the callback runs forever, tens of thousands of times a
second, until it is cancelled or its map goes away (closing the object).  The timer lives in
a map value; a syscall program, run once from userspace, arms it.
"""
from ebpfpy import bpf_program, bpf_function, struct, helpers, Array, Timer, u32, u64


@struct
class Clock:
    timer: Timer
    ticks: u64            # callbacks so far
    first_ns: u64         # ktime of the first and the latest callback
    last_ns: u64


clock = Array(Clock, 1)


@bpf_function
def tick(m, key: u32, c: Clock) -> int:
    now = helpers.ktime_get_ns()
    if c.ticks == 0:
        c.first_ns = now
    c.last_ns = now
    c.ticks += 1
    c.timer.start(0)      # run again: this is what makes the program never end
    return 0


@bpf_program("syscall")
def start(ctx) -> int:
    c = clock.lookup(0)
    if c is None:
        return 1
    c.timer.init(clock)
    c.timer.set_callback(tick)
    c.timer.start(0)
    return 0


@bpf_program("syscall")
def stop(ctx) -> int:
    c = clock.lookup(0)
    if c is None:
        return 1
    c.timer.cancel()
    return 0


if __name__ == "__main__":
    import time

    import ebpfpy

    with ebpfpy.load(__file__) as obj:
        obj.programs.start.test_run()
        for _ in range(3):
            time.sleep(0.25)
            c = obj.maps.clock[0]
            print(f"{c.ticks:>8} callbacks, {(c.last_ns - c.first_ns) / 1e9:.2f} s of kernel time")
        obj.programs.stop.test_run()
        c = obj.maps.clock[0]
        time.sleep(0.25)
        print(f"cancelled: {c.ticks} callbacks then, {obj.maps.clock[0].ticks} now "
              f"({c.ticks / ((c.last_ns - c.first_ns) / 1e9):,.0f} callbacks/s)")
