"""``python -m ebpfpy``: the same command line as the ``ebpfpy`` script."""
import sys

from .cli import main

sys.exit(main())
