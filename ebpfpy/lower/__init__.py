"""The lowering: a checked module to LLVM IR (see docs/language.md, "The pipeline")."""
