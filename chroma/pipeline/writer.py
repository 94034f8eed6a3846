"""The frame writer: a rendered frame to a scene-linear EXR, its preview and metadata.

The renderer's display-referred frame goes through the inverse of the shot's OCIO view
into the output colour space (:func:`chroma.pipeline.frames.frame_to_scene_linear`),
optionally matched to the plate (:mod:`chroma.pipeline.platematch`), with the depth as a
``Z`` channel in 3D, and is written with every fact needed to render it again in its
header. A frame about to be replaced moves to ``retained/`` first.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Literal, Protocol, cast

import numpy as np

from chroma.image import Image
from chroma.pipeline.frames import frame_to_scene_linear
from chroma.pipeline.layout import PREVIEW, RETAINED, ShotLayout

if TYPE_CHECKING:
    import torch

    from chroma.shot import FrameSpec, Shot
    from render.animation import FrameResult
    from render.settings import RenderSettings

__all__ = ["ExrFrameWriter", "FrameWriter", "WatchRecord", "dd_png_u8", "model_record", "write_dd_png"]

#: what the watch said of a frame (:meth:`chroma.watch.ShotWatch.after`): "guard", "coherence", "summary"
WatchRecord = Mapping[str, object]


class FrameWriter(Protocol):
    """Writes the frames a run renders."""

    def write(self, spec: FrameSpec, result: FrameResult, settings: RenderSettings, settings_hash: str,
              watch: WatchRecord | None = None, motion: Mapping[str, np.ndarray] | None = None) -> Path:
        """Write a frame.

        Parameters
        ----------
        spec : chroma.shot.FrameSpec
            The frame's evaluated settings.
        result : render.animation.FrameResult
            What the loop rendered.
        settings : render.settings.RenderSettings
            The frame's render settings.
        settings_hash : str
            :meth:`chroma.shot.Shot.settings_hash` of the frame.
        watch : WatchRecord or None, optional
            The watch's record of the frame.
        motion : Mapping[str, numpy.ndarray] or None, optional
            Extra ``(H, W)`` channels by name, written as float32: the motion vectors
            (:class:`chroma.pipeline.motion.ShotMotion`). Default None.

        Returns
        -------
        pathlib.Path
            The file written.
        """

    def retain(self, index: int) -> str:
        """Move a frame about to be replaced out of the way.

        Parameters
        ----------
        index : int
            Shot index of the frame.

        Returns
        -------
        str
            Where it went.
        """


class ExrFrameWriter:
    """Write a shot's frames as scene-linear EXRs with previews.

    Parameters
    ----------
    shot : chroma.shot.Shot
        The shot (its ``[output]`` and animation settings).
    layout : chroma.pipeline.layout.ShotLayout
        Its files.
    config : str or os.PathLike or None
        The OCIO config; None for chroma's default.
    models : Mapping[str, str]
        Model names with their sha256 (:func:`model_record`), for the metadata.
    """

    def __init__(self, shot: Shot, layout: ShotLayout, config: str | os.PathLike[str] | None,
                 models: Mapping[str, str]):
        self.shot = shot
        self.layout = layout
        self.config = config
        self.models = dict(models)

    def metadata(self, spec: FrameSpec, result: FrameResult, settings: RenderSettings, settings_hash: str,
                 watch: WatchRecord | None = None) -> dict[str, object]:
        """Return the header facts of a frame: enough to render it again.

        Parameters
        ----------
        spec : chroma.shot.FrameSpec
            The frame's evaluated settings.
        result : render.animation.FrameResult
            What the loop rendered.
        settings : render.settings.RenderSettings
            The frame's render settings.
        settings_hash : str
            :meth:`chroma.shot.Shot.settings_hash` of the frame.
        watch : WatchRecord or None, optional
            The watch's record of the frame (guard and coherence measures).

        Returns
        -------
        dict[str, object]
            Attributes, strings and numbers (``chroma/`` is added by the writer).
        """
        from chroma import __version__
        from render.settings_file import settings_record

        shot = self.shot
        record = settings_record(settings, list(spec.prompts), list(spec.image_prompts), spec.seed)
        meta: dict[str, object] = {
            "frame": spec.file_frame, "shot_frame": spec.index, "shot": str(shot.path or ""),
            "prompts": " | ".join(spec.prompts), "prompt_key": spec.prompt_key,
            "image_prompts": " | ".join(spec.image_prompts), "seed": spec.seed,
            "schedule": json.dumps({k: round(v, 10) for k, v in spec.values.items()}),
            "settings_hash": settings_hash, "animation_mode": shot.animation_mode,
            "turbo": int(result.turbo), "models": json.dumps(self.models), "version": __version__,
            "render_settings": json.dumps(record),
        }
        if result.clip_loss is not None:
            meta["clip_loss"] = float(result.clip_loss)
        if result.inbetween is not None:  # cadence: blended from these key frames, not diffused
            first = spec.file_frame - spec.index
            meta["inbetween"] = 1
            meta["inbetween_keys"] = f"{first + result.inbetween[0]},{first + result.inbetween[1]}"
        meta.update({k: json.dumps(v) for k, v in (watch or {}).items() if k in ("guard", "coherence") and v})
        return meta

    def write(self, spec: FrameSpec, result: FrameResult, settings: RenderSettings, settings_hash: str,
              watch: WatchRecord | None = None, motion: Mapping[str, np.ndarray] | None = None) -> Path:
        """Write a frame: EXR (with ``Z`` in 3D, the motion vectors when given) and the preview.

        Parameters
        ----------
        spec : chroma.shot.FrameSpec
            The frame's evaluated settings.
        result : render.animation.FrameResult
            What the loop rendered.
        settings : render.settings.RenderSettings
            The frame's render settings.
        settings_hash : str
            :meth:`chroma.shot.Shot.settings_hash` of the frame.
        watch : WatchRecord or None, optional
            The watch's record of the frame.
        motion : Mapping[str, numpy.ndarray] or None, optional
            Extra ``(H, W)`` channels by name after the colour (and ``Z``), each written
            as float32 whatever ``[output] dtype`` says: the motion vectors
            (:mod:`chroma.pipeline.motion`; half would round a 100-pixel vector to 0.06
            pixels). Default None.

        Returns
        -------
        pathlib.Path
            The EXR written.
        """
        from chroma import io

        shot, out = self.shot, self.shot.output
        meta = self.metadata(spec, result, settings, settings_hash, watch)
        image = frame_to_scene_linear(result.image, out.colorspace, out.display, out.view, self.config, metadata=meta)
        if out.match_plate and shot.animation.video_init_path:
            from chroma.pipeline.inputs import plate_path
            from chroma.pipeline.platematch import match_plate

            image = match_plate(image, plate_path(shot, spec.index), self.config)
        if result.depth is not None:
            z = result.depth.detach().float().cpu().numpy()
            if shot.animation.depth != "estimate":
                z = z / float(shot.animation.depth_scale)  # the plate's own Z back
            pixels = np.concatenate([image.pixels, z[:, :, None].astype(np.float32)], axis=2)
            image = Image(pixels, [*image.channels, "Z"], image.colorspace, image.metadata)
        extra = dict(motion or {})
        if extra:
            planes = [np.asarray(extra[name], dtype=np.float32)[:, :, None] for name in extra]
            image = Image(np.concatenate([image.pixels, *planes], axis=2), [*image.channels, *extra], image.colorspace,
                          image.metadata)
        path = io.write(image, self.layout.path(spec.index), dtype=cast("Literal['half', 'float']", out.dtype), compression=out.compression,
                        overwrite=True, config=self.config, channel_dtypes={name: "float" for name in extra})
        if out.preview != "none":
            preview = self.layout.preview_path(spec.index)
            preview.parent.mkdir(exist_ok=True)
            io.write_display(image, preview, out.display, out.view, self.config)
        dd_png = self.layout.dd_png_path(spec.index)
        if dd_png is not None:
            if dd_png.exists():  # the plan allowed it (--overwrite, --resume): kept in retained/, never lost
                self._retain_file(dd_png)
            write_dd_png(result.image, dd_png)
        return Path(path)

    def _retain_file(self, path: Path) -> Path:
        """Move a file to ``retained/`` under its name (``.1``, ``.2``... when taken)."""
        dest_dir = self.layout.out_dir / RETAINED
        dest_dir.mkdir(exist_ok=True)
        dest = dest_dir / f"{path.stem}{_free_suffix((dest_dir, path))}{path.suffix}"
        os.replace(path, dest)
        return dest

    def retain(self, index: int) -> str:
        """Move a frame about to be replaced to ``retained/``, its preview to ``retained/preview/``.

        Under the same name (``.1``, ``.2``... before the extension when an earlier one is
        there: the preview takes the number its frame took).

        Parameters
        ----------
        index : int
            Shot index of the frame.

        Returns
        -------
        str
            Where the frame went.
        """
        src = self.layout.path(index)
        preview = self.layout.preview_path(index)
        dest_dir = self.layout.out_dir / RETAINED
        dest_dir.mkdir(exist_ok=True)
        suffix = _free_suffix((dest_dir, src), (dest_dir / PREVIEW, preview))
        dest = dest_dir / f"{src.stem}{suffix}{src.suffix}"
        os.replace(src, dest)
        if preview.exists():
            (dest_dir / PREVIEW).mkdir(exist_ok=True)
            os.replace(preview, dest_dir / PREVIEW / f"{preview.stem}{suffix}{preview.suffix}")
        return str(dest)


def _free_suffix(*places: tuple[Path, Path]) -> str:
    """The first of ``""``, ``".1"``, ``".2"``... under which no ``(folder, file)`` pair is taken:
    ``folder / (file's stem + suffix + file's extension)`` exists for none of them."""
    suffix, n = "", 1
    while any((folder / f"{f.stem}{suffix}{f.suffix}").exists() for folder, f in places):
        suffix, n = f".{n}", n + 1
    return suffix


def dd_png_u8(image: torch.Tensor) -> np.ndarray:
    """A frame made 8-bit as Disco Diffusion saves its PNGs.

    DD saves ``TF.to_pil_image(image.add(1).div(2).clamp(0, 1))``, whose float-to-8-bit
    step is ``pic.mul(255).byte()``: ``floor(255 * c)`` (truncation, not rounding) of the
    display code value ``c = clamp((x + 1) / 2, 0, 1)``.

    Parameters
    ----------
    image : torch.Tensor
        The frame, ``(1, 3, H, W)`` or ``(3, H, W)``, display-referred in [-1, 1].

    Returns
    -------
    numpy.ndarray
        ``(H, W, 3)`` uint8.

    References
    ----------
    Disco Diffusion v5.7 ``disco.py``, ``do_run`` (``image = TF.to_pil_image(image.add(1).div(2).clamp(0, 1))``);
    torchvision ``transforms.functional.to_pil_image`` (``pic.mul(255).byte()``).
    """
    x = image[0] if image.ndim == 4 else image
    return np.ascontiguousarray(x.detach().float().cpu().add(1).div(2).clamp(0, 1).mul(255).byte().permute(1, 2, 0).numpy())


def write_dd_png(image: torch.Tensor, path: Path) -> None:
    """Write a frame as Disco Diffusion's 8-bit PNG (:func:`dd_png_u8`), atomically.

    Parameters
    ----------
    image : torch.Tensor
        The frame, ``(1, 3, H, W)``, display-referred in [-1, 1].
    path : pathlib.Path
        The PNG (``<batch_name>(<n>)_<frame:04>.png``).
    """
    import OpenImageIO as oiio

    from chroma.io import atomic_path

    pixels = dd_png_u8(image)
    with atomic_path(path) as tmp:
        spec = oiio.ImageSpec(pixels.shape[1], pixels.shape[0], 3, oiio.UINT8)
        out = oiio.ImageOutput.create(str(tmp))
        if out is None or not out.open(str(tmp), spec) or not out.write_image(pixels) or not out.close():
            raise OSError(f"cannot write {str(path)!r}: {oiio.geterror()}")


def model_record(settings: RenderSettings) -> dict[str, str]:
    """Model names with their sha256 (the registry's), for each frame's metadata.

    Parameters
    ----------
    settings : render.settings.RenderSettings
        The render settings (the models they load).

    Returns
    -------
    dict[str, str]
        Name -> sha256, ``"unverified"``, ``"not in the registry"`` (a model given
        directly) or ``"open_clip"`` (CLIP models).
    """
    from render import models

    out = {}
    names = [settings.diffusion_model] + ([settings.secondary_model] if settings.use_secondary_model else [])
    for name in names:
        try:
            out[name] = models.get_info(name).sha256 or "unverified"
        except Exception:  # a model given directly (tests, notebooks) is not in the registry
            out[name] = "not in the registry"
    for spec in settings.clip_models:
        out[spec] = "open_clip"
    return out
