"""The ``ebpfpy`` command line (LANGUAGE.md §8): compile, check, run, disasm, ir.

Imports of the compiler, the loader and llvmlite happen inside the commands, so that
``ebpfpy --help`` starts fast.  No Python traceback reaches the user: compile errors print in
the ``CompileError`` form, kernel refusals print their message, and anything unexpected prints
one ``ebpfpy: internal error:`` line (``EBPFPY_DEBUG=1`` shows the traceback instead).
"""
from __future__ import annotations

import argparse
import os
import sys
from typing import Any, Callable, Sequence

from . import cli_doctor, cli_package
from .api import compile_full, compile_module
from .errors import CompileError, LoadError
from .version import __version__
from .atomic_write import write_atomic

EXIT_USER_ERROR = 1        # bad input, refused by the kernel, missing file
EXIT_INTERNAL_ERROR = 2    # a bug in ebpfpy (argparse also uses 2 for usage errors)
DEFAULT_INSN_BUDGET = 1_000_000   # the verifier's processed-instruction limit per load
DEFAULT_MAX_INSNS = 1_000_000     # program size limit when privileged (BPF_MAXINSNS: 4,096)


class UserError(Exception):
    """A problem to report in one line, without a traceback."""


def _read_object(path: str) -> bytes:
    """ELF bytes for FILE: an object as is, a Python module compiled."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head == b"\x7fELF":
        with open(path, "rb") as f:
            return f.read()
    return compile_module(path)


def output_path(file: str, output: str | None) -> str:
    """Where ``compile`` writes: ``-o OUT``; ``NAME.bpf.o`` beside FILE, or inside ``-o DIR``."""
    name = os.path.splitext(file)[0] + ".bpf.o"
    if output is None:
        return name
    if output.endswith(os.sep) or os.path.isdir(output):
        return os.path.join(output, os.path.basename(name))
    return output


def cmd_compile(args: argparse.Namespace) -> int:
    """Write the BPF ELF beside FILE (``NAME.bpf.o``), to ``-o OUT`` or into ``-o DIR``."""
    elf = compile_module(args.file)
    write_atomic(output_path(args.file, args.output), elf)   # whole or not at all
    return 0


def cmd_ir(args: argparse.Namespace) -> int:
    """Print the LLVM IR of FILE."""
    ir = compile_module(args.file, stop_after="ir")
    text = str(ir)
    sys.stdout.write(text if text.endswith("\n") else text + "\n")
    return 0


def cmd_disasm(args: argparse.Namespace) -> int:
    """Print FILE's instructions grouped under their Python lines."""
    from .objfile import BpfElf, disasm        # lazy: start-up time (see module doc)
    from .objfile.validate import InvalidObjectError, validate_object  # lazy: start-up
    data = _read_object(args.file)
    try:
        validate_object(data)      # a corrupt object is the user's input, not our bug
        elf = BpfElf(data)
    except InvalidObjectError as e:
        raise UserError(f"{args.file}: {e}") from None
    except ValueError as e:        # an object file that is not a BPF ELF
        raise UserError(f"{args.file}: not a valid BPF object: {e}") from None
    try:
        sys.stdout.write(disasm(elf, program=args.program, internal=args.internal))
    except KeyError as e:
        raise UserError(e.args[0]) from None
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    """Run every compile-time check and print the per-program table."""
    from .cli_check import check_rows, render_table  # lazy: start-up time
    mod = compile_full(args.file, insn_budget=args.insn_budget)
    rows = check_rows(mod.elf, mod.report, internal=args.internal)
    sys.stdout.write(render_table(rows))
    problems = [f"ebpfpy: {r.name}: {r.size_problem(args.max_insns)}"
                for r in rows if r.over_size(args.max_insns)]
    problems += [f"ebpfpy: {r.name}: {r.budget_problem(args.insn_budget)}"
                 for r in rows if r.over_budget(args.insn_budget)]
    for line in problems:
        print(line, file=sys.stderr)
    return EXIT_USER_ERROR if problems else 0


def cmd_run(args: argparse.Namespace) -> int:
    """Load, attach, stream output until Ctrl-C or the duration, then print the maps."""
    from .cli_run import run      # lazy: start-up time (see module doc)
    return run(args.file, duration=args.duration, iface=args.iface, as_json=args.json,
               config=_config_values(args.set))


