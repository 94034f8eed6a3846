"""The core of the ``chroma`` command: the subcommand registry, ``main`` and shared options.

Every subcommand (one module per command in this package) registers itself in
:data:`COMMANDS` through :func:`command`. A user mistake raises a
:class:`chroma.ChromaError`; :func:`main` prints it on one line and exits with status 2
(no traceback); a single input file that fails is such a mistake. Failed or missing
frames of a sequence are reported at the end and give exit status 1 while the other
frames still finish (:class:`FrameJob`); Ctrl-C gives 130 with what was written. Every
output goes through :func:`check_outputs` (:func:`chroma.io.check_outputs`).
"""

from __future__ import annotations

import argparse
import inspect
import os
import re
import sys
import textwrap
import warnings
from typing import Callable, NoReturn, TextIO

from chroma import __version__
from chroma.errors import ChromaError, closest

EXIT_OK, EXIT_PARTIAL, EXIT_USAGE = 0, 1, 2

_STATE: dict = {}  # the running command's name and --quiet, for notes

# name -> (help, add_arguments, run)
COMMANDS: dict[str, tuple[str, Callable[[argparse.ArgumentParser], None], Callable[[argparse.Namespace], int]]] = {}


# name -> the command's --help text, where it is not its function's docstring
DESCRIPTIONS: dict[str, str] = {}


def command(name: str, help: str, description: str | None = None):
    """Register ``run(args) -> exit code`` as subcommand ``name``; the decorated function's
    ``arguments`` attribute (set with :func:`arguments`) adds its options. ``description``
    is the --help text (default: the function's docstring)."""

    def deco(run):
        COMMANDS[name] = (help, getattr(run, "_add_arguments", lambda p: None), run)
        if description is not None:
            DESCRIPTIONS[name] = description
        return run

    return deco


def description(name: str) -> str:
    """The --help text of command ``name``: its registered description, else its function's
    docstring, else its one-line help."""
    help_text, _add, run = COMMANDS[name]
    return inspect.cleandoc(DESCRIPTIONS.get(name) or run.__doc__ or help_text)


def arguments(add: Callable[[argparse.ArgumentParser], None]):
    def deco(run):
        run._add_arguments = add
        return run

    return deco


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:  # argparse errors are user errors: one line, exit 2
        m = re.match(r"argument (\S+): invalid choice: '([^']*)' \(choose from (.*)\)$", message)
        if m:
            choices = [c.strip(" '") for c in m.group(3).split(",")]
            hint = closest(m.group(2), choices, n=3)
            what = "no command" if m.group(1) == "COMMAND" else f"{m.group(1)}: no such choice"
            message = f"{what} {m.group(2)!r}; " + (hint or f"choose from {m.group(3)}")
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="chroma",
        description=(
            "chroma: a colour-science-first toolkit for VFX. Scene-linear ACEScg EXR "
            "sequences with honest metadata, OCIO colour management, stops and Kelvin."
        ),
        epilog=textwrap.fill(
            "Sequences are written like plate.####.exr, plate.%04d.exr or plate.@.exr; frame "
            "sets like 1001-1100, 1001-1100x2 or 1,5,7-9. The OCIO config is --config, else "
            "$OCIO, else chroma's bundled ACES 2.0 studio config. Run 'chroma COMMAND --help' "
            "for each command."
        ),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"chroma {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, (help_text, add, _) in COMMANDS.items():
        p = sub.add_parser(
            name, help=help_text, description=description(name),
            formatter_class=argparse.RawDescriptionHelpFormatter,
        )
        add(p)
        flags = [f for f in ("-q", "--quiet") if f not in p._option_string_actions]  # a command may have its own
        if "--quiet" in flags:
            p.add_argument(*flags, action="store_true",
                           help="no progress bar and no notes (bars are also off when stderr is not a terminal)")
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not args.command:
        parser.print_help()
        return EXIT_USAGE
    run = COMMANDS[args.command][2]
    _STATE.update(prog=f"chroma {args.command}", quiet=bool(getattr(args, "quiet", False)))
    with warnings.catch_warnings():
        warnings.simplefilter("default")
        warnings.showwarning = _show_warning
        try:
            return int(run(args) or 0)
        except ChromaError as exc:
            print(f"chroma {args.command}: error: {cli_wording(str(exc))}", file=sys.stderr)
            return EXIT_USAGE
        except KeyboardInterrupt as exc:
            print(f"chroma {args.command}: {exc if isinstance(exc, Interrupted) else 'interrupted'}", file=sys.stderr)
            return 130
        except BrokenPipeError:  # the reader went away (``chroma shot check ... | head``): not an error
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())  # no second error when Python flushes stdout at exit
            return EXIT_OK
        except Exception as exc:  # errors raised by optional components (render) carry a user message
            if _is_render_error(exc):
                print(f"chroma {args.command}: error: {exc}", file=sys.stderr)
                return EXIT_USAGE
            raise


