"""``chroma info``."""

from __future__ import annotations

import argparse
import json
import os
import sys

from chroma.cli._core import EXIT_OK, EXIT_PARTIAL, add_config_option, arguments, command

# ----------------------------------------------------------------------------------- info


def _info_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("path", nargs="?", metavar="PATH_OR_PATTERN",
                   help="an image file, a frame (plate.1001.exr), a pattern (plate.####.exr) or a folder")
    p.add_argument("--frames", metavar="SET", help="only these frames of a sequence (e.g. 1001-1010)")
    p.add_argument("--json", action="store_true", help="print JSON instead of text")
    p.add_argument("--colorspaces", action="store_true", help="list the config's colour spaces, displays, views and looks")
    add_config_option(p)


@command("info", "describe images and sequences: format, channels, colour space, exposure stats")
@arguments(_info_args)
def cmd_info(args: argparse.Namespace) -> int:
    """Describe an image or a sequence: format, size, channels, colour space,
    chromaticities, frame range and missing frames, and for every image its exposure
    statistics in stops (luminance relative to 0.18 mid-grey) and NaN/Inf counts.

    examples:
      chroma info plate.1001.exr
      chroma info 'plate.####.exr' --frames 1001-1010 --json
      chroma info --colorspaces
      chroma info shots/sh010/        # the sequences in a folder: range, holes, channels, colour space
    """
    from chroma import io, ocio, sequence, stops
    from chroma.errors import ChromaError as _E

    if args.colorspaces:
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
        else:
            print(f"config: {data['config']}")
            print("colour spaces:\n  " + "\n  ".join(data["colorspaces"]))
            print("roles:\n  " + "\n  ".join(f"{k}: {v}" for k, v in data["roles"].items()))
            print("displays / views:")
            for d, views in data["displays"].items():
                print(f"  {d}: {', '.join(views)}")
            print("looks: " + ", ".join(data["looks"]))
        return EXIT_OK
    if not args.path:
        raise _E("give an image, a frame or a pattern to describe (or --colorspaces)")

    if os.path.isdir(args.path):
        if args.frames:
            raise sequence.SequenceError("--frames needs a sequence pattern like plate.####.exr, not a folder")
        return _info_folder(args)
    pat = sequence.parse_pattern(args.path)
    seq_info = None
    if pat.is_sequence:
        seq = sequence.discover(pat)
        if not seq.frames:
            raise sequence.SequenceError(f"no files match {args.path!r}")
        sel = sequence.select(pat.text, args.frames)
        items = sel.items
        seq_info = {"pattern": pat.hashes(), "first": seq.first, "last": seq.last,
                    "frames": len(seq.frames), "missing": sequence.format_frames(seq.missing),
                    "requested_absent": str(sel.missing)}
    else:
        if args.frames:
            raise sequence.SequenceError("--frames needs a sequence pattern like plate.####.exr")
        if not os.path.exists(args.path):
            raise io.ChromaIOError(f"{args.path!r} does not exist")
        found = sequence.pattern_from_frame_path(args.path)
        items = [(found[1] if found else None, args.path)]
        if found:
            seq = sequence.discover(found[0])
            if len(seq.frames) > 1:
                seq_info = {"pattern": found[0].hashes(), "first": seq.first, "last": seq.last,
                            "frames": len(seq.frames), "missing": sequence.format_frames(seq.missing)}

    from chroma.progress import Progress

    images = []
    failures = []
    header = None
    with Progress(len(items), "reading", enabled=False if args.quiet else None) as bar:
        for frame, path in items:
            try:
                img = io.read(path, config=args.config)
            except _E as exc:
                if not pat.is_sequence:
                    raise  # one file the user named: a user mistake, exit 2
                failures.append((path, str(exc)))
                bar.update()
                continue
            if header is None:
                header = {
                    "path": path, "format": img.metadata.get("oiio:format"),
                    "width": img.width, "height": img.height,
                    "datatype": img.metadata.get("oiio:datatype"), "channels": img.channels,
                    "colorspace": img.colorspace,
                    "chromaticities": img.metadata.get("chromaticities"),
                    "compression": img.metadata.get("compression"),
                    "chroma_metadata": {k: v for k, v in img.metadata.items() if k.startswith("chroma/")},
                }
            st = stops.exposure_stats(img, args.config).to_dict()
            images.append({"frame": frame, "path": path, **st})
            bar.update()
    result = {"image": header, "sequence": seq_info, "stats": images,
              "errors": [{"path": p, "error": e} for p, e in failures]}
    if args.json:
        print(json.dumps(result, indent=2))
    else:
        _print_info(result)
        if failures:
            print(f"chroma info: {len(failures)} of {len(items)} frames could not be read:", file=sys.stderr)
            for path, why in failures:
                print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL if failures else EXIT_OK


