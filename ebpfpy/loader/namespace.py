"""``obj.programs`` / ``obj.maps`` / ``obj.structs``: attribute and item access by name."""
from __future__ import annotations

from typing import Any, Iterator


class Namespace:
    """Read-only ``ns.NAME`` / ``ns["NAME"]`` access to named things, iterable like a dict."""

    def __init__(self, kind: str, items: dict[str, Any]) -> None:
        object.__setattr__(self, "_kind", kind)
        object.__setattr__(self, "_items", items)

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return self[name]

    def __getitem__(self, name: str) -> Any:
        try:
            return self._items[name]
        except KeyError:
            known = ", ".join(sorted(self._items)) or "none"
            raise KeyError(f"no {self._kind} named {name!r} ({self._kind}s: {known})") from None

    def __setattr__(self, name: str, value: Any) -> None:
        raise AttributeError(f"{self._kind}s cannot be replaced")

    def __contains__(self, name: object) -> bool:
        return name in self._items

    def __iter__(self) -> Iterator[str]:
        return iter(self._items)

    def __len__(self) -> int:
        return len(self._items)

    def __dir__(self) -> list[str]:
        return list(self._items)

    def keys(self) -> list[str]:
        return list(self._items)

    def values(self) -> list[Any]:
        return list(self._items.values())

    def items(self) -> list[tuple[str, Any]]:
        return list(self._items.items())

    def __repr__(self) -> str:
        return f"<{self._kind}s: {', '.join(self._items)}>"
