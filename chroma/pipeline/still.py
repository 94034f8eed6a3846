"""One still: CLIP-guided diffusion to a scene-linear EXR (the API behind ``chroma render -o``).

Settings from a file (Disco Diffusion's settings.txt, a JSON, or a frame chroma rendered),
the files it names, the render itself, and the settings record in the EXR header that
renders the frame again.
"""

from __future__ import annotations

import dataclasses
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping, Sequence

from chroma.image import DEFAULT_COLORSPACE, Image
from chroma.pipeline.frames import display_tensor, frame_to_scene_linear

RENDER_SETTINGS_KEY = "chroma/render_settings"
"""The EXR header attribute holding a rendered frame's settings record (JSON)."""


def require_renderer() -> None:
    """Import the render package (torch and open_clip load here), or say how to install it.

    Raises
    ------
    ChromaError
        The render extra is not installed.
    """
    from chroma.errors import ChromaError

    try:
        import render  # noqa: F401  (torch and open_clip load only here)
    except ImportError as exc:
        raise ChromaError(
            f"the renderer is not installed ({exc.name or exc}); install it with: pip install \"chroma-vfx[render]\""
        ) from None


def load_render_settings(path: str | os.PathLike, config: str | os.PathLike | None = None) -> tuple[Any, str]:
    """Read render settings from a file, and the folder its relative paths are relative to.

    Parameters
    ----------
    path : str or os.PathLike
        Disco Diffusion's ``settings.txt``, a JSON of :class:`render.RenderSettings` names,
        or an EXR that ``chroma render`` wrote (its header holds the record, under
        :data:`RENDER_SETTINGS_KEY`).
    config : str or os.PathLike or None, optional
        OCIO config for reading an EXR (default: $OCIO, else chroma's bundled one).

    Returns
    -------
    tuple of (render.settings_file.SettingsFile, str)
        The settings and the absolute folder of ``path``.

    Raises
    ------
    ChromaError
        The file does not exist, or an EXR holds no render settings.
    """
    import json

    from chroma.errors import ChromaError
    from render.settings_file import load_settings_file, read_settings

    path = os.fspath(path)
    if not os.path.isfile(path):
        raise ChromaError(f"settings file {path!r} does not exist")
    base_dir = os.path.dirname(os.path.abspath(path))
    if path.lower().endswith(".exr"):
        from chroma import io

        raw = io.read(path, config=config).metadata.get(RENDER_SETTINGS_KEY)
        if not raw:
            raise ChromaError(f"{path!r} holds no render settings (only frames written by 'chroma render' do)")
        return read_settings(json.loads(raw)), base_dir
    return load_settings_file(path), base_dir


def find_settings_path(path: str, base_dir: str | None, what: str) -> str:
    """Find a file a settings file names: as written (absolute or from here), else beside it.

    Parameters
    ----------
    path : str
        The path as the settings file writes it.
    base_dir : str or None
        The settings file's folder (None: look only where ``path`` points).
    what : str
        What the file is (``"init_image"``, ``"image prompt"``), for the message.

    Returns
    -------
    str
        An existing file.

    Raises
    ------
    ChromaIOError
        The file is in neither place.
    """
    from chroma.errors import ChromaIOError

    if os.path.isfile(path):
        return path
    if base_dir and not os.path.isabs(path) and os.path.isfile(os.path.join(base_dir, path)):
        return os.path.join(base_dir, path)
    raise ChromaIOError(f"{what} {path!r} named in the settings file was not found (looked here and beside the "
                        "settings file); copy it over or give its path on the command line")


def image_prompt_files(given: Sequence[str] | None, from_file: Sequence[str], base_dir: str | None) -> list[Any]:
    """Image prompts (``IMAGE[:WEIGHT]``) as :class:`render.prompts.Prompt` with absolute paths.

    Parameters
    ----------
    given : sequence of str or None
        Prompts given directly (the command line's); they win when not empty, and each
        file must exist as written.
    from_file : sequence of str
        A settings file's prompts, found as :func:`find_settings_path` finds them.
    base_dir : str or None
        The settings file's folder.

    Returns
    -------
    list of render.prompts.Prompt
        One per prompt, ``value`` an absolute path to an existing file.

    Raises
    ------
    ChromaIOError
        An image prompt file that does not exist.
    """
    from chroma.errors import ChromaIOError
    from render.prompts import parse_prompt

    if given:
        prompts = [parse_prompt(spec, "image") for spec in given]
        for ip in prompts:
            if not os.path.isfile(ip.value):
                raise ChromaIOError(f"image prompt {ip.value!r} does not exist")
    else:
        prompts = [parse_prompt(spec, "image") for spec in from_file]
        prompts = [dataclasses.replace(ip, value=find_settings_path(ip.value, base_dir, "image prompt"))
                   for ip in prompts]
    return [dataclasses.replace(ip, value=os.path.abspath(ip.value)) for ip in prompts]


@dataclass
class StillResult:
    """What :func:`render_still` did.

    Attributes
    ----------
    path : Path
        The EXR written.
    image : Image
        The scene-linear frame written, with its metadata.
    settings : render.RenderSettings
        The settings it was rendered with.
    seed : int
        The random seed.
    guidance_skipped : int
        Sampling steps whose guidance was skipped (a non-finite gradient).
    """

    path: Path
    image: Image
    settings: Any
    seed: int
    guidance_skipped: int = 0


