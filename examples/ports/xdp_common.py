"""What xdp-tutorial's ``common/`` gives its lessons: the command line (``--dev``,
``--unload``, ``--unload-all``, ``--progname``, ``-q``), loading and attaching a program
that stays on the interface after the loader exits, unloading it, and ``action2str``.

The tutorial attaches through libxdp's netlink interface, which leaves the program on the
device until ``--unload``.  ebpfpy attaches XDP through a BPF link, which would end with the
process; pinning the link in bpffs (``/sys/fs/bpf/IFNAME/xdp_link``) keeps it, and unloading
removes that pin.
"""
from __future__ import annotations

import argparse
import os
import socket
import sys
from typing import Any

# the tutorial's pin_basedir; XDP_PIN_BASEDIR names another bpffs mount (the tests use a
# private one, so no other process that tidies /sys/fs/bpf removes their pins)
PIN_BASEDIR = os.environ.get("XDP_PIN_BASEDIR", "/sys/fs/bpf")
XDP_ACTIONS = ("XDP_ABORTED", "XDP_DROP", "XDP_PASS", "XDP_TX", "XDP_REDIRECT")
EXIT_OK, EXIT_FAIL, EXIT_FAIL_OPTION, EXIT_FAIL_XDP, EXIT_FAIL_BPF = 0, 1, 2, 30, 40


def action2str(action: int) -> str:
    """common_user_bpf_xdp.c's ``action2str``."""
    return XDP_ACTIONS[action] if 0 <= action < len(XDP_ACTIONS) else "XDP_UNKNOWN"


def parser(doc: str, progname: str | None = None, quiet: bool = False) -> argparse.ArgumentParser:
    """common_params.c's options (the mode flags -S/-N/-A are left out: a BPF link attaches
    in the mode the driver supports, native where it has it)."""
    p = argparse.ArgumentParser(description=doc)
    p.add_argument("-d", "--dev", required=True, help="Operate on device <ifname>")
    p.add_argument("-U", "--unload", type=int, metavar="ID",
                   help="Unload XDP program <id> instead of loading")
    p.add_argument("--unload-all", action="store_true", help="Unload all XDP programs on device")
    if quiet:
        p.add_argument("-q", "--quiet", action="store_true", help="Quiet mode (no output)")
    if progname is not None:
        p.add_argument("--progname", default=progname,
                       help="Load program from function <name> in the ELF file")
    return p


def ifindex(dev: str) -> int:
    """``if_nametoindex``, exiting as the tutorial's option parser does for an unknown name."""
    try:
        return socket.if_nametoindex(dev)
    except OSError:
        print(f"ERR: --dev name unknown err({os.strerror(19)}):{dev}", file=sys.stderr)
        raise SystemExit(EXIT_FAIL_OPTION)


def link_pin(dev: str) -> str:
    """Where the link that keeps a lesson's program on ``dev`` is pinned."""
    return os.path.join(PIN_BASEDIR, dev, "xdp_link")


def attach_pinned(prog: Any, dev: str) -> None:
    """Attach ``prog`` to ``dev``'s XDP hook and pin the link, so the program stays attached
    after this process (libxdp's ``xdp_program__attach``)."""
    link = prog.attach(iface=dev)
    os.makedirs(os.path.dirname(link_pin(dev)), exist_ok=True)
    try:
        link.pin(link_pin(dev))
    finally:
        link.detach()                   # this process's reference; the pin keeps it attached


def do_unload(dev: str, prog_id: int | None) -> bool:
    """Detach what a loader left on ``dev`` (the program ``prog_id`` only, when given):
    remove the link's pin, and the pin directory once empty.  False when nothing matched."""
    path = link_pin(dev)
    if not os.path.exists(path):
        return False
    if prog_id is not None and f"prog/xdp id {prog_id} " not in _ip_link(dev):
        return False
    os.unlink(path)
    try:
        os.rmdir(os.path.dirname(path))
    except OSError:
        pass                            # maps are still pinned there (basic04)
    return True


def _ip_link(dev: str) -> str:
    import subprocess
    return subprocess.run(["ip", "link", "show", "dev", dev], capture_output=True,
                          text=True).stdout


def unload_or_none(args: Any, progname: str) -> int | None:
    """Handle ``--unload``/``--unload-all`` as the lessons' mains do; None when loading."""
    if args.unload is None and not args.unload_all:
        return None
    if not do_unload(args.dev, args.unload):
        which = args.unload if args.unload is not None else progname
        print(f"Couldn't unload XDP program {which}: No such file or directory", file=sys.stderr)
        return EXIT_FAIL_XDP
    print(f"Success: Unloading XDP prog name: {progname}")
    return EXIT_OK
