"""The package version (the root package and the tools inside it read it from here)."""

__version__ = "0.1.0"