def render_still(
    output: str | os.PathLike,
    prompts: Sequence[str],
    settings: Any,
    *,
    seed: int = 0,
    init: str | None = None,
    image_prompts: Sequence[Any] = (),
    colorspace: str = DEFAULT_COLORSPACE,
    display: str | None = None,
    view: str | None = None,
    config: str | os.PathLike | None = None,
    overwrite: bool = False,
    inputs: Sequence[str | os.PathLike] = (),
    progress: bool | None = None,
    **write_options: Any,
) -> StillResult:
    """Render one frame with CLIP-guided diffusion and write it as a scene-linear EXR.

    The init image and image prompts are read as the models see them
    (:func:`display_tensor`); the rendered frame goes through the inverse of the OCIO
    display view into ``colorspace`` (:func:`frame_to_scene_linear`). The EXR header
    records every setting under :data:`RENDER_SETTINGS_KEY`, so
    :func:`load_render_settings` on the frame renders it again.

    Parameters
    ----------
    output : str or os.PathLike
        The EXR to write; a missing folder is created.
    prompts : sequence of str
        Text prompts, ``TEXT[:WEIGHT]`` (negative weights push away).
    settings : render.RenderSettings or Mapping[str, Any]
        Sampling settings (Disco Diffusion's names and defaults), or the keyword arguments
        of one (then checked after the inputs are read); ``batch_size`` must be 1.
    seed : int, optional
        Random seed (default 0).
    init : str or None, optional
        An image file to start from (read through the display view).
    image_prompts : sequence of render.prompts.Prompt, optional
        Image prompts (:func:`image_prompt_files`).
    colorspace : str, optional
        Scene-linear colour space to write (default ACEScg).
    display, view : str or None, optional
        The display the models' images are encoded for and its view (default: the config's
        default display, sRGB, and its default view).
    config : str or os.PathLike or None, optional
        OCIO config (default: $OCIO, else chroma's bundled one).
    overwrite : bool, optional
        Replace ``output`` if it exists (never an input). Default False.
    inputs : sequence of str or os.PathLike, optional
        Other files the render reads (a settings file), which ``output`` may not replace.
    progress : bool or None, optional
        Draw a progress bar of the sampling steps: True, False, or None (default) only when
        stderr is a terminal.
    **write_options : Any
        Keyword arguments of :func:`chroma.io.write` (``dtype``, ``compression``,
        ``on_invalid``...).

    Returns
    -------
    StillResult
        The path written, the image, the settings, the seed and the skipped-guidance count.

    Raises
    ------
    ChromaIOError
        ``output`` exists (without ``overwrite``) or would replace an input.
    ChromaError
        ``settings.batch_size`` is not 1.
    render.errors.RenderError
        A setting out of range, or a checkpoint that is not in the model cache.

    References
    ----------
    .. [1] Disco Diffusion v5.x, ``disco.py`` (the sampling loop and its settings).
    """
    import json

    from chroma import io
    from chroma.errors import ChromaError
    from chroma.progress import Progress
    from render.renderer import Renderer, RenderSettings
    from render.settings_file import settings_record

    io.check_outputs([output], [p for p in (init, *(ip.value for ip in image_prompts), *inputs) if p],
                     overwrite=overwrite, create_folders=True, images=True)
    init_t = display_tensor(init, display, None, config) if init else None
    prompt_images = [(display_tensor(ip.value, display, None, config), ip.weight) for ip in image_prompts]
    if isinstance(settings, Mapping):
        settings = RenderSettings(**settings)
    if settings.batch_size != 1:
        raise ChromaError("chroma render writes one frame; use batch_size 1 (the Python API renders batches)")
    renderer = Renderer(settings)
    frame = None
    skipped = 0
    with Progress(renderer.diffusion.num_timesteps - settings.skip_steps, "rendering", enabled=progress) as bar:
        for step in renderer.sample(list(prompts), seed=seed, init=init_t, image_prompts=prompt_images):
            if step.final:
                frame = step.image
            else:
                skipped += step.guidance_skipped
                bar.update()
    record = settings_record(
        settings, list(prompts), [f"{ip.value}:{ip.weight:g}" for ip in image_prompts], seed,
        os.path.abspath(init) if init else None, rendered_on=device_name(renderer.device),
    )
    meta = {
        "prompts": " | ".join(prompts), "seed": seed, "steps": settings.steps, "model": settings.diffusion_model,
        "clip_models": " ".join(settings.clip_models), RENDER_SETTINGS_KEY: json.dumps(record),
    }
    image = frame_to_scene_linear(frame, colorspace, display, view, config, metadata=meta)
    path = io.write(image, output, overwrite=True, config=config, **write_options)
    return StillResult(path, image, settings, seed, skipped)


def device_name(device: Any) -> str:
    """Name a torch device for a frame's record: ``cuda (NVIDIA H200)``, ``cpu``, ``mps``.

    Parameters
    ----------
    device : torch.device
        The device a frame was rendered on.

    Returns
    -------
    str
        Its type, with the GPU's name for CUDA.
    """
    if device.type == "cuda":
        import torch

        return f"cuda ({torch.cuda.get_device_name(device)})"
    return str(device.type)
