"""What checking one function carries around, and the two dispatch points of the checker.

Every rule is a free function taking a :class:`CheckContext` first (the way mypyc's irbuild
hands its builder to ``statement.py``/``expression.py``).  Expressions go through
:func:`ebpfpy.frontend.check.expressions.expr`, statements through :func:`visit`: the
tables here map an AST node class to its rule and are filled by ``check/__init__.py``.
"""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any, Callable

from ...errors import CompileError
from ...types import ArrayType, BoolType, BpfType, IntType, RefType, StructType, u64
from ..consts import ConstFolder
from ..flow import Flow
from ...model.items import ModuleInfo
from ...model.source import Source
from ...model.typed import Call, FuncInfo

Signature = tuple[list[tuple[str, BpfType, bool]], BpfType | None]   # (name, type, by_ref)
Role = tuple[str, Any]                   # ("timer_cb", map name or None)


@dataclass
class CheckContext:
    """One function being checked: its tables (``fi``), the module, and the flow facts."""

    info: ModuleInfo
    fold: ConstFolder
    fi: FuncInfo
    signatures: dict[str, Signature]
    roles: dict[str, Role]
    tracing: bool = False                # a tracing program (no timers there)
    flow: Flow = field(default_factory=Flow)
    loop_depth: int = 0
    loop_vars: dict[str, tuple[int, int]] = field(default_factory=dict)  # range vars: bounds
    loop_held: list[set[str]] = field(default_factory=list)   # reservations live at loop entry
    loop_released: set[str] = field(default_factory=set)      # ... released inside (E079)
    iter_loops: list[ast.For] = field(default_factory=list)   # enclosing iter_num loops
    reassigned_loop_vars: set[str] = field(default_factory=set)
    declared_globals: set[str] = field(default_factory=set)
    call_sites: dict[str, ast.AST] = field(default_factory=dict)          # callee -> first call
    sleep_calls: list[tuple[str, ast.Call]] = field(default_factory=list)  # in a subprogram
    node: ast.stmt | None = None         # the statement being checked
    lock: ast.With | None = None         # the `with v.lock:` whose lock is held here
    lock_base: str = ""                  # ... and the map value reference it locks
    graph_refs: dict[str, tuple[str, Any]] = field(default_factory=dict)  # first(): root, with
    core_guard: int = 0                  # inside an if on a CO-RE query (field_exists ...)
    flex_base: ast.AST | None = None     # the x.items being indexed (a kernel flexible array)

    @property
    def src(self) -> Source:
        return self.info.src


CORE_QUERIES = ("field_exists", "field_size", "type_exists", "type_size",
                "enum_value_exists", "ksym_exists")


def core_test(c: CheckContext, test: ast.expr) -> bool:
    """Whether an ``if`` test asks a CO-RE question (``helpers.field_exists(...)`` ...): both
    of its branches may then read fields this kernel lacks (libbpf decides at load)."""
    return any(isinstance(n, ast.Call) and
               c.info.names.dsl(n.func) in {f"helpers.{q}" for q in CORE_QUERIES}
               for n in ast.walk(test))


ExprRule = Callable[[CheckContext, Any, "BpfType | None"], BpfType]
StmtRule = Callable[[CheckContext, Any], None]
EXPR_RULES: dict[type, ExprRule] = {}
STMT_RULES: dict[type, StmtRule] = {}


def block(c: CheckContext, stmts: list[ast.stmt]) -> None:
    """Check a list of statements; code after a return or break is still checked."""
    for s in stmts:
        if c.flow.dead:
            c.flow = Flow()
        visit(c, s)


