"""``ebpfpy package FILE -o IMAGE.tar``: a bpfman bytecode image (an OCI archive) of FILE.

FILE is a BPF module (compiled first) or a BPF object file.  The heavy imports happen inside
the command so that ``ebpfpy --help`` stays fast.
"""
from __future__ import annotations

import os
import sys

from .atomic_write import write_atomic

TYPE_CHECKING = False    # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    import argparse
    from typing import Callable

    AddCommand = Callable[[str, Callable[[argparse.Namespace], int], str],
                          argparse.ArgumentParser]

EXIT_USER_ERROR = 1


def register(add: AddCommand) -> None:
    """Add the ``package`` subcommand through the CLI's ``add(name, fn, help)``."""
    sp = add("package", cmd_package,
             "build a bpfman bytecode image (an OCI archive) of FILE, offline")
    sp.add_argument("-o", "--output", metavar="IMAGE.tar", required=True,
                    help="the OCI archive to write (push it with skopeo copy oci-archive:...)")
    sp.add_argument("--tag", default="latest", help="the image's reference name (default latest)")
    sp.add_argument("--arch", metavar="GOARCH",
                    help="the image's architecture (default this machine's, e.g. amd64)")


def object_name(path: str) -> str:
    """The object's file name inside the image: ``NAME.bpf.o`` for ``NAME.py`` or ``NAME.bpf.o``."""
    base = os.path.basename(path)
    for suffix in (".bpf.o", ".o", ".py"):
        if base.endswith(suffix):
            base = base[: -len(suffix)]
            break
    return base + ".bpf.o"


def read_object(path: str) -> bytes:
    """ELF bytes for FILE: an object as is, a Python module compiled."""
    with open(path, "rb") as f:
        data = f.read()
    if data[:4] == b"\x7fELF":
        return data
    from .api import compile_module         # lazy: start-up time (see cli.py)
    return compile_module(path)


def cmd_package(args: argparse.Namespace) -> int:
    """Compile FILE if needed, then write the image archive and say what its labels list."""
    from .bytecode_image import ImageError, package    # lazy: start-up time (see cli.py)
    try:
        archive, found = package(read_object(args.file), object_name(args.file),
                                 tag=args.tag, architecture=args.arch)
    except ImageError as e:
        print(f"ebpfpy: {args.file}: {e}", file=sys.stderr)
        return EXIT_USER_ERROR
    write_atomic(args.output, archive)          # whole or not at all
    for name, section in found.skipped.items():
        print(f"ebpfpy: note: {name} ({section}) is left out: bpfman does not load this kind",
              file=sys.stderr)
    for entry, parts in _chains(found.programs, found.maps).items():
        print(f"ebpfpy: note: {entry} runs as a chain of tail calls ({', '.join(parts)}): bpfman "
              f"does not fill its ProgArray {entry}__parts; put the parts at indexes 0..{len(parts) - 1} "
              "after loading (ebpfpy.load does it), and attach only the entry", file=sys.stderr)
    progs = ", ".join(f"{n} ({t})" for n, t in found.programs.items())
    maps = ", ".join(f"{n} ({t})" for n, t in found.maps.items()) or "none"
    print(f"{args.output}: programs {progs}; maps {maps}")
    return 0


def _chains(programs: dict[str, str], maps: dict[str, str]) -> dict[str, list[str]]:
    """Programs the compiler split into tail calls (frontend/chain.py), by their names: the
    entry NAME, its parts NAME__part1, NAME__part2, ... and the ProgArray NAME__parts."""
    out: dict[str, list[str]] = {}
    for entry in programs:
        parts: list[str] = []
        while f"{entry}__part{len(parts) + 1}" in programs:
            parts.append(f"{entry}__part{len(parts) + 1}")
        if parts and f"{entry}__parts" in maps:
            out[entry] = parts
    return out