def _info_folder(args: argparse.Namespace) -> int:
    """``chroma info FOLDER``: the sequences and single images in it, as lsseq does."""
    from chroma import io, sequence

    rows = []
    for entry in sequence.scan(args.path):
        first = entry.pattern.path(entry.first) if entry.frames else entry.pattern.text
        try:
            head = io.header(first, config=args.config)
        except io.ChromaError as exc:
            head = {"error": str(exc)}
        rows.append({"pattern": entry.pattern.hashes() if entry.frames else entry.pattern.text,
                     "frames": len(entry.frames), "first": entry.first, "last": entry.last,
                     "missing": sequence.format_frames(entry.missing),
                     "channels": head.get("channels"), "colorspace": head.get("colorspace"),
                     "width": head.get("width"), "height": head.get("height"), "error": head.get("error")})
    if args.json:
        print(json.dumps({"folder": args.path, "sequences": rows}, indent=2))
        return EXIT_OK
    if not rows:
        print(f"{args.path}: no images")
        return EXIT_OK
    for r in rows:
        name = os.path.basename(r["pattern"])
        span = f"{r['first']}-{r['last']} ({r['frames']} frames)" if r["frames"] else "single image"
        holes = f", missing {r['missing']}" if r["missing"] else ""
        what = (f"{' '.join(r['channels'])}  {r['colorspace']}  {r['width']}x{r['height']}"
                if not r["error"] else f"unreadable: {r['error']}")
        print(f"{name}  {span}{holes}  {what}")
    return EXIT_OK


def _fmt_stops(v: float | None) -> str:
    return "   n/a" if v is None else f"{v:+6.2f}"


def _print_info(result: dict) -> None:
    h = result["image"]
    if h:
        print(f"{h['path']}")
        print(f"  format        {h['format']}  {h['width']}x{h['height']}  {h['datatype']}"
              + (f"  compression {h['compression']}" if h.get("compression") else ""))
        print(f"  channels      {' '.join(h['channels'])}")
        print(f"  colorspace    {h['colorspace']}")
        if h.get("chromaticities"):
            c = h["chromaticities"]
            print("  chromaticities R({:.4f},{:.4f}) G({:.4f},{:.4f}) B({:.4f},{:.4f}) W({:.5f},{:.5f})".format(*c))
        for k, v in h.get("chroma_metadata", {}).items():
            print(f"  {k:<13} {v}")
    s = result["sequence"]
    if s:
        print(f"sequence {s['pattern']}: {s['frames']} frames, {s['first']}-{s['last']}"
              + (f", missing {s['missing']}" if s["missing"] else ", none missing"))
        if s.get("requested_absent"):
            print(f"  requested but absent: {s['requested_absent']}")
    if result["stats"]:
        print("exposure (stops from 0.18 mid-grey)    min  median     max   NaN   Inf  <=0 px")
        for st in result["stats"]:
            label = str(st["frame"]) if st["frame"] is not None else os.path.basename(st["path"])
            print(f"  {label:<34} {_fmt_stops(st['min_stops'])}  {_fmt_stops(st['median_stops'])}  "
                  f"{_fmt_stops(st['max_stops'])}  {st['nan_values']:4d}  {st['inf_values']:4d}  {st['nonpositive_pixels']:6d}")