def visit(c: CheckContext, s: ast.stmt) -> None:
    """Check one statement.  This owns the location: a compiler bug inside a rule becomes
    the internal-error diagnostic (E999) at this statement, never a traceback."""
    rule = STMT_RULES.get(type(s))
    if rule is None:
        c.src.error("E200", s, what=stmt_name(s))
        return
    outer, c.node = c.node, s
    try:
        rule(c, s)
    except RecursionError:      # e.g. a sum of thousands of terms: report, go on
        c.src.error("E005", s, detail="expression nesting")
    except CompileError:
        raise
    except Exception as e:      # the innermost statement reports it; outer ones pass it on
        raise CompileError([c.src.bug(s, "E999", f"internal compiler error "
                                                 f"({type(e).__name__}: {e})")]) from e
    finally:
        c.node = outer


def nargs(c: CheckContext, node: ast.Call, n: int | tuple[int, int], what: str) -> bool:
    """Exactly ``n`` (or ``lo..hi``) positional arguments, else E143/E149 and False."""
    lo, hi = (n, n) if isinstance(n, int) else n
    if node.keywords and lo <= len(node.args) + len(node.keywords) <= hi:
        c.src.error("E149", node.keywords[0], what=what)
        return False
    if node.keywords or not lo <= len(node.args) <= hi:
        c.src.error("E143", node, what=what, n=lo if lo == hi else f"{lo} to {hi}",
                    got=len(node.args) + len(node.keywords))
        return False
    return True


def record(c: CheckContext, node: ast.Call, kind: str, name: str = "", t: BpfType | None = None,
           extra: Any = None) -> None:
    """Tell the lowering what ``node`` calls."""
    c.fi.calls[node] = Call(kind, name, t, extra)


def is_ctx(c: CheckContext, node: ast.expr) -> bool:
    """True when ``node`` is a program's context parameter (or a function's, passed on)."""
    fi = c.fi
    if not isinstance(node, ast.Name) or not fi.params or not fi.ctx_kind:
        return False
    ctx = fi.params[0]
    return node.id == ctx.name and fi.locals.get(node.id) is ctx and ctx.mode == "ctx"


def ctx_arg(c: CheckContext, arg: ast.expr, code: str, **fmt: str) -> bool:
    """The program's ctx (or a function's first parameter) passed on to a helper."""
    if not is_ctx(c, arg) and not (isinstance(arg, ast.Name) and c.fi.params
                                   and arg.id == c.fi.params[0].name):
        c.src.error(code, arg, **fmt)
        return False
    c.fi.types[arg] = c.fi.ctx_type or u64
    return True


def place_ok(c: CheckContext, node: ast.expr) -> bool:
    """True when ``node`` names an object in memory (by-reference argument, copy source)."""
    t = c.fi.types.get(node)
    return isinstance(t, (RefType, StructType, ArrayType))


def dest_ok(c: CheckContext, node: ast.expr) -> bool:
    """True when a helper may write into ``node``: an object in memory (array, struct,
    reference), or an integer field or element of one (``t.x``, ``buf[3]``, ``r.value``).
    A local integer lives in a register, and the program's ctx fields are the kernel's."""
    if place_ok(c, node):
        return True
    t = c.fi.types.get(node)
    if not isinstance(t, (IntType, BoolType)):
        return False
    if isinstance(node, ast.Attribute):
        return c.fi.attrs.get(node, ("",))[0] in ("field", "value")
    if isinstance(node, ast.Subscript) and not isinstance(node.slice, ast.Slice):
        base = c.fi.types.get(node.value)
        return isinstance(base.target if isinstance(base, RefType) else base, ArrayType) and \
            c.fi.attrs.get(node.value, ("",))[0] != "ctx"
    return False


def stmt_name(node: ast.AST) -> str:
    """How a message names an unsupported statement."""
    names = {"With": "a with statement", "AsyncWith": "async with", "Try": "try/except",
             "TryStar": "try/except*", "Raise": "raise", "Assert": "assert", "Import": "import",
             "ImportFrom": "import", "ClassDef": "a nested class", "FunctionDef": "a nested function",
             "AsyncFunctionDef": "a nested async function", "Nonlocal": "nonlocal",
             "Match": "match", "AsyncFor": "async for", "Lambda": "lambda"}
    return names.get(type(node).__name__, type(node).__name__)
