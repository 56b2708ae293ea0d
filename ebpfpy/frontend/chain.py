"""Splitting a program too large for one verifier pass into a chain of tail calls.

A program's straight-line code is walked by the verifier instruction by instruction, and a
function of tens of thousands of statements is also slow for LLVM to compile and may need
jumps past BPF's 16-bit range.  In the kinds that can tail-call (``TAIL_CALL_KINDS``) such a
program becomes a chain: the entry keeps its name and runs the first part of the body, the
parts ``NAME__part1..N`` run the rest, each a program of its own (verified with its own
budget).  Each hop is ``NAME__parts.tail_call(ctx, k)`` through a ``ProgArray`` the loader
fills; the locals live across a split point travel in the one element of a per-CPU array
``NAME__state`` (a chain runs on one CPU, without another run of the program in between).

Only top-level statements of the body are split, and only where no reference (packet,
map value, ring-buffer record, kernel pointer) is live: the verifier's knowledge of a
pointer cannot travel through a map.  The rewrite is an AST transformation of the checked
module; the pipeline checks the rewritten module again (``rewrite``).
"""
from __future__ import annotations

import ast
import copy
from dataclasses import dataclass, field

from .cost import CostModel
from ..model.sections import kind_of
from ..model.source import Source
from ..model.typed import CheckedModule, FuncInfo, Local
from ..types import ArrayType, BpfType, BoolType, IntType, StructType

# kinds whose programs can sit in a ProgArray and call bpf_tail_call (and are not sleepable)
TAIL_CALL_KINDS = frozenset({"xdp", "tc", "socket", "cgroup_skb", "perf_event", "tracepoint",
                             "raw_tp", "kprobe", "uprobe"})
MAX_TAIL_CALLS = 33             # MAX_TAIL_CALL_CNT (Linux 5.17+): 34 programs in one chain
PART_COST = 10_000              # estimated verifier work per part (straight-line: ~insns)
PART_SHARE = 4                  # ...or a quarter of what one program may cost, if less
PART_STATEMENTS = 3_000         # statements per part: LLVM's time and BPF's jump range
MAX_STATEMENTS = 8_000          # a program with more statements than this is split
STATE = "ebpfpy_state"          # the local bound to the state element in a part


@dataclass
class Chain:
    """How one program is cut: ``starts[k]`` is the index in the body where part k begins
    (``starts[0] == 0``, the entry), ``carried[k]`` the locals that travel into part k."""

    name: str
    starts: list[int]
    carried: list[list[str]] = field(default_factory=list)
    lines: list[tuple[int, int]] = field(default_factory=list)   # first and last line per part

    def part_name(self, k: int) -> str:
        """The program that runs part ``k`` (the entry keeps the original name)."""
        return self.name if k == 0 else f"{self.name}__part{k}"

    @property
    def parts(self) -> list[str]:
        """The programs after the entry, in the order the chain runs them."""
        return [self.part_name(k) for k in range(1, len(self.starts))]

    @property
    def prog_array(self) -> str:
        return f"{self.name}__parts"

    @property
    def state_map(self) -> str:
        return f"{self.name}__state"

    @property
    def state_struct(self) -> str:
        return f"{self.name}__State"


def can_tail_call(section: str | None) -> bool:
    """Whether a program of ``section`` may be split into a chain of tail calls."""
    kind = kind_of(section or "")
    return kind is not None and kind.name in TAIL_CALL_KINDS and not kind.sleepable


def plan_chains(checked: CheckedModule, costs: dict[str, int],
                limit: int) -> dict[str, Chain | None]:
    """The chains to build: programs of tail-calling kinds whose estimated cost exceeds
    ``limit`` or whose body has more than MAX_STATEMENTS statements (None: one that cannot
    be chained, reported as E252 or E253 to the module's source; the caller raises them)."""
    chains: dict[str, Chain | None] = {}
    src = checked.info.src
    for name, fi in checked.funcs.items():
        if not can_tail_call(fi.fdef.section):
            continue
        if costs.get(name, 0) <= limit and _statements(fi.node.body) <= MAX_STATEMENTS:
            continue
        chain = chains[name] = _cut(src, fi, limit)
        if chain is not None and len(chain.starts) - 1 > MAX_TAIL_CALLS:
            node = fi.node
            src.error("E252", (node.lineno, node.col_offset, node.col_offset + 4 + len(name)),
                      name=name, n=len(chain.starts), cost=costs.get(name, 0),
                      most=MAX_TAIL_CALLS + 1)
            chains[name] = None
    return chains


