"""The compiler's data model: what the frontend produces and the lowering reads.

The source and its error table, the collected items, the checker's typed tables
(``CheckedModule``, ``FuncInfo``), the report, and the tables both passes consult (helpers,
section kinds, kernel types).  It sits below ``frontend`` and ``lower`` so that their imports
only go down (docs/language.md, "The pipeline").
"""
