"""A red-black tree shaped as the kernel's (``lib/rbtree.c``), for the simulator.

Programs can see a tree's shape: ``v.root.root()``, ``left(x)`` and ``right(x)`` walk it.
To give what the kernel gives, insertion and erasure here follow the same algorithm as the
kernel's: the textbook (CLRS) insert fix-up, and erase by the in-order successor taken from
the right subtree with the textbook delete fix-up.  The kernel's ``bpf_rbtree_add`` walks
down from the root going left when ``less(new, node)``, else right, so equal keys go after
the nodes already there.  Objects are the program's values; links live in this tree,
keyed by object identity (an object may sit in several trees through several ``RbNode``
fields when it is reference-counted).
"""
from __future__ import annotations

from typing import Any, Callable

RED, BLACK = 0, 1


class _Link:
    __slots__ = ("parent", "left", "right", "color")

    def __init__(self, parent: Any) -> None:
        self.parent, self.left, self.right, self.color = parent, None, None, RED


class RbTree:
    """Objects linked into one red-black tree."""

    def __init__(self) -> None:
        self.top: Any = None
        self._links: dict[int, _Link] = {}

    # ------------------------------------------------------------ queries
    def __contains__(self, obj: Any) -> bool:
        return id(obj) in self._links

    def __len__(self) -> int:
        return len(self._links)

    def left(self, obj: Any) -> Any:
        """The left child of ``obj``, or None (also when ``obj`` is not in this tree)."""
        link = self._links.get(id(obj))
        return link.left if link is not None else None

    def right(self, obj: Any) -> Any:
        link = self._links.get(id(obj))
        return link.right if link is not None else None

    def first(self) -> Any:
        x = self.top
        while x is not None and self._l(x).left is not None:
            x = self._l(x).left
        return x

    def items(self) -> list[Any]:
        """The objects in order."""
        out: list[Any] = []
        stack: list[Any] = []
        x = self.top
        while stack or x is not None:
            while x is not None:
                stack.append(x)
                x = self._l(x).left
            x = stack.pop()
            out.append(x)
            x = self._l(x).right
        return out

    # ------------------------------------------------------------ changes
    def add(self, obj: Any, less: Callable[[Any, Any], bool]) -> bool:
        """Link ``obj`` in (False when it is already in this tree, as the kernel's -EINVAL)."""
        if id(obj) in self._links:
            return False
        parent, go_left = None, False
        x = self.top
        while x is not None:
            parent = x
            go_left = bool(less(obj, x))
            x = self._l(x).left if go_left else self._l(x).right
        self._links[id(obj)] = _Link(parent)
        if parent is None:
            self.top = obj
        elif go_left:
            self._l(parent).left = obj
        else:
            self._l(parent).right = obj
        self._insert_fixup(obj)
        return True

    def remove(self, z: Any) -> Any:
        """Unlink ``z`` and return it, or None when it is not in this tree."""
        if id(z) not in self._links:
            return None
        lz = self._l(z)
        if lz.left is None:
            x, x_parent, color = lz.right, lz.parent, lz.color
            self._transplant(z, lz.right)
        elif lz.right is None:
            x, x_parent, color = lz.left, lz.parent, lz.color
            self._transplant(z, lz.left)
        else:
            y = lz.right                          # the successor: leftmost of the right subtree
            while self._l(y).left is not None:
                y = self._l(y).left
            ly = self._l(y)
            color, x = ly.color, ly.right
            if ly.parent is z:
                x_parent = y
            else:
                x_parent = ly.parent
                self._transplant(y, ly.right)
                ly.right = lz.right
                self._l(ly.right).parent = y
            self._transplant(z, y)
            ly.left = lz.left
            self._l(ly.left).parent = y
            ly.color = lz.color
        del self._links[id(z)]
        if color == BLACK:
            self._delete_fixup(x, x_parent)
        return z

    # ------------------------------------------------------------ the textbook's fix-ups
    def _l(self, obj: Any) -> _Link:
        return self._links[id(obj)]

    def _color(self, obj: Any) -> int:
        return BLACK if obj is None else self._l(obj).color

    def _set_child(self, parent: Any, old: Any, new: Any) -> None:
        if parent is None:
            self.top = new
        elif self._l(parent).left is old:
            self._l(parent).left = new
        else:
            self._l(parent).right = new

    def _transplant(self, u: Any, v: Any) -> None:
        p = self._l(u).parent
        self._set_child(p, u, v)
        if v is not None:
            self._l(v).parent = p

    def _rotate(self, x: Any, to_left: bool) -> None:
        lx = self._l(x)
        y = lx.right if to_left else lx.left
        ly = self._l(y)
        inner = ly.left if to_left else ly.right
        if to_left:
            lx.right, ly.left = inner, x
        else:
            lx.left, ly.right = inner, x
        if inner is not None:
            self._l(inner).parent = x
        self._set_child(lx.parent, x, y)
        ly.parent, lx.parent = lx.parent, y

    def _insert_fixup(self, z: Any) -> None:
        while True:
            p = self._l(z).parent
            if p is None or self._l(p).color == BLACK:
                break
            g = self._l(p).parent
            assert g is not None                    # a red node is never the root
            p_is_left = self._l(g).left is p
            uncle = self._l(g).right if p_is_left else self._l(g).left
            if self._color(uncle) == RED:
                self._l(p).color = BLACK
                self._l(uncle).color = BLACK
                self._l(g).color = RED
                z = g
                continue
            if (self._l(p).right is z) == p_is_left:     # inner child: turn it outer
                self._rotate(p, to_left=p_is_left)
                z, p = p, z
            self._l(p).color = BLACK
            self._l(g).color = RED
            self._rotate(g, to_left=not p_is_left)
            break
        self._l(self.top).color = BLACK

    def _delete_fixup(self, x: Any, parent: Any) -> None:
        while x is not self.top and self._color(x) == BLACK:
            lp = self._l(parent)
            x_is_left = lp.left is x
            w = lp.right if x_is_left else lp.left
            if self._color(w) == RED:
                self._l(w).color = BLACK
                lp.color = RED
                self._rotate(parent, to_left=x_is_left)
                w = lp.right if x_is_left else lp.left
            lw = self._l(w)
            near, far = (lw.left, lw.right) if x_is_left else (lw.right, lw.left)
            if self._color(near) == BLACK and self._color(far) == BLACK:
                lw.color = RED
                x, parent = parent, lp.parent
                continue
            if self._color(far) == BLACK:
                self._l(near).color = BLACK
                lw.color = RED
                self._rotate(w, to_left=not x_is_left)
                w = lp.right if x_is_left else lp.left
                lw = self._l(w)
                far = lw.right if x_is_left else lw.left
            lw.color = lp.color
            lp.color = BLACK
            if far is not None:
                self._l(far).color = BLACK
            self._rotate(parent, to_left=x_is_left)
            x = self.top
            break
        if x is not None:
            self._l(x).color = BLACK
