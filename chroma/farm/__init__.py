"""Scale out: frames and shots as tasks on a Dask cluster, edits of shots, OpenCue export.

``--farm local:N`` starts a Dask ``LocalCluster`` of N worker processes on this machine;
``--farm tcp://HOST:8786`` uses a running Dask scheduler (``dask scheduler`` /
``dask worker``, https://distributed.dask.org). Work is cut into tasks by what depends on
what (docs/farm.md):

- frame-independent work (``chroma grade``, ``convert``, a ``blend`` crossfade) runs in
  chunks of frames: :class:`FarmFrames` runs the command's library function (never the
  CLI) and a frame's exception comes back as its failure (:mod:`chroma.framerun`);
- a shot whose frames feed each other (animation modes 2D and 3D: every frame starts
  from the previous one warped) is **one** task that renders in order; a lost worker's
  task is run again and resumes from the loop state saved after each frame
  (:class:`chroma.pipeline.ShotRunner`);
- a shot whose frames are independent (mode "None", and "Video" without the flow warp: every
  frame starts from noise, the init image or its plate frame) runs in chunks of frames;
- an **edit** (a TOML list of shot files) renders its shots in parallel; each seam's
  OKLab crossfade (:func:`chroma.oklab.crossfade`) is a task that waits for both shots.

Every output is written atomically (to a temporary file, then renamed), so a task run
again never leaves half a frame; a frame this job already finished is not written again.
Render tasks ask for the worker resource ``GPU=1`` (start GPU workers with
``--resources GPU=1``). One progress bar counts frames done over frames asked across
all workers.

Dask is imported only when a farm is used: ``import chroma`` does not import it. The
``farm`` extra installs it: ``pip install "chroma-vfx[farm]"``.
"""

from __future__ import annotations

from chroma.farm.cluster import (  # noqa: F401
    INSTALL,
    Farm,
    FarmError,
    Job,
    Task,
    chunk_tasks,
    chunks,
    clear_partial,
    connect,
    default_chunk,
    done_by,
    report,
    run_tasks,
    strip_options,
    using,
)
from chroma.farm.frames import FarmFrames, cli_frames, grade
from chroma.farm.opencue import CueLayer, command_layer, edit_layers, export_opencue, node_environment
from chroma.farm.resources import GpuEstimate, estimate_gpu_memory
from chroma.farm.shots import (  # noqa: F401
    FEED_FORWARD_MODES,
    Edit,
    EditShot,
    conform,
    edit_tasks,
    frames_feed_forward,
    is_edit,
    load_edit,
    read_job,
    render_edit,
    render_frames,
    render_shot,
    seam,
    seam_metadata,
    shot_tasks,
    split_shot,
)

__all__ = [
    "FarmError", "Farm", "connect", "using", "Task", "Job", "run_tasks", "FarmFrames", "grade", "cli_frames", "render_shot",
    "render_frames",
    "frames_feed_forward", "Edit", "load_edit", "render_edit", "split_shot", "export_opencue", "edit_layers",
    "command_layer", "CueLayer", "INSTALL", "node_environment", "estimate_gpu_memory", "GpuEstimate", "read_job",
    "seam_metadata",
]
