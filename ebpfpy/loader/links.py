"""Attachments of a program: every kind is a :class:`Link` with an idempotent ``detach()``.

A link made through a ``BpfObject`` is registered with it and destroyed when it closes, so
nothing stays attached after ``close()`` (or garbage collection) of the object.

Threads: ``detach()`` may be called from any thread, as often as you like; exactly one call
detaches.
"""
from __future__ import annotations

import errno
import os
import socket
import threading
from typing import Any

from .. import libbpf as L
from ..errors import AttachError, AttachPermissionError
from ..libbpf import ffi, lib

SO_ATTACH_BPF, SO_DETACH_BPF = 50, 27


class Link:
    """An attached program; a context manager that detaches on exit."""

    kind = "link"

    def __init__(self, program: str, target: str = "") -> None:
        self.program, self.target = program, target
        self.attached = True
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        state = "attached" if self.attached else "detached"
        return f"<{type(self).__name__} {self.program!r} {self.target} {state}>"

    def detach(self) -> None:
        """Detach the program (idempotent, from any thread)."""
        with self._lock:
            if not self.attached:
                return
            self.attached = False
        self._detach()

    def _detach(self) -> None:
        pass

    def __enter__(self) -> "Link":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.detach()


class BpfLink(Link):
    """A libbpf ``struct bpf_link`` (tracepoints, raw_tp, uprobes, XDP, iterators, ...)."""

    def __init__(self, ptr: Any, program: str, target: str = "") -> None:
        super().__init__(program, target)
        self.ptr = ptr

    @property
    def fd(self) -> int:
        """The link's fd (-1 once detached)."""
        return lib.bpf_link__fd(self.ptr) if self.attached else -1

    def pin(self, path: str) -> None:
        """Pin the link at ``path`` in bpffs (libbpf's ``bpf_link__pin``): the program stays
        attached after this process exits, until the file is removed (``os.unlink(path)``),
        as xdp-tutorial's loaders leave their program on the interface.  Detaching closes only
        this process's reference."""
        if not self.attached:
            raise ValueError(f"program {self.program!r}: a detached link cannot be pinned")
        err = lib.bpf_link__pin(self.ptr, path.encode())
        if err:
            raise OSError(-err, f"cannot pin the link of {self.program!r} at {path}: "
                          f"{os.strerror(-err)}", path)

    def _detach(self) -> None:
        lib.bpf_link__destroy(self.ptr)
        self.ptr = ffi.NULL


class LinkGroup(Link):
    """One program attached at several places (``attach(symbols=[...])`` of a uprobe):
    ``links`` holds one link per place; detaching the group detaches each."""

    kind = "group"

    def __init__(self, program: str, links: list[Link]) -> None:
        super().__init__(program, ", ".join(link.target for link in links))
        self.links = links

    def _detach(self) -> None:
        for link in self.links:
            link.detach()


class IterLink(BpfLink):
    """An ``iter/...`` program attached as an iterator; :meth:`read` runs it once."""

    def read(self) -> str:
        """Create an iterator instance and return all the text the program writes."""
        return self.read_bytes().decode("utf-8", "replace")

    def read_bytes(self) -> bytes:
        """Like :meth:`read`, as bytes."""
        if not self.attached:
            raise ValueError("iterator link is detached")
        fd = lib.bpf_iter_create(self.fd)
        if fd < 0:
            raise L.os_error(-fd, f"bpf_iter_create for {self.program!r}")
        chunks = []
        try:
            while chunk := os.read(fd, 65536):
                chunks.append(chunk)
        finally:
            os.close(fd)
        return b"".join(chunks)


