"""The ``ebpfpy`` command line (LANGUAGE.md §8): compile, check, run, disasm, ir.

Imports of the compiler, the loader and llvmlite happen inside the commands, so that
``ebpfpy --help`` starts fast, and ``ebpfpy compile`` first asks the per-user compile server
(:mod:`ebpfpy.compile_client`), importing nothing of the compiler when it answers (nor
argparse, for the plain ``compile FILE [-o OUT]``).  No Python traceback reaches the user:
compile errors print in the ``CompileError`` form, kernel refusals print their message, and anything unexpected prints
one ``ebpfpy: internal error:`` line (``EBPFPY_DEBUG=1`` shows the traceback instead).
"""
from __future__ import annotations

import os
import sys

from . import cli_doctor, cli_package, compile_client
from .version import __version__
from .atomic_write import write_atomic

TYPE_CHECKING = False    # typing.TYPE_CHECKING without importing typing (start-up time)
if TYPE_CHECKING:
    import argparse
    from typing import Callable, Sequence

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
    from .api import compile_module         # lazy: start-up time (see module doc)
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
    elf = _compile_elf(args.file)
    write_atomic(output_path(args.file, args.output), elf)   # whole or not at all
    return 0


def _compile_elf(file: str) -> bytes:
    """FILE's ELF from the compile server, else compiled in this process."""
    elf = compile_client.compile_file(file)     # None: no server could answer
    if elf is None:
        from .api import compile_module         # lazy: start-up time (see module doc)
        elf = compile_module(file)
    return elf


def cmd_ir(args: argparse.Namespace) -> int:
    """Print the LLVM IR of FILE."""
    from .api import compile_module         # lazy: start-up time (see module doc)
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
    from .api import compile_full           # lazy: start-up time (see module doc)
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
    import argparse                         # lazy: the compile fast path does without it
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
    except Exception as e:      # noqa: BLE001 - sorted below; what is not the user's re-raises
        _report_user_error(e)
    return EXIT_USER_ERROR


def _report_user_error(e: Exception) -> None:
    """Print ``e`` when it is a problem with the user's input or the machine; else re-raise."""
    # lazy: the classes of the compiler's errors, imported only when something failed
    from .errors import CompileError, LoadError
    if isinstance(e, (CompileError, compile_client.RemoteCompileError)):
        print(str(e), file=sys.stderr)
    elif isinstance(e, (LoadError, PermissionError)):   # VerifierError is a LoadError
        print(f"ebpfpy: {str(e).strip() or type(e).__name__}", file=sys.stderr)
    elif isinstance(e, UserError):
        print(f"ebpfpy: {e}", file=sys.stderr)
    elif isinstance(e, OSError) and e.filename is not None and not os.environ.get("EBPFPY_DEBUG"):
        print(f"ebpfpy: {e.filename}: {e.strerror}", file=sys.stderr)
    else:
        raise e


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``ebpfpy`` script and ``python -m ebpfpy``; returns the exit status."""
    argv = sys.argv[1:] if argv is None else list(argv)
    status = _guarded(lambda: _compile_by_server(argv))
    if status is not None:
        return status
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.version:
        print(f"ebpfpy {__version__}")
        return 0
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USER_ERROR
    return _guarded(lambda: _dispatch(args)) or 0


def _compile_by_server(argv: list[str]) -> int | None:
    """``ebpfpy compile FILE [-o OUT]`` run before the argument parser is even built (when
    the compile server answers, the client imports neither argparse nor the compiler); None
    for any other command line, which ``main`` parses the ordinary way."""
    if len(argv) not in (2, 4) or argv[0] != "compile":
        return None
    file, output = argv[-1], None
    if len(argv) == 4:
        if argv[1] in ("-o", "--output"):
            output = argv[2]
        elif argv[2] in ("-o", "--output"):
            file, output = argv[1], argv[3]
        else:
            return None
    if any(a.startswith("-") for a in (file, output or "")) or not os.path.isfile(file):
        return None
    try:
        write_atomic(output_path(file, output), _compile_elf(file))   # whole or not at all
    except Exception as e:      # noqa: BLE001 - sorted there; what is not the user's re-raises
        _report_user_error(e)
        return EXIT_USER_ERROR
    return 0


def _guarded(run: Callable[[], int | None]) -> int | None:
    """``run()``; an interrupt, a closed pipe or a bug becomes an exit status (and a line)."""
    try:
        return run()
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
