"""Which Python names may become names the kernel sees, and the placement of decorators.

Names of programs, @bpf_function functions and their parameters, maps, globals, @struct
classes and their fields reach the kernel: as BTF names (``btf_name_valid_identifier``:
``[A-Za-z_][A-Za-z0-9_]*``, shorter than ``KSYM_NAME_LEN`` = 512), and for programs and maps
also as object names (``bpf_obj_name_cpy`` accepts ``[A-Za-z0-9_.]``; libbpf cuts them to
15 characters, which the kernel allows).  A name outside these rules compiles in LLVM but
fails to load with EINVAL, so the compiler refuses it at the definition.  Locals and module
constants never reach the kernel and may use any Python identifier.
"""
from __future__ import annotations

import ast
import re
from typing import Callable, Iterator

# 511 is the kernel's limit; ebpfpy appends up to ~30 characters of its own
# ("__loop_l<line>c<col>" for outlined loops, "struct__" / "event__" for type carriers).
BTF_NAME_MAX = 480
_BAD_CHAR = re.compile(r"[^A-Za-z0-9_]")


def check_btf_name(error: Callable[..., object], node: ast.AST | tuple[int, int, int | None],
                   name: str, what: str) -> bool:
    """Report E018/E019 at ``node`` when ``name`` cannot be a kernel-visible name."""
    bad = _BAD_CHAR.search(name)
    if bad:
        error("E018", node, what=what, name=name, char=bad.group())
        return False
    if len(name) > BTF_NAME_MAX:
        error("E019", node, what=what, n=len(name), limit=BTF_NAME_MAX)
        return False
    return True


def nested_definitions(body: list[ast.stmt], where: str) -> Iterator[tuple[ast.AST, str]]:
    """Every def/class below the module's top level in ``body``, with a phrase saying where.

    Iterative, so arbitrarily deep userspace code costs no recursion.
    """
    todo: list[tuple[list[ast.stmt], str]] = [(body, where)]
    while todo:
        stmts, place = todo.pop()
        for s in stmts:
            if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)):
                yield s, ("a method" if place == "a class" else
                          "a nested function" if place == "a function" else f"a def inside {place}")
                todo.append((s.body, "a function"))
            elif isinstance(s, ast.ClassDef):
                yield s, ("a nested class" if place in ("a class", "a function")
                          else f"a class inside {place}")
                todo.append((s.body, "a class"))
            else:
                inner = _BLOCKS.get(type(s).__name__, "a block")
                for field in ("body", "orelse", "finalbody"):
                    sub = getattr(s, field, None)
                    if isinstance(sub, list) and sub and isinstance(sub[0], ast.stmt):
                        todo.append((sub, inner))
                for h in getattr(s, "handlers", None) or []:
                    todo.append((h.body, inner))
                for case in getattr(s, "cases", None) or []:
                    todo.append((case.body, inner))


_BLOCKS = {"If": "'if'", "Try": "'try'", "TryStar": "'try'", "With": "'with'",
           "AsyncWith": "'with'", "For": "'for'", "AsyncFor": "'for'", "While": "'while'",
           "Match": "'match'"}