def _config_values(pairs: list[str]) -> dict[str, int | bool]:
    """``--set NAME=VALUE`` pairs: integers (``0x`` too) or ``true``/``false``."""
    out: dict[str, int | bool] = {}
    for pair in pairs:
        name, eq, text = pair.partition("=")
        if not eq or not name:
            raise UserError(f"--set takes NAME=VALUE, not {pair!r}")
        low = text.strip().lower()
        if low in ("true", "false"):
            out[name] = low == "true"
            continue
        try:
            out[name] = int(text, 0)
        except ValueError:
            raise UserError(f"--set {name}: {text!r} is not an integer, true or false") from None
    return out


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    p = argparse.ArgumentParser(
        prog="ebpfpy", description="Compile, inspect and run eBPF programs written in Python.")
    p.add_argument("--version", action="store_true", help="print the version and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND")

    def add(name: str, fn: Callable[[argparse.Namespace], int], help: str) -> argparse.ArgumentParser:
        sp = sub.add_parser(name, help=help, description=help)
        sp.add_argument("file", metavar="FILE", help="the BPF module (.py)")
        sp.set_defaults(func=fn)
        return sp

    sp = add("compile", cmd_compile, "write the BPF ELF object (default: beside FILE as NAME.bpf.o)")
    sp.add_argument("-o", "--output", metavar="OUT",
                    help="where to write the object (a directory: NAME.bpf.o inside it)")
    sp = add("check", cmd_check, "run every compile-time check; print a table per program")
    sp.add_argument("--insn-budget", type=int, default=DEFAULT_INSN_BUDGET, metavar="N",
                    help="verifier work: split loops so that each program's estimated processed "
                         "instructions fit N, fail when one does not (the kernel's limit, for "
                         f"every program: {DEFAULT_INSN_BUDGET:,})")
    sp.add_argument("--max-insns", type=int, default=DEFAULT_MAX_INSNS, metavar="N",
                    help="program size: fail when a program with its subprograms has more than N "
                         "instructions (4096 for unprivileged loads; default "
                         f"{DEFAULT_MAX_INSNS:,})")
    sp.add_argument("--internal", action="store_true",
                    help="also list the functions ebpfpy emits for itself (__ebpfpy_*)")
    sp = add("run", cmd_run, "load, attach, stream printk and ring-buffer output, print the maps")
    sp.add_argument("--duration", type=float, metavar="S", help="stop S seconds after attaching")
    sp.add_argument("--iface", metavar="IF", help="interface for xdp and tc programs")
    sp.add_argument("--json", action="store_true", help="one JSON object per record")
    sp.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                    help="set a Const global before load (repeatable), e.g. --set targ_pid=42")
    sp = add("disasm", cmd_disasm, "BPF instructions, each group under its Python line")
    sp.add_argument("--program", metavar="NAME", help="only this program (and what it calls)")
    sp.add_argument("--internal", action="store_true",
                    help="also list the functions ebpfpy emits for itself (__ebpfpy_*)")
    add("ir", cmd_ir, "print the LLVM IR")
    cli_package.register(add)
    cli_doctor.register(sub)
    return p


def _first_line(e: BaseException) -> str:
    text = str(e).strip() or type(e).__name__
    return text.splitlines()[0]


def _dispatch(args: argparse.Namespace) -> int:
    """Run the command; turn every failure into a message and an exit status."""
    try:
        if getattr(args, "file", None) is not None and not os.path.isfile(args.file):
            raise UserError(f"cannot read {args.file}: "
                            + ("is a directory" if os.path.isdir(args.file) else "no such file"))
        return args.func(args)
    except CompileError as e:
        print(str(e), file=sys.stderr)
    except (LoadError, PermissionError) as e:   # VerifierError is a LoadError
        print(f"ebpfpy: {str(e).strip() or type(e).__name__}", file=sys.stderr)
    except UserError as e:
        print(f"ebpfpy: {e}", file=sys.stderr)
    except OSError as e:
        if e.filename is None or os.environ.get("EBPFPY_DEBUG"):
            raise
        print(f"ebpfpy: {e.filename}: {e.strerror}", file=sys.stderr)
    return EXIT_USER_ERROR


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ebpfpy`` script and ``python -m ebpfpy``; returns the exit status."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"ebpfpy {__version__}")
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USER_ERROR
    try:
        return _dispatch(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:           # `ebpfpy disasm x.py | head`
        _silence_stdout()
        return 0
    except Exception as e:            # noqa: BLE001 - the promise is: no traceback, ever
        if os.environ.get("EBPFPY_DEBUG"):
            raise
        print(f"ebpfpy: internal error: {type(e).__name__}: {_first_line(e)} "
              f"(set EBPFPY_DEBUG=1 for the traceback)", file=sys.stderr)
        return EXIT_INTERNAL_ERROR


def _silence_stdout() -> None:
    # Python flushes stdout at exit and would report the broken pipe again.
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except OSError:
        pass


if __name__ == "__main__":
    sys.exit(main())
