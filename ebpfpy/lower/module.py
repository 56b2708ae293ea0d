"""Lower a checked module to LLVM IR: maps, globals, license, then every function."""
from __future__ import annotations

import re

from ..model.typed import CheckedModule
from .function import lower_function
from .irtext import module_text
from .module_state import ModuleState, shorten_local_names


def lower_module(checked: CheckedModule) -> str:
    """The LLVM IR text of ``checked``."""
    ml = ModuleState(checked)
    ml.declare_all()
    for name in checked.order:
        lower_function(ml, checked.funcs[name])
    ml.di.finalize()
    shorten_local_names(ml.module)
    return declarations_with_debug(module_text(ml.module))


_DECLARE_DBG = re.compile(r"^declare (.*) (!dbg ![0-9]+)$")


def declarations_with_debug(text: str) -> str:
    """``declare !dbg !N <prototype>``: llvmlite prints a declaration's metadata after the
    prototype, where LLVM's parser refuses it (kfunc declarations carry a DISubprogram).
    Only the ``declare`` lines are searched (a multi-line search tried every line)."""
    chunks = ("\n" + text).split("\ndeclare ")
    for i in range(1, len(chunks)):
        c = chunks[i]
        end = c.find("\n")
        end = len(c) if end < 0 else end
        line = _DECLARE_DBG.sub(r"declare \2 \1", "declare " + c[:end], count=1)
        chunks[i] = line[len("declare "):] + c[end:]
    return "\ndeclare ".join(chunks)[1:]
