"""Helpers for the differential tests: typed expression generation and a CPython evaluator.

The evaluator follows LANGUAGE.md §3 using the reference semantics of :mod:`ebpfpy.types`
(``wrap``, ``floordiv``, ``mod``, ``shl``, ``shr``); the kernel result must agree with it.
"""
