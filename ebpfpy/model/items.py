"""The items of a module BPF code may use (maps, globals, functions, structs), as collected."""
from __future__ import annotations

import ast
from dataclasses import dataclass, field
from typing import Any

from ..types import BpfType, MapType, StructType
from .names import DslNames
from .source import Source

@dataclass
class MapDef:
    name: str
    type: MapType
    node: ast.AST
    event: BpfType | None = None
    mmapable: bool = False


@dataclass
class GlobalDef:
    name: str
    type: BpfType
    init: int
    node: ast.AST
    const: bool = False       # Const[T]: read-only config in .rodata, frozen at load
    kconfig: bool = False     # Kconfig[T]: an extern in .kconfig that libbpf fills (const too)


@dataclass
class FuncDef:
    name: str
    node: ast.FunctionDef
    section: str | None = None        # None for @bpf_function
    deco: ast.AST | None = None


@dataclass
class ModuleInfo:
    src: Source
    names: DslNames
    consts: dict[str, int] = field(default_factory=dict)
    structs: dict[str, StructType] = field(default_factory=dict)
    struct_nodes: dict[str, ast.ClassDef] = field(default_factory=dict)
    maps: dict[str, MapDef] = field(default_factory=dict)
    globals: dict[str, GlobalDef] = field(default_factory=dict)
    programs: dict[str, FuncDef] = field(default_factory=dict)
    functions: dict[str, FuncDef] = field(default_factory=dict)
    license: str = "GPL"
    kernel_types: dict[str, Any] = field(default_factory=dict)   # @kernel_struct flavours
    kernel_enums: dict[str, Any] = field(default_factory=dict)   # @kernel_enum classes
    ignored: dict[str, ast.stmt] = field(default_factory=dict)   # module names BPF code may not use

    @property
    def all_funcs(self) -> dict[str, FuncDef]:
        return {**self.functions, **self.programs}
