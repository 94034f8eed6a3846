"""``chroma demo``."""

from __future__ import annotations

import argparse
from pathlib import Path

from chroma.cli._core import (
    EXIT_OK,
    arguments,
    command,
)

# ----------------------------------------------------------------------------------- demo


def _demo_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("outdir", metavar="OUTDIR", help="folder to write the demo into (created if needed)")
    p.add_argument("--overwrite", action="store_true", help="replace files of an earlier demo in OUTDIR")


_DEMO_HELP = """\
Write chroma's embedded, offline demo into OUTDIR.

A procedural scene-linear ACEScg EXR sequence with honest metadata and preview PNGs
through the sRGB display view, plus one part per feature (see docs/demo.md). Needs no
network and no GPU.

example:
  chroma demo demo_out
"""


@command("demo", "write chroma's offline demo: a scene-linear EXR sequence and previews", description=_DEMO_HELP)
@arguments(_demo_args)
def cmd_demo(args: argparse.Namespace) -> int:
    """Run ``chroma demo``: write chroma's embedded, offline demo into OUTDIR.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma demo --help`` lists the options).

    Returns
    -------
    int
        The exit status: 0 done, 2 a user error (reported on one line), as the README's table.
    """
    from chroma import demo

    written = demo.run(Path(args.outdir), overwrite=args.overwrite, report=print)
    print(f"demo: wrote {len(written)} files to {args.outdir}")
    return EXIT_OK
