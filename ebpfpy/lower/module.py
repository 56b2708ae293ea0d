"""Lower a checked module to LLVM IR: maps, globals, license, then every function."""
from __future__ import annotations

from ..frontend.typed import CheckedModule
from .function import lower_function
from .module_state import ModuleState, shorten_local_names


def lower_module(checked: CheckedModule) -> str:
    """The LLVM IR text of ``checked``."""
    ml = ModuleState(checked)
    ml.declare_all()
    for name in checked.order:
        lower_function(ml, checked.funcs[name])
    ml.di.finalize()
    shorten_local_names(ml.module)
    return str(ml.module)
