"""The frontend: parse, collect and check a module (see docs/language.md, "The pipeline")."""
