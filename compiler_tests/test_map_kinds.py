"""The one table of map kinds (``ebpfpy.map_kinds``) agrees with every place that acts on it.

The DSL classes a module calls at run time, the checker's method rules, the simulator's maps and
the loader's userspace classes each keep their own code per kind; these tests fail when one of
them and the table disagree (a kind added to one and not the other, a parameter renamed).
"""
from __future__ import annotations

import inspect

import pytest

from ebpfpy import dsl
from ebpfpy.frontend.check.methods import _MAP_RULES
from ebpfpy.map_kinds import MapKind
from ebpfpy.testing.maps import SimRingBuf, _PerCpu, make_map
from ebpfpy.types import MapType, u32

try:
    from ebpfpy.loader import maps as loader_maps
    LOADER_ERROR = ""
except OSError as e:                      # libbpf.so.1 is dlopen()ed on import
    loader_maps, LOADER_ERROR = None, str(e)

KINDS = list(MapKind)


def _dsl_class(kind: MapKind) -> type[dsl.MapDecl]:
    return getattr(dsl, kind.dsl_name)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_dsl_class_declares_its_kind_with_the_same_parameters(kind: MapKind) -> None:
    cls = _dsl_class(kind)
    assert cls.kind is kind
    params = [p for p in inspect.signature(cls).parameters.values() if p.kind != p.VAR_KEYWORD]
    assert tuple(p.name for p in params if p.default is p.empty) == kind.params
    assert tuple(p.name for p in params if p.default is not p.empty) == kind.options


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_every_method_of_a_kind_has_a_checker_rule(kind: MapKind) -> None:
    assert kind.methods <= set(_MAP_RULES)


def test_names_round_trip_and_str_is_the_dsl_name() -> None:
    assert [MapKind.named(str(k)) for k in KINDS] == KINDS
    assert MapKind.named("Dict") is None and MapKind.named(None) is None
    assert len({k.type_id for k in KINDS}) == len(KINDS)


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_simulator_map_follows_the_table(kind: MapKind) -> None:
    m = make_map("m", MapType(kind, u32 if kind.keyed else None, u32 if kind.keyed else None,
                              4096))
    assert isinstance(m, SimRingBuf) == kind.records
    assert isinstance(m, _PerCpu) == kind.per_cpu


@pytest.mark.parametrize("kind", KINDS, ids=str)
def test_the_loader_class_follows_the_table(kind: MapKind) -> None:
    if loader_maps is None:
        pytest.skip(f"libbpf not loadable: {LOADER_ERROR}")
    cls = loader_maps.map_class(kind.type_id)
    assert issubclass(cls, loader_maps.PerCpuMap) == kind.per_cpu
    assert not issubclass(cls, loader_maps.Array) or kind.fixed_slots   # arrays: slots exist
