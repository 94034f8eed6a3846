"""``chroma info``."""

from __future__ import annotations

import argparse
import json
import os
import sys
from typing import TYPE_CHECKING, Any

from chroma.cli._core import EXIT_OK, EXIT_PARTIAL, add_config_option, arguments, command

if TYPE_CHECKING:
    from chroma.info import FolderEntry, ImageInfo

# ----------------------------------------------------------------------------------- info


def _info_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH_OR_PATTERN",
                   help="an image file, a frame (plate.1001.exr), a pattern (plate.####.exr) or a folder")
    p.add_argument("--frames", metavar="SET", help="only these frames of a sequence (e.g. 1001-1010)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--colorspaces", action="store_true", help="list the config's colour spaces, displays, views and looks")
    add_config_option(p)


_INFO_HELP = """Describe an image or a sequence: format, size, channels, colour space,
    chromaticities, frame range and missing frames, and for every image its exposure
    statistics in stops (luminance relative to 0.18 mid-grey) and NaN/Inf counts.

    examples:
      chroma info plate.1001.exr
      chroma info 'plate.####.exr' --frames 1001-1010 --json
      chroma info --colorspaces
      chroma info shots/sh010/        # the sequences in a folder: range, holes, channels, colour space
    """


@command("info", "describe images and sequences: format, channels, colour space, exposure stats", description=_INFO_HELP)
@arguments(_info_args)
def cmd_info(args: argparse.Namespace) -> int:
    """Run ``chroma info``: describe images, sequences, a folder or the OCIO config.

    The --help text is ``_INFO_HELP``.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line.

    Returns
    -------
    int
        Exit status: 0, or 1 when frames of a sequence could not be read (the others are described).

    Raises
    ------
    ChromaError
        A user mistake (no path, a missing file, ``--frames`` without a pattern); :func:`main`
        prints it on one line and exits 2.
    """
    from chroma import info, ocio
    from chroma.errors import ChromaError, SequenceError

    if args.colorspaces:
        return _print_colorspaces(ocio, args)
    if not args.path:
        raise ChromaError("give an image, a frame or a pattern to describe (or --colorspaces)")
    if os.path.isdir(args.path):
        if args.frames:
            raise SequenceError("--frames needs a sequence pattern like plate.####.exr, not a folder")
        return _print_folder(args.path, info.folder_info(args.path, config=args.config), args.json)
    found = info.image_info(args.path, args.frames, config=args.config, progress=False if args.quiet else None)
    if args.json:
        print(json.dumps(found.to_dict(), indent=2))
    else:
        _print_info(found)
        if found.errors:
            print(f"chroma info: {len(found.errors)} of {found.requested} frames could not be read:", file=sys.stderr)
            for path, why in found.errors:
                print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL if found.errors else EXIT_OK


def _print_colorspaces(ocio: Any, args: argparse.Namespace) -> int:
    """``chroma info --colorspaces``: the config's colour spaces, roles, displays, views, looks."""
    cfg = ocio.get_config(args.config)
    data = {
        "config": ocio.config_path(args.config),
        "colorspaces": ocio.list_colorspaces(args.config),
        "roles": dict(cfg.getRoles()),
        "displays": {d: ocio.list_views(d, args.config) for d in ocio.list_displays(args.config)},
        "looks": ocio.list_looks(args.config),
    }
    if args.json:
        print(json.dumps(data, indent=2))
        return EXIT_OK
    print(f"config: {data['config']}")
    print("colour spaces:\n  " + "\n  ".join(data["colorspaces"]))
    print("roles:\n  " + "\n  ".join(f"{k}: {v}" for k, v in data["roles"].items()))
    print("displays / views:")
    for d, views in data["displays"].items():
        print(f"  {d}: {', '.join(views)}")
    print("looks: " + ", ".join(data["looks"]))
    return EXIT_OK


def _print_folder(folder: str, rows: list[FolderEntry], as_json: bool) -> int:
    """``chroma info FOLDER``: the sequences and single images in it, as lsseq does."""
    if as_json:
        print(json.dumps({"folder": folder, "sequences": [r.to_dict() for r in rows]}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"{folder}: no images")
        return EXIT_OK
    for r in rows:
        name = os.path.basename(r.pattern)
        span = f"{r.first}-{r.last} ({r.frames} frames)" if r.frames else "single image"
        holes = f", missing {r.missing}" if r.missing else ""
        what = (f"{' '.join(r.channels or [])}  {r.colorspace}  {r.width}x{r.height}"
                if not r.error else f"unreadable: {r.error}")
        print(f"{name}  {span}{holes}  {what}")
    return EXIT_OK


def _fmt_stops(v: float | None) -> str:
    return "   n/a" if v is None else f"{v:+6.2f}"


def _print_info(found: ImageInfo) -> None:
    """The text form of :func:`chroma.info.image_info`'s answer: header, span, stops table."""
    h = found.image
    if h:
        print(f"{h.path}")
        print(f"  format        {h.format}  {h.width}x{h.height}  {h.datatype}"
              + (f"  compression {h.compression}" if h.compression else ""))
        print(f"  channels      {' '.join(h.channels)}")
        print(f"  colorspace    {h.colorspace}")
        if h.chromaticities:
            print("  chromaticities R({:.4f},{:.4f}) G({:.4f},{:.4f}) B({:.4f},{:.4f}) W({:.5f},{:.5f})"
                  .format(*h.chromaticities))
        for k, v in h.chroma_metadata.items():
            print(f"  {k:<13} {v}")
    s = found.sequence
    if s:
        print(f"sequence {s.pattern}: {s.frames} frames, {s.first}-{s.last}"
              + (f", missing {s.missing}" if s.missing else ", none missing"))
        if s.requested_absent:
            print(f"  requested but absent: {s.requested_absent}")
    if found.stats:
        print("exposure (stops from 0.18 mid-grey)    min  median     max   NaN   Inf  <=0 px")
        for st in found.stats:
            e = st.exposure
            label = str(st.frame) if st.frame is not None else os.path.basename(st.path)
            print(f"  {label:<34} {_fmt_stops(e.min_stops)}  {_fmt_stops(e.median_stops)}  "
                  f"{_fmt_stops(e.max_stops)}  {e.nan_values:4d}  {e.inf_values:4d}  {e.nonpositive_pixels:6d}")