def _is_render_error(exc: BaseException) -> bool:
    """True for ``render.errors.RenderError`` and its subclasses. ``render.errors`` is torch-free
    and imported only here, when an error is already on its way, so ``import chroma`` stays light;
    without the render package installed nothing is a RenderError."""
    try:
        from render.errors import RenderError
    except ImportError:
        return False
    return isinstance(exc, RenderError)


# API keywords in messages, as the CLI spells them
_CLI_WORDS = (
    (re.compile(r"\s*\((?:CLI: )?--overwrite\)|\s*\(overwrite=True\)"), ""),
    (re.compile(r"overwrite=True"), "--overwrite"),
    (re.compile(r"on_invalid='(\w+)'"), r"--on-invalid \1"),
    (re.compile(r" or pass replace_input=True"), ""),
)


def cli_wording(message: str) -> str:
    """A library message in the CLI's words: ``overwrite=True`` -> ``--overwrite``, ..."""
    for pattern, repl in _CLI_WORDS:
        message = pattern.sub(repl, message)
    return message


def _show_warning(message: Warning | str, category: type[Warning], filename: str, lineno: int,
                  file: TextIO | None = None, line: str | None = None) -> None:
    print(f"{_STATE.get('prog', 'chroma')}: warning: {cli_wording(str(message))}", file=sys.stderr)


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
    from chroma.errors import ChromaValueError
    from chroma.io import COMPRESSIONS

    if args.compression.lower() not in COMPRESSIONS:
        raise ChromaValueError(
            f"unknown EXR compression {args.compression!r}; choose one of {', '.join(COMPRESSIONS)}"
        )
    return dict(dtype=args.dtype, compression=args.compression, dwa_level=args.dwa_level,
                on_invalid=args.on_invalid, overwrite=True, config=args.config)


OVERWRITE_HINT = "pass --overwrite to replace it, or --skip-existing to finish an interrupted run"


def note(message: str) -> None:
    """A one-line note on stderr (``chroma CMD: ...``), silenced by --quiet."""
    if not _STATE.get("quiet"):
        print(f"{_STATE.get('prog', 'chroma')}: {message}", file=sys.stderr)


def check_outputs(targets, inputs=(), *, overwrite: bool = False, skip_existing: bool = False,
                  dry_run: bool = False, images: bool = True, hint: str = "pass --overwrite to replace it"):
    """:func:`chroma.io.check_outputs` for a command: the one check every written file goes
    through (an input is never replaced, by any spelling; existing files need --overwrite),
    creating missing output folders and saying so."""
    from chroma.io import check_outputs as _check

    targets = [t for t in targets if t]
    result = _check(targets, [i for i in inputs if i], overwrite=overwrite, skip_existing=skip_existing,
                    create_folders=True, dry_run=dry_run, images=images, overwrite_hint=hint)
    for folder in result.folders:
        note(("would create" if dry_run else "created") + f" the output folder {folder}")
    return result


class FramePlan(list):
    """The (frame, input, output) triples to process, plus what the user should hear about:
    ``missing`` (requested frames not on disk, a :class:`chroma.sequence.FrameSet`),
    ``skipped`` (outputs left by --skip-existing), ``refused`` (outputs a real run would
    refuse; --dry-run only) and ``single`` (one plain file: a failure is a user mistake)."""

    def __init__(self, items, missing=None, skipped=(), refused=(), single=False, pattern=""):
        from chroma.sequence import FrameSet

        super().__init__(items)
        self.missing = missing if missing is not None else FrameSet()
        self.skipped = list(skipped)
        self.refused = list(refused)
        self.single = single
        self.pattern = pattern


