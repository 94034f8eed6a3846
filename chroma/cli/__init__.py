"""The ``chroma`` command: thin; parses arguments, calls the API, reports.

One module per subcommand; each registers itself with :func:`command`. A user mistake
raises a :class:`chroma.ChromaError`; :func:`main` prints it on one line and exits with
status 2 (no traceback); a single input file that cannot be read is such a mistake.
Failed or missing frames of a sequence are reported at the end and give exit status 1
while the other frames still finish; Ctrl-C gives 130. Every written file goes through
:func:`check_outputs`.
"""

from chroma.cli import ambient, blend, convert, demo, farm, grade, info, light, models, render, retime, shot, sync  # noqa: F401  (registers the commands)
from chroma.cli._core import (  # noqa: F401
    COMMANDS,
    EXIT_OK,
    EXIT_PARTIAL,
    EXIT_USAGE,
    FrameJob,
    FramePlan,
    add_config_option,
    add_output_options,
    arguments,
    build_parser,
    check_outputs,
    command,
    main,
    note,
    plan_frame_job,
    report_failures,
    write_kwargs,
)

__all__ = ["main", "build_parser", "command", "arguments", "COMMANDS"]