class TcLink(Link):
    """A tc filter on a clsact hook; detaching removes it, and the hook if we created it."""

    def __init__(self, program: str, ifindex: int, attach_point: int, prog_fd: int,
                 priority: int = 0, handle: int = 0) -> None:
        where = "ingress" if attach_point == L.BPF_TC_INGRESS else "egress"
        super().__init__(program, f"tc {where} ifindex={ifindex}")
        self.attached = False
        self.hook = L.new_opts("bpf_tc_hook", ifindex=ifindex, attach_point=attach_point)
        rc = lib.bpf_tc_hook_create(self.hook)
        if rc < 0 and -rc != errno.EEXIST:
            raise attach_error(-rc, program, self.target)
        self.own_hook = rc == 0              # EEXIST: someone else's clsact qdisc, keep it
        self.opts = L.new_opts("bpf_tc_opts", prog_fd=prog_fd, priority=priority, handle=handle)
        rc = lib.bpf_tc_attach(self.hook, self.opts)
        if rc < 0:
            self._destroy_hook()
            raise attach_error(-rc, program, self.target)
        self.attached = True

    def _destroy_hook(self) -> None:
        if self.own_hook:
            # attach_point INGRESS|EGRESS destroys the whole clsact qdisc.
            self.hook.attach_point = L.BPF_TC_INGRESS | L.BPF_TC_EGRESS
            lib.bpf_tc_hook_destroy(self.hook)

    def _detach(self) -> None:
        # bpf_tc_detach wants only handle and priority set.
        opts = L.new_opts("bpf_tc_opts", handle=self.opts.handle, priority=self.opts.priority)
        lib.bpf_tc_detach(self.hook, opts)
        self._destroy_hook()


class SocketLink(Link):
    """A socket filter attached to a Python socket with ``SO_ATTACH_BPF``."""

    def __init__(self, program: str, sock: socket.socket, prog_fd: int) -> None:
        super().__init__(program, f"socket fd={sock.fileno()}")
        try:
            sock.setsockopt(socket.SOL_SOCKET, SO_ATTACH_BPF, prog_fd)
        except OSError as e:
            raise attach_error(e.errno or errno.EINVAL, program, self.target) from None
        self.sock = sock

    def _detach(self) -> None:
        if self.sock.fileno() >= 0:
            try:
                self.sock.setsockopt(socket.SOL_SOCKET, SO_DETACH_BPF, 0)
            except OSError:
                pass               # already gone with the socket
        self.sock = None  # type: ignore[assignment]


# The likely cause of a refused attach, by section kind and errno (what the kernel checks).
_ATTACH_HINTS = {
    ("tracepoint", errno.EACCES): (
        "the verified program reads its context past this tracepoint's record (the kernel "
        "compares the furthest ctx offset any path reads with the record size): compare the "
        "ctx fields with tracefs events/CATEGORY/NAME/format, or switch optional reads off "
        "with a Const global so the verifier prunes them (docs/language.md)"),
    ("tracepoint", errno.ENOENT): (
        "no such tracepoint on this kernel: list them in tracefs available_events"),
    ("xdp", errno.EBUSY): (
        "another XDP program is attached to this interface: detach it first"),
    ("uprobe", errno.ENOENT): ("no such file or symbol: check the path and the symbol name"),
}
_HINT_KINDS = {"tp": "tracepoint", "tracepoint": "tracepoint", "xdp": "xdp", "uprobe": "uprobe",
               "uretprobe": "uprobe"}


def attach_hint(err: int, target: str) -> str | None:
    """What most likely made the kernel refuse attaching to ``target`` with ``err``."""
    # targets read "tracepoint/CAT/NAME" (the section) or "uprobe PATH:SYMBOL"
    kind = _HINT_KINDS.get((target or "").replace(" ", "/").split("/", 1)[0])
    hint = _ATTACH_HINTS.get((kind or "", err))
    if hint is None and kind == "tracepoint" and err == errno.EINVAL:
        hint = _ATTACH_HINTS[("tracepoint", errno.EACCES)]      # older kernels say EINVAL
    return hint


def attach_error(err: int, program: str, target: str,
                 messages: list[str] | None = None) -> AttachError:
    """The exception for a failed attach: :class:`AttachError` (an ``OSError``), or
    :class:`AttachPermissionError` (also a ``PermissionError``) for EPERM/EACCES; the message
    ends with the likely cause where one is known (``hint: ...``)."""
    text = f"cannot attach program {program!r} to {target or 'its section target'}: " \
           f"{os.strerror(err)}"
    hint = attach_hint(err, target)
    if hint:
        text += f"\nhint: {hint}"
    if messages:
        text += "\nlibbpf: " + "\nlibbpf: ".join(m.rstrip() for m in messages[-5:])
    cls = AttachPermissionError if err in (errno.EPERM, errno.EACCES) else AttachError
    return cls(err, text, program, target, hint)
