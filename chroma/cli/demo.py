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
    p.add_argument("--no-shot", action="store_true",
                   help="leave out the shot (the colour parts only: a few seconds, no torch)")


_DEMO_HELP = """\
Write chroma's embedded, offline demo into OUTDIR.

A procedural scene-linear ACEScg EXR sequence with honest metadata and preview PNGs
through the sRGB display view, one part per colour feature, and a shot: 24 frames of
Disco Diffusion's 2D camera with a prompt change, rendered by the real shot pipeline
(EXR sequence, previews, saved state, collapse guard, .nk, contact sheet and MP4) with
tiny random-weight models built on the spot -- the pictures mean nothing; 'chroma models
fetch' gives the real models. See docs/demo.md. Needs no network and no GPU; the shot
needs the render extra (pip install "chroma-vfx[render,report]") and about a minute of CPU.

examples:
  chroma demo demo_out
  chroma demo demo_out --no-shot
"""


@command("demo", "write chroma's offline demo: colour tools and a shot, EXR sequences, previews, a report",
         description=_DEMO_HELP)
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
    import time

    from chroma import demo

    t0 = time.perf_counter()
    written = demo.run(Path(args.outdir), overwrite=args.overwrite, report=print,
                       skip=("shot",) if args.no_shot else ())
    print(f"demo: wrote {len(written)} files to {args.outdir} in {time.perf_counter() - t0:.0f}s")
    return EXIT_OK
