"""How functions pass results: facts shared by the declarations and the function bodies."""
from __future__ import annotations

from ..frontend.typed import FuncInfo
from ..types import ArrayType, IntType, StructType

PROGRAM_RET = IntType("i32", 32, True)      # what every program returns to the kernel
RESULT_PARAM = "__result"                   # the last parameter of a function returning an object


def returns_object(fi: FuncInfo) -> bool:
    """A struct or array result: returned through a pointer the caller passes last."""
    return isinstance(fi.ret, (StructType, ArrayType))