def _statements(body: list[ast.stmt]) -> int:
    """How many statements ``body`` holds, nested ones included."""
    n = 0
    for s in body:
        n += 1
        for attr in ("body", "orelse", "finalbody"):
            n += _statements(getattr(s, attr, None) or [])
    return n


def _cut(src: Source, fi: FuncInfo, limit: int) -> Chain | None:
    """Greedy cut of the body into parts of at most PART_COST (or ``limit / PART_SHARE``) and
    PART_STATEMENTS, at points where only integers, bools, structs and arrays are live (a
    part grows past that until such a point, up to ``limit`` and MAX_STATEMENTS: then E253);
    None after an error."""
    body = fi.node.body
    model = CostModel({fi.name: fi})
    params = {p.name for p in fi.params}
    first_def: dict[str, int] = {}
    last_use: dict[str, int] = {}
    uses_at: list[list[ast.Name]] = []
    costs, sizes = [], []
    for i, s in enumerate(body):
        used = []
        n_stmts = 0
        for n in ast.walk(s):
            if isinstance(n, ast.stmt):
                n_stmts += 1
            if isinstance(n, ast.Name) and n.id in fi.locals and n.id not in params:
                if isinstance(n.ctx, ast.Store):
                    first_def.setdefault(n.id, i)
                else:
                    last_use[n.id] = i
                    used.append(n)
        uses_at.append(used)
        costs.append(model.stmt(fi, s))      # one statement: no fork multiplies it
        sizes.append(n_stmts)

    def live(b: int) -> list[str]:
        """Locals defined before statement ``b`` and used at or after it."""
        return [n for n, d in first_def.items() if d < b <= last_use.get(n, -1)]

    fresh = _fresh_objects(fi)

    def blockers(b: int) -> list[str]:
        return [n for n in live(b) if fi.locals[n].mode != "value" and n not in fresh]

    starts: list[int] = [0]
    carried: list[list[str]] = [[]]
    acc_cost, acc_size = 0, 0
    target = max(min(PART_COST, limit // PART_SHARE), 1)
    for i, s in enumerate(body):
        if i > starts[-1] and (acc_cost + costs[i] > target or acc_size >= PART_STATEMENTS):
            bad = blockers(i)
            if not bad:
                starts.append(i)
                carried.append(live(i))
                acc_cost, acc_size = 0, 0
            elif acc_cost + costs[i] > limit or acc_size >= MAX_STATEMENTS:
                name = bad[0]
                use = next(n for j in range(i, len(body)) for n in uses_at[j] if n.id == name)
                loc = fi.locals[name]
                src.error("E253", use, name=name, prog=fi.name, what=_ref_kind(loc),
                          line=body[starts[-1]].lineno, end=body[i - 1].end_lineno or body[i - 1].lineno)
                return None
        acc_cost += costs[i]
        acc_size += sizes[i]
    chain = Chain(fi.name, starts, carried)
    ends = starts[1:] + [len(body)]
    chain.lines = [(body[a].lineno, body[e - 1].end_lineno or body[e - 1].lineno)
                   for a, e in zip(starts, ends)]
    return chain


def _fresh_objects(fi: FuncInfo) -> set[str]:
    """Locals bound only to structs and arrays made on the stack (``p = P()``, ``a =
    u8[16]()``): copied into the state and back, they stay one object.  A name ever bound to
    another name's object (``q = p``) is not carried: two copies would no longer alias."""
    objects = {n for n, loc in fi.locals.items()
               if loc.mode == "ref" and loc.space == "stack" and isinstance(loc.type, (StructType, ArrayType))}
    for node in ast.walk(fi.node) if objects else ():
        if isinstance(node, (ast.Assign, ast.AnnAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for t in targets:
                if isinstance(t, ast.Name) and t.id in objects and not isinstance(node.value, ast.Call):
                    objects.discard(t.id)
    return objects


def _ref_kind(loc: Local) -> str:
    what = {"packet": "a packet pointer", "ringbuf": "a reserved ring-buffer record",
            "alloc": "an allocated object", "map": "a reference into a map value",
            "kernel": "a pointer to kernel memory", "ctx": "a pointer to the program's ctx",
            "probe": "a pointer to kernel memory", "task_struct": "a pointer to a kernel task",
            "stack": "a second name for a struct or array (bound with name = other)"}
    return what.get(loc.space, f"a reference ({loc.space})")


# ---------------------------------------------------------------------------- rewrite
def rewrite(tree: ast.Module, checked: CheckedModule, chains: dict[str, Chain]) -> ast.Module:
    """``tree`` with every chained program replaced by its entry, its parts, the state
    struct and both maps (appended at the module's end, after every type they name)."""
    new = copy.copy(tree)
    body: list[ast.stmt] = []
    extra: list[ast.stmt] = []
    for stmt in tree.body:
        if isinstance(stmt, ast.FunctionDef) and stmt.name in chains and stmt.name in checked.funcs:
            fi = checked.funcs[stmt.name]
            funcs = _parts(stmt, fi, chains[stmt.name])
            body.append(funcs[0])
            extra.extend(_items(stmt, fi, chains[stmt.name]))
            extra.extend(funcs[1:])
        else:
            body.append(stmt)
    new.body = body + extra
    return new


def _at(node: ast.AST, like: ast.AST) -> ast.AST:
    """``node`` and everything in it at ``like``'s position (synthesised code maps to a
    line of the user's program)."""
    line = getattr(like, "lineno", 1)
    where = {"lineno": line, "end_lineno": getattr(like, "end_lineno", None) or line,
             "col_offset": getattr(like, "col_offset", 0),
             "end_col_offset": getattr(like, "end_col_offset", None)}
    for n in ast.walk(node):
        for attr, value in where.items():
            if attr in n._attributes:
                setattr(n, attr, value)
    return node


def _stmt(text: str, like: ast.AST) -> ast.stmt:
    s = ast.parse(text).body[0]
    _at(s, like)
    return s


def _type_expr(t: BpfType) -> str:
    if isinstance(t, (IntType, BoolType)):
        return t.name
    if isinstance(t, StructType):
        return t.name
    if isinstance(t, ArrayType):
        return f"{_type_expr(t.elem)}[{t.length}]"
    raise TypeError(f"no DSL spelling for {t!r}")


def _all_carried(chain: Chain) -> list[str]:
    seen: dict[str, None] = {}
    for names in chain.carried:
        seen.update(dict.fromkeys(names))
    return list(seen)


def _items(fn: ast.FunctionDef, fi: FuncInfo, chain: Chain) -> list[ast.stmt]:
    """The state struct, the per-CPU state map and the ProgArray of one chain."""
    out: list[ast.stmt] = []
    names = _all_carried(chain)
    if names:
        fields = "\n".join(f"    {n}: {_type_expr(fi.locals[n].type)}" for n in names)
        out.append(_stmt(f"@struct\nclass {chain.state_struct}:\n{fields}\n", fn))
        out.append(_stmt(f"{chain.state_map} = PerCpuArray({chain.state_struct}, 1)", fn))
    out.append(_stmt(f"{chain.prog_array} = ProgArray({len(chain.starts) - 1})", fn))
    return out


def _parts(fn: ast.FunctionDef, fi: FuncInfo, chain: Chain) -> list[ast.FunctionDef]:
    """The entry and the parts: part k restores what it is carried, runs its statements,
    stores what the next part needs and tail-calls it."""
    ctx = fn.args.args[0].arg if fn.args.args else "ctx"
    globals_ = [s for s in fn.body if isinstance(s, ast.Global)]
    ends = chain.starts[1:] + [len(fn.body)]
    out = []
    for k, (a, e) in enumerate(zip(chain.starts, ends)):
        stmts = fn.body[a:e]
        first, last = stmts[0], stmts[-1]
        part = copy.copy(fn)
        part.name = chain.part_name(k)
        body: list[ast.stmt] = [copy.copy(g) for g in globals_] if k else []
        if k and chain.carried[k]:
            body.append(_stmt(f"{STATE} = {chain.state_map}.lookup(0)", first))
            body.append(_stmt(f"if {STATE} is None:\n    return 0", first))
            body += [_stmt(f"{n} = {STATE}.{n}", first) for n in chain.carried[k]]
        body += [s for s in stmts if not (k and isinstance(s, ast.Global))]
        if k + 1 < len(chain.starts):
            nxt = chain.carried[k + 1]
            if nxt:
                body.append(_stmt(f"{STATE} = {chain.state_map}.lookup(0)", last))
                body.append(_stmt(f"if {STATE} is None:\n    return 0", last))
                body += [_stmt(f"{STATE}.{n} = {n}", last) for n in nxt]
            body.append(_stmt(f"{chain.prog_array}.tail_call({ctx}, {k})", last))
            body.append(_stmt("return 0", last))
        part.body = body
        out.append(part)
    return out
