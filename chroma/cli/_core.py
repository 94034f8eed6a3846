"""The core of the ``chroma`` command: the subcommand registry, ``main`` and shared options.

Every subcommand (one module per command in this package) registers itself in
:data:`COMMANDS` through :func:`command`. A user
mistake raises a :class:`chroma.ChromaError`; :func:`main` prints it on one line and
exits with status 2 (no traceback). Per-frame failures in a sequence are reported at the
end and give exit status 1 while the other frames still finish.
"""

from __future__ import annotations

import argparse
import os
import sys
import warnings
from pathlib import Path
from typing import Callable

from chroma import __version__
from chroma.errors import ChromaError

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

# name -> (help, add_arguments, run)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


def command(name: str, help: str):
    """Register ``run(args) -> exit code`` as subcommand ``name``; the decorated function's
    ``arguments`` attribute (set with :func:`arguments`) adds its options."""

    def deco(run):
        COMMANDS[name] = (help, getattr(run, "_add_arguments", lambda p: None), run)
        return run

    return deco


def arguments(add: Callable[[argparse.ArgumentParser], None]):
    def deco(run):
        run._add_arguments = add
        return run

    return deco


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse errors are user errors: exit 2
        self.print_usage(sys.stderr)
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chroma",
        description=(
            "chroma: a colour-science-first toolkit for VFX. Scene-linear ACEScg EXR "
            "sequences with honest metadata, OCIO colour management, stops and Kelvin."
        ),
        epilog=(
            "Sequences are written like plate.####.exr, plate.%%04d.exr or plate.@.exr; frame "
            "sets like 1001-1100, 1001-1100x2 or 1,5,7-9. The OCIO config is --config, else "
            "$OCIO, else chroma's bundled ACES 2.0 studio config. Run 'chroma COMMAND --help' "
            "for each command."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chroma {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add, _run) in COMMANDS.items():
        p = sub.add_parser(
            name, help=help_text, description=(_run.__doc__ or help_text).strip(),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        p.error = _Parser.error.__get__(p)  # type: ignore[method-assign]
        add(p)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    args.argv = list(sys.argv[1:] if argv is None else argv)  # --farm runs the command again on workers
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    run = COMMANDS[args.command][2]
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning  # type: ignore[assignment]
        try:
            return int(run(args) or 0)
        except ChromaError as exc:
            print(f"chroma {args.command}: error: {exc}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt:
            print(f"chroma {args.command}: interrupted", file=sys.stderr)
            return 130
        except Exception as exc:  # errors raised by optional components (render) carry a user message
            if any(c.__name__ == "RenderError" for c in type(exc).__mro__):  # and its subclasses
                print(f"chroma {args.command}: error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            raise


def _show_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"chroma: warning: {message}", file=sys.stderr)


# ------------------------------------------------------------------------ shared options


def add_config_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--config", metavar="OCIO", help="OCIO config file (default: $OCIO, else chroma's bundled config)")


def add_output_options(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("output")
    g.add_argument("--dtype", choices=("half", "float"), default="half", help="EXR data type (default: half)")
    g.add_argument("--compression", default="zip", metavar="C",
                   help="EXR compression: zip (default), zips, piz, pxr24, b44, b44a, dwaa, dwab, rle, none")
    g.add_argument("--dwa-level", type=float, metavar="L", help="DWA compression level (default 45)")
    g.add_argument("--on-invalid", choices=("warn", "error", "clamp"), default="warn",
                   help="NaN/Inf/half overflow in the output: warn and write (default), refuse the frame, or clamp")
    g.add_argument("--overwrite", action="store_true", help="replace output files that already exist")


def add_farm_option(p: argparse.ArgumentParser) -> None:
    """``--farm local:N|tcp://HOST:8786`` and ``--chunk N`` (chroma.farm, docs/farm.md)."""
    g = p.add_argument_group("farm (pip install \"chroma-vfx[farm]\"; docs/farm.md)")
    g.add_argument("--farm", metavar="local:N|tcp://HOST:8786",
                   help="run on Dask: N local worker processes, or a running scheduler's address")
    g.add_argument("--chunk", type=int, metavar="N", help="frames per farm task (default: about 4 tasks per worker)")


def write_kwargs(args: argparse.Namespace) -> dict:
    """Keyword arguments for :func:`chroma.io.write` from the output options, checked
    up front so a bad option fails before any frame is processed."""
    from chroma.io import COMPRESSIONS
    from chroma.errors import ChromaValueError

    if args.compression.lower() not in COMPRESSIONS:
        raise ChromaValueError(
            f"unknown EXR compression {args.compression!r}; choose one of {', '.join(COMPRESSIONS)}"
        )
    return dict(dtype=args.dtype, compression=args.compression, dwa_level=args.dwa_level,
                on_invalid=args.on_invalid, overwrite=True, config=args.config)


def plan_frames(inp: str, out: str, frames: str | None, overwrite: bool,
                skip_existing: bool = False) -> list[tuple[int | None, str, str]]:
    """Pair input and output paths frame by frame, refusing surprises before any work:
    an output that would replace an input, or outputs that exist (unless ``overwrite``;
    with ``skip_existing`` they are left out instead)."""
    from chroma import sequence
    from chroma.errors import ChromaIOError, SequenceError

    in_pat = sequence.parse_pattern(inp)
    out_pat = sequence.parse_pattern(out)
    pairs = sequence.expand(inp, frames)
    if len(pairs) > 1 and not out_pat.is_sequence:
        raise SequenceError(
            f"{len(pairs)} input frames but the output {out!r} is a single file: "
            "give a pattern like out.####.exr"
        )
    if out_pat.is_sequence and not in_pat.is_sequence and pairs[0][0] is None:
        raise SequenceError(
            f"the input {inp!r} has no frame number, so the output pattern {out!r} cannot be filled"
        )
    out_dir = Path(out_pat.path(pairs[0][0]) if out_pat.is_sequence else out).parent
    if not out_dir.is_dir():
        raise ChromaIOError(f"output folder {str(out_dir)!r} does not exist; create it first")
    plan = []
    existing = []
    in_paths = {os.path.abspath(p) for _, p in pairs}
    for frame, path in pairs:
        target = out_pat.path(frame) if out_pat.is_sequence else out
        if os.path.abspath(target) in in_paths:
            raise ChromaIOError(f"the output {target!r} would replace an input; write elsewhere")
        if os.path.exists(target):
            if skip_existing:
                continue
            existing.append(target)
        plan.append((frame, path, target))
    if existing and not overwrite:
        more = f" (and {len(existing) - 1} more)" if len(existing) > 1 else ""
        raise ChromaIOError(
            f"{existing[0]!r}{more} exists; pass --overwrite to replace, or --skip-existing to finish a run"
        )
    return plan


def report_failures(failures: list[tuple[str, str]], total: int, verb: str) -> int:
    if not failures:
        return EXIT_OK
    print(f"chroma: {len(failures)} of {total} frames failed to {verb}:", file=sys.stderr)
    for path, why in failures:
        print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL
