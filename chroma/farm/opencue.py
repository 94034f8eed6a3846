"""OpenCue export: the job specification (CJSL XML) that cuebot reads.

Layers per shot, chunked command layers, and crossfade layers that depend on their
shots; serialised with OpenCue's pyoutline when it is installed, else written directly.
A render layer asks for the GPU memory its shot's settings need
(:func:`chroma.farm.resources.estimate_gpu_memory`); the job carries the environment a
render node needs (:func:`node_environment`).
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Mapping, Sequence

from chroma.farm.cluster import strip_options
from chroma.farm.shots import frames_feed_forward, is_edit, load_edit


@dataclass
class CueLayer:
    """One OpenCue layer: a shell command run per chunk of ``range``.

    ``#FRAME_START#``/``#FRAME_END#``/``#IFRAME#`` in the command are OpenCue's tokens,
    replaced on the render node by the chunk's first and last frame and the frame.

    Attributes
    ----------
    name : str
        The layer's name, unique in the job.
    command : list[str]
        The command line (tokens between ``#`` are left unquoted).
    range : str
        OpenCue frame range, e.g. ``"1001-1100"`` or ``"1-1"``.
    chunk : int
        Frames per OpenCue task.
    after : list[str]
        Names of the layers this one waits for (LAYER_ON_LAYER dependencies).
    gpus : int
        GPUs a task needs (0: a CPU layer).
    cores : float
        CPU cores a task reserves.
    gpu_memory : str or None
        GPU memory a task needs, as cuebot reads it (``"16g"``); None leaves the
        service's default. Only for a GPU layer.
    """

    name: str
    command: list[str]
    range: str
    chunk: int = 1
    after: list[str] = field(default_factory=list)
    gpus: int = 0
    cores: float = 1.0
    gpu_memory: str | None = None


def _cmd(args: Sequence[str]) -> str:
    import shlex

    return " ".join(a if a.startswith("#") and a.endswith("#") else shlex.quote(a) for a in args)


def edit_layers(path: str | os.PathLike, config: Any = None, chunk: int | None = None, chroma: str = "chroma") -> list[CueLayer]:
    """Build the OpenCue layers for a shot file or an edit file.

    A layer per shot (one task running ``chroma render SHOT --resume`` for a
    frame-to-frame shot, ``chroma farm task SHOT --frames`` chunks otherwise), asking for
    a GPU with the memory the shot's render settings need
    (:func:`chroma.farm.resources.estimate_gpu_memory`) unless it renders on the CPU; for
    an edit, a conform layer per shot and a crossfade layer per seam depending on both
    shots' layers.

    Parameters
    ----------
    path : str or os.PathLike
        A shot file or an edit file (docs/farm.md).
    config : str, os.PathLike or None, optional
        The OCIO config passed on as ``--config``; None for chroma's default.
    chunk : int or None, optional
        Frames per task of a chunked shot layer; default 10 (or the shot's length if shorter).
    chroma : str, optional
        The chroma executable on the render nodes (default ``"chroma"``).

    Returns
    -------
    list[CueLayer]
        The layers, dependencies before the layers that wait for them.

    Raises
    ------
    chroma.errors.ChromaError
        The file cannot be read, or an invalid edit or shot.
    """
    from chroma.farm.resources import estimate_gpu_memory
    from chroma.farm.shots import read_job
    from chroma.shot import load_shot

    path = Path(path).resolve()
    data = read_job(path)
    cfg = ["--config", str(config)] if config else []
    if is_edit(data):
        edit = load_edit(path, config)
        files = [es.path for es in edit.shots]
    else:
        edit, files = None, [str(path)]
    layers: list[CueLayer] = []
    for i, file in enumerate(files):
        shot = load_shot(file, config=config)
        first = shot.output.first_frame
        rng = f"{first}-{first + shot.max_frames - 1}"
        gpus = 0 if str(shot.render.get("device") or "").lower() == "cpu" else 1
        depth = {"depth": shot.animation.depth, "depth_model": shot.animation.depth_model}
        memory = estimate_gpu_memory(shot.render, shot.animation_mode, depth).opencue if gpus else None
        name = f"shot{i + 1:02d}_{re.sub(r'[^A-Za-z0-9_.]', '_', Path(file).stem)}"  # cuebot's layer names
        if frames_feed_forward(shot):  # one task renders every frame in order; a retry resumes
            layers.append(CueLayer(name, [chroma, "render", file, "--resume", *cfg], rng, shot.max_frames, gpus=gpus,
                                   gpu_memory=memory))
        else:
            size = chunk or max(1, min(10, shot.max_frames))
            layers.append(CueLayer(name, [chroma, "farm", "task", file, "--frames", "#FRAME_START#-#FRAME_END#", *cfg],
                                   rng, size, gpus=gpus, gpu_memory=memory))
    if edit is not None:
        for i in range(len(files)):
            layers.append(CueLayer(f"conform{i + 1:02d}", [chroma, "farm", "task", str(edit.path), "--conform", str(i), *cfg],
                                   "1-1", 1, [layers[i].name]))
            if i:
                layers.append(CueLayer(f"crossfade{i:02d}_{i + 1:02d}",
                                       [chroma, "farm", "task", str(edit.path), "--seam", str(i), *cfg], "1-1", 1,
                                       [layers[i - 1].name, layers[i].name]))
    return layers


def command_layer(argv: Sequence[str], frames: Sequence[int], chunk: int, name: str | None = None,
                  chroma: str = "chroma") -> CueLayer:
    """Build a layer running a chroma command (``grade``, ``convert``, ``blend``) over ``frames``.

    The node runs it with ``--frames #FRAME_START#-#FRAME_END# --overwrite`` per chunk;
    ``grade`` gets ``--jobs 1`` (a node's cores go to one frame at a time) and ``blend``
    gets ``--fade-frames`` over all ``frames`` (each chunk weighs over the whole fade).

    Parameters
    ----------
    argv : Sequence[str]
        The command line after ``chroma``; ``--farm``, ``--chunk``, ``--frames``,
        ``--jobs``, ``--overwrite`` and ``--skip-existing`` are taken out.
    frames : Sequence[int]
        The frame numbers to run.
    chunk : int
        Frames per OpenCue task (at least 1).
    name : str or None, optional
        The layer's name; default the command's name.
    chroma : str, optional
        The chroma executable on the render nodes (default ``"chroma"``).

    Returns
    -------
    CueLayer
        The layer.
    """
    from chroma import sequence

    argv = strip_options(argv, ("--farm", "--chunk", "--frames", "--jobs"), ("--overwrite", "--skip-existing"))
    jobs = ["--jobs", "1"] if argv and argv[0] == "grade" else []  # a node's cores go to one frame at a time
    if argv and argv[0] == "blend" and "--fade-frames" not in argv:  # each chunk weighs over the whole fade
        jobs = ["--fade-frames", sequence.format_frames(list(frames))]
    cmd = [chroma, *argv, *jobs, "--frames", "#FRAME_START#-#FRAME_END#", "--overwrite"]
    return CueLayer(name or argv[0], cmd, sequence.format_frames(list(frames)).replace(" ", ""), max(1, chunk))


#: Environment variables a render node reads that chroma's settings live in: the model
#: cache (render.models.registry.cache_dir) and the OCIO config (chroma.ocio).
NODE_ENVIRONMENT = ("CHROMA_MODELS", "OCIO")


def node_environment(extra: Mapping[str, str] | None = None) -> dict[str, str]:
    """Give the environment a render node needs: the chroma settings set here, and ``extra``.

    ``CHROMA_MODELS`` (the model cache) and ``OCIO`` (the colour config) are carried
    when they are set in this environment, local paths made absolute (a node does not
    start in this folder); variables that are not set are left out, so a node keeps its
    own. The OCIO config of ``--config`` travels on each command line instead.

    Parameters
    ----------
    extra : Mapping[str, str] or None, optional
        More variables (``--env NAME=VALUE``); they win over the carried ones.

    Returns
    -------
    dict[str, str]
        Name -> value, in a stable order.
    """
    env: dict[str, str] = {}
    for name in NODE_ENVIRONMENT:
        value = os.environ.get(name)
        if not value:
            continue
        local = os.path.expanduser(value)
        if "://" not in value and os.path.exists(local):
            value = os.path.abspath(local)
        env[name] = value
    env.update(extra or {})
    return env


def export_opencue(layers: Sequence[CueLayer], path: str | os.PathLike, job: str = "chroma", show: str = "chroma",
                   shot: str = "shot", user: str | None = None, facility: str = "local",
                   env: Mapping[str, str] | None = None, overwrite: bool = False,
                   inputs: Sequence[str | os.PathLike] = (),
                   overwrite_hint: str = "pass overwrite=True to replace it") -> Path:
    """Write an OpenCue job specification (the XML cuebot takes, CJSL) for ``layers``.

    With OpenCue's pyoutline installed (``opencue-pyoutline``, in the farm extra) the
    outline is built with it (``outline.Outline`` + ``outline.modules.shell.Shell``
    layers, ``depend_on``, ``set_env``) and serialised with
    ``outline.backend.cue.serialize_simple``; otherwise the same document is written
    directly, following the CJSL DTD (spec, job with its ``env`` keys, layers of
    ``cmd``/``range``/``chunk``/``cores`` and, for GPU layers, ``gpus``/``gpu_memory``,
    ``depends`` of type ``LAYER_ON_LAYER``; each layer in OpenCue's ``shell`` service).
    Submit it with pycue (``opencue.api.launchSpec``) or ``cuerun``. The file goes
    through the one output check (:func:`chroma.io.check_outputs`) first.

    Parameters
    ----------
    layers : Sequence[CueLayer]
        The job's layers.
    path : str or os.PathLike
        The file to write (written atomically).
    job : str, optional
        The OpenCue job name (default ``"chroma"``).
    show : str, optional
        The OpenCue show (default ``"chroma"``).
    shot : str, optional
        The OpenCue shot (default ``"shot"``).
    user : str or None, optional
        The job's owner; default the current user (:func:`getpass.getuser`). The spec's
        ``uid`` is that user's on this machine, left out when it has none.
    facility : str, optional
        The OpenCue facility (default ``"local"``).
    env : Mapping[str, str] or None, optional
        The job's environment, set on every task (:func:`node_environment`).
    overwrite : bool, optional
        Replace ``path`` if it exists (default False).
    inputs : Sequence[str or os.PathLike], optional
        Files the job reads (the edit or shot file): ``path`` may not be one of them.
    overwrite_hint : str, optional
        How to allow replacing, in the caller's words.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    chroma.errors.ChromaIOError
        ``path`` is one of ``inputs``, exists without ``overwrite``, or cannot be written.

    Warns
    -----
    chroma.io.ChromaWarning
        The job's user is ``root`` (or uid 0): cuebot refuses to launch such a job.

    References
    ----------
    OpenCue, pyoutline and the CJSL job specification DTD (https://www.opencue.io/docs/,
    github.com/AcademySoftwareFoundation/OpenCue: ``pyoutline/outline/backend/cue.py``,
    ``cuebot/src/main/resources/public/dtd/cjsl-1.15.dtd``,
    ``cuebot/.../service/JobSpec.java``).
    """
    from chroma.io import check_outputs, write_text

    path = Path(path)
    check_outputs([path], inputs, overwrite=overwrite, images=False, overwrite_hint=overwrite_hint)
    user = user or _current_user()
    uid = _uid(user)
    if user == "root" or uid == 0:
        import warnings

        from chroma.io import ChromaWarning

        warnings.warn(ChromaWarning(f"cuebot refuses jobs launched as root (user {user!r}, uid {uid}); "
                                    "give the job's owner with --user NAME"), stacklevel=2)
    variables = dict(env or {})
    try:
        text = _serialise_pyoutline(layers, job, show, shot, user, facility, variables)
    except ImportError:
        text = _serialise_cjsl(layers, job, show, shot, user, facility, variables)
    return write_text(path, _with_uid(text, uid))


def _current_user() -> str:
    """The current user's name (``getpass.getuser``: LOGNAME, USER, ... then the password database)."""
    import getpass

    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "chroma"


def _uid(user: str) -> int | None:
    """``user``'s uid on this machine, None where it has none (or no password database)."""
    try:
        import pwd
    except ImportError:
        return None
    try:
        return pwd.getpwnam(user).pw_uid
    except KeyError:
        return None


def _with_uid(text: str, uid: int | None) -> str:
    """The spec with ``uid`` as its ``<uid>`` (pyoutline writes the current process's),
    or without one (it is optional in the DTD) when the user has none here."""
    import xml.etree.ElementTree as Et

    head, sep, body = text.partition(".dtd\">")
    root = Et.fromstring(body)
    node = root.find("uid")
    if uid is None and node is not None:
        root.remove(node)
    elif uid is not None:
        if node is None:
            node = Et.Element("uid")
            root.insert(list(root).index(root.find("user")) + 1, node)  # type: ignore[arg-type]
        node.text = str(uid)
    return head + sep + Et.tostring(root).decode()


def _serialise_pyoutline(layers: Sequence[CueLayer], job: str, show: str, shot: str, user: str, facility: str,
                         env: Mapping[str, str]) -> str:
    import outline
    import outline.cuerun
    import outline.depend
    from outline.backend import cue
    from outline.modules.shell import Shell

    ol = outline.Outline(job, shot=shot, show=show, user=user)
    for name, value in env.items():
        ol.set_env(name, value, pre=True)  # pyoutline writes only "pre-setshot" variables into the job's <env>
    made: dict[str, Any] = {}
    for lay in layers:
        kw: dict[str, Any] = {"command": _cmd(lay.command), "range": lay.range, "chunk": lay.chunk, "cores": lay.cores}
        if lay.gpus:
            kw["gpus"] = lay.gpus
            if lay.gpu_memory:
                kw["gpu_memory"] = lay.gpu_memory
        sh = Shell(lay.name, **kw)
        ol.add_layer(sh)
        made[lay.name] = sh
    for lay in layers:
        for dep in lay.after:
            made[lay.name].depend_on(made[dep], outline.depend.DependType.LayerOnLayer)
    launcher = outline.cuerun.OutlineLauncher(ol, user=user, show=show, shot=shot, facility=facility, nomail=True)
    return cue.serialize_simple(launcher)


CJSL_VERSION = "1.15"


def _serialise_cjsl(layers: Sequence[CueLayer], job: str, show: str, shot: str, user: str, facility: str,
                    env: Mapping[str, str]) -> str:
    import xml.etree.ElementTree as Et

    def sub(parent: Any, tag: str, text: str | None, **attrs: str) -> Any:
        e = Et.SubElement(parent, tag, attrs)
        e.text = text
        return e

    root = Et.Element("spec")
    sub(root, "facility", facility)
    sub(root, "show", show)
    sub(root, "shot", shot)
    sub(root, "user", user)
    sub(root, "uid", str(os.getuid() if hasattr(os, "getuid") else 0))
    j = sub(root, "job", None, name=job)
    sub(j, "paused", "False")
    sub(j, "priority", "1")
    sub(j, "maxretries", "2")
    sub(j, "autoeat", "False")
    job_env = Et.SubElement(j, "env")
    for name, value in env.items():
        sub(job_env, "key", value, name=name)
    ls = Et.SubElement(j, "layers")
    for lay in layers:
        le = sub(ls, "layer", None, name=lay.name, type="Render")
        sub(le, "cmd", _cmd(lay.command))
        sub(le, "range", lay.range)
        sub(le, "chunk", str(lay.chunk))
        sub(le, "cores", f"{float(lay.cores):0.1f}")
        if lay.gpus:
            sub(le, "gpus", str(lay.gpus))
            sub(le, "gpu_memory", lay.gpu_memory or "1g")  # cuebot wants both once gpus is given
        Et.SubElement(le, "env")
        services = Et.SubElement(le, "services")
        sub(services, "service", "shell")
        Et.SubElement(le, "outputs")
    deps = Et.SubElement(root, "depends")
    for lay in layers:
        for dep in lay.after:
            d = sub(deps, "depend", None, type="LAYER_ON_LAYER", anyframe="False")
            sub(d, "depjob", job)
            sub(d, "deplayer", lay.name)
            sub(d, "onjob", job)
            sub(d, "onlayer", dep)
    return ('<?xml version="1.0"?><!DOCTYPE spec PUBLIC "SPI Cue  Specification Language" '
            f'"http://localhost:8080/spcue/dtd/cjsl-{CJSL_VERSION}.dtd">' + Et.tostring(root).decode())
