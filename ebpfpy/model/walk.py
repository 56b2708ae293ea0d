"""Every node of a syntax tree, listed once per tree.

The checker, the cost model and the lowering each scan whole functions several times
(assigned names, masks, frees, sign masks, captured locals); ``ast.walk`` runs a Python
generator per node, a few ms a scan on a 3,000-node function.  :func:`all_nodes` makes the list
once and keeps it while the tree lives (a weak reference: a long-lived process, the compile
server, does not keep old trees).  The compiler never rewrites a tree, so the list stays true.
"""
from __future__ import annotations

import ast
from weakref import WeakKeyDictionary

# the nodes under each root, the root left out: a value that referred to its key would keep
# the entry alive forever (Python's syntax trees have no parent links)
_BELOW: WeakKeyDictionary[ast.AST, list[ast.AST]] = WeakKeyDictionary()


def all_nodes(root: ast.AST) -> list[ast.AST]:
    """``list(ast.walk(root))``: the same nodes in the same (breadth-first) order."""
    below = _BELOW.get(root)
    if below is None:
        below = _breadth_first(root)
        _BELOW[root] = below
    return [root, *below]


def _breadth_first(root: ast.AST) -> list[ast.AST]:
    """The nodes below ``root`` in ``ast.walk``'s order (without its generator per node)."""
    todo = [root]
    i = 0
    while i < len(todo):
        node = todo[i]
        i += 1
        for name in node._fields:
            value = getattr(node, name, None)
            if isinstance(value, ast.AST):
                todo.append(value)
            elif isinstance(value, list):
                todo.extend(item for item in value if isinstance(item, ast.AST))
    return todo[1:]
