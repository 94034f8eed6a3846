"""``python -m chroma``: the chroma command line."""

from chroma.cli import main

raise SystemExit(main())