def plan_frame_job(inp: str, out: str, frames: str | None, overwrite: bool,
                skip_existing: bool = False, dry_run: bool = False, inputs: tuple = ()) -> FramePlan:
    """Pair input and output paths frame by frame: :func:`chroma.frameplan.plan_frames` (a per-frame
    job), in the CLI's words, noting the output folders it creates, as a :class:`FramePlan`."""
    from chroma.frameplan import plan_frames as plan

    planned = plan(inp, out, frames, overwrite=overwrite, skip_existing=skip_existing, dry_run=dry_run,
                   create_folders=True, reads=[i for i in inputs if i], overwrite_hint=OVERWRITE_HINT)
    for folder in planned.folders:
        note(("would create" if dry_run else "created") + f" the output folder {folder}")
    return FramePlan(planned.items(), planned.missing, planned.skipped, planned.refused,
                     single=not planned.sources[0].is_sequence, pattern=planned.sources[0].text)


class Interrupted(KeyboardInterrupt):
    """Ctrl-C during a frame job; the message says what was written and how to go on."""


class FrameJob:
    """What the user sees of a command's frames while :mod:`chroma.framerun` runs them here:
    a progress bar (quiet when piped or with --quiet) fed by the run's ``on_done`` and
    ``on_fail``, the count of frames written and failed, and on Ctrl-C a message saying how
    many frames were written and how to continue (--skip-existing)."""

    def __init__(self, args: argparse.Namespace, plan: FramePlan, label: str):
        from chroma.progress import Progress

        self.plan = plan
        self.failures: list[tuple[str, str]] = []
        self.written = 0
        self.bar = Progress(len(plan), label, enabled=False if getattr(args, "quiet", False) else None)

    def __enter__(self) -> "FrameJob":
        return self

    def ok(self, _path: str = "") -> None:
        self.written += 1
        self.bar.update()

    def failed(self, path: str, why: str) -> None:
        self.failures.append((path, why))
        self.bar.update()

    def __exit__(self, kind, exc, tb) -> None:
        self.bar.close()
        if kind is not None and issubclass(kind, KeyboardInterrupt) and not isinstance(exc, Interrupted):
            left = len(self.plan) - self.written - len(self.failures)
            raise Interrupted(
                f"interrupted: {self.written} of {len(self.plan)} frame(s) written, {left} left; "
                "run the same command with --skip-existing to finish"
            ) from None

    def finish(self, verb: str, detail: str = "", unit: str = "frame(s)") -> int:
        """Print the summary (``graded 15, skipped 9 existing, 1 missing: 1004``), the
        failures, and return the exit status: a single file that failed is a user mistake
        (2, one line); a sequence with failed or missing frames is 1 after the others."""
        return summarize(self.plan, self.failures, verb, self.written, detail, unit)


def summarize(plan: FramePlan, failures: list[tuple[str, str]], verb: str, written: int,
              detail: str = "", unit: str = "frame(s)") -> int:
    """The one summary line and the exit status of a frame job (see :meth:`FrameJob.finish`)."""
    if plan.single and failures:
        raise ChromaError(failures[0][1])
    parts = [f"{verb} {written} {unit}{detail}"]
    if plan.skipped:
        parts.append(f"skipped {len(plan.skipped)} existing")
    if failures:
        parts.append(f"{len(failures)} failed")
    n_missing = len(plan.missing)
    if n_missing:
        parts.append(f"{n_missing} missing: {plan.missing}")
    print(", ".join(parts))
    if n_missing:
        of = f" of {plan.pattern}" if plan.pattern else ""
        print(f"chroma: {n_missing} requested frame(s){of} not on disk: {plan.missing}", file=sys.stderr)
    if failures:
        print(f"chroma: {len(failures)} of {len(plan)} frames failed:", file=sys.stderr)
        for path, why in failures:
            print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL if failures or n_missing else EXIT_OK


def report_failures(failures: list[tuple[str, str]], total: int, verb: str) -> int:
    """Kept for callers outside the CLI package: the failures on stderr, exit status 1."""
    if not failures:
        return EXIT_OK
    print(f"chroma: {len(failures)} of {total} frames failed to {verb}:", file=sys.stderr)
    for path, why in failures:
        print(f"  {path}: {why}", file=sys.stderr)
    return EXIT_PARTIAL
