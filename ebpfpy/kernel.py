"""The running kernel's types by name: ``from ebpfpy.kernel import task_struct``.

Any name imports: this module holds no list of kernel types.  The compiler recognises
``ebpfpy.kernel.X`` in the source and asks the kernel's BTF for ``struct X`` only when a
program uses it (``ebpfpy/model/kernel_types.py``).  In BPF code a kernel struct name is
used

* as an annotation or to compare types: ``task = helpers.get_current_task_btf()`` is a
  ``task_struct`` reference whose fields read with CO-RE relocations
  (``task.real_parent.tgid``);
* as a cast from an address: ``t = task_struct(ctx.args[0])`` reads the fields of the task
  at that address with ``bpf_probe_read_kernel`` (``raw_tp`` arguments, plain integers).

Under CPython these names are inert placeholders, so the module still imports and runs.
"""
from __future__ import annotations

from typing import Any


class KernelType:
    """Placeholder for ``struct NAME`` of the kernel (userspace sees no kernel memory)."""

    def __init__(self, name: str) -> None:
        self.name = name

    def __repr__(self) -> str:
        return f"ebpfpy.kernel.{self.name}"

    def __call__(self, addr: int = 0) -> Any:
        raise TypeError(f"struct {self.name} lives in kernel memory: only BPF code can read it")


def __getattr__(name: str) -> KernelType:
    if name.startswith("__"):
        raise AttributeError(name)
    return KernelType(name)
