"""The ``chroma`` command: thin; parses arguments, calls the API, reports.

One module per subcommand; each registers itself with :func:`command`. A user mistake
raises a :class:`chroma.ChromaError`; :func:`main` prints it on one line and exits with
status 2 (no traceback). Per-frame failures in a sequence are reported at the end and
give exit status 1 while the other frames still finish.
"""

from chroma.cli._core import (  # noqa: F401
    COMMANDS, EXIT_OK, EXIT_PARTIAL, EXIT_USAGE, add_config_option, add_output_options,
    arguments, build_parser, command, main, plan_frames, report_failures, write_kwargs,
)
from chroma.cli import info, convert, demo, light, ambient, blend, grade, models, render, shot, farm  # noqa: F401,E402  (registers the commands)

__all__ = ["main", "build_parser", "command", "arguments", "COMMANDS"]
