"""How images are shown to a depth network: its input size and normalisation.

A depth model's configuration carries these settings (``preprocess``); they are read when
a model is imported (:mod:`render.models.checks`) and when it runs (:mod:`render.depth`),
so they live apart from both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from render.errors import ModelError

__all__ = ["Preprocess"]


@dataclass(frozen=True)
class Preprocess:
    """How images are shown to the network.

    The default is what the ``transformers`` ports of MiDaS v3 (``Intel/dpt-*``) accept: a
    square 384x384 input. Their DPT neck reshapes the tokens to a square grid, so the
    aspect-keeping input of DD's own MiDaS code (1280x768 frames went in at 640x384, the
    "minimal" rule with ``keep_aspect_ratio``) cannot run through them; the depth is
    predicted on the stretched square and resized back, which changes it only where the
    network is not scale-equivariant. Models that take any size (e.g. Depth Anything) can
    set ``keep_aspect_ratio`` and their own multiple, mean and std.

    Attributes
    ----------
    size : tuple of int
        Target ``(height, width)`` in pixels. Default ``(384, 384)``.
    keep_aspect_ratio : bool
        Scale both sides by the same factor, the one closer to 1 (MiDaS's
        ``resize_method="minimal"``). Default False (see above).
    ensure_multiple_of : int
        Round each side to a multiple of this, in pixels (MiDaS DPT: 32, the default).
    image_mean, image_std : tuple of float
        Per-channel normalisation ``(x - mean) / std`` of the [0, 1] image (MiDaS DPT:
        0.5 and 0.5, the defaults).

    References
    ----------
    Ranftl, Bochkovskiy & Koltun 2021, *Vision Transformers for Dense Prediction*,
    arXiv:2103.13413; MiDaS ``transforms.py`` (``Resize``, ``NormalizeImage``).
    """

    size: tuple[int, int] = (384, 384)
    keep_aspect_ratio: bool = False
    ensure_multiple_of: int = 32
    image_mean: tuple[float, float, float] = (0.5, 0.5, 0.5)
    image_std: tuple[float, float, float] = (0.5, 0.5, 0.5)

    @classmethod
    def from_dict(cls, d: dict[str, Any] | None) -> "Preprocess":
        """Read the ``preprocess`` settings of a depth model's configuration.

        Parameters
        ----------
        d : dict of str to Any, or None
            ``size`` (an int, a ``(height, width)`` pair or ``{"height", "width"}``, in
            pixels), ``keep_aspect_ratio``, ``ensure_multiple_of``, ``image_mean`` and
            ``image_std`` (three numbers each); missing keys take the defaults. None or
            empty: all defaults.

        Returns
        -------
        Preprocess
            The settings.

        Raises
        ------
        render.errors.ModelError
            If ``d`` holds an unknown key, or a mean or std that is not three numbers.
        """
        if not d:
            return cls()
        d = dict(d)
        size = d.pop("size", cls.size)
        if isinstance(size, dict):
            size = (size["height"], size["width"])
        elif isinstance(size, (int, float)):
            size = (int(size), int(size))
        known = {"keep_aspect_ratio", "ensure_multiple_of", "image_mean", "image_std"}
        unknown = set(d) - known
        if unknown:
            raise ModelError(f"unknown depth preprocess settings {sorted(unknown)}; known: size, {', '.join(sorted(known))}")
        return cls(
            size=(int(size[0]), int(size[1])),
            keep_aspect_ratio=bool(d.get("keep_aspect_ratio", False)),
            ensure_multiple_of=int(d.get("ensure_multiple_of", 32)),
            image_mean=_three_floats(d.get("image_mean", (0.5, 0.5, 0.5)), "image_mean"),
            image_std=_three_floats(d.get("image_std", (0.5, 0.5, 0.5)), "image_std"),
        )


def _three_floats(values: Any, name: str) -> tuple[float, float, float]:
    floats = [float(v) for v in values]
    if len(floats) != 3:
        raise ModelError(f"depth preprocess {name} must hold three numbers (R, G, B), got {len(floats)}")
    return floats[0], floats[1], floats[2]
