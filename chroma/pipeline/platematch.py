"""Match a rendered frame to its plate: exposure in stops and white balance.

``[output] match_plate`` grades each written frame towards the plate's frame: white by
grey world in Kelvin/tint (:func:`chroma.whitebalance.estimate_white`), then exposure by
the median log luminance (:func:`chroma.stops.match_exposure`).
"""

from __future__ import annotations

import os

from chroma.image import Image

__all__ = ["match_plate"]


def match_plate(image: Image, plate_path: str, config: str | os.PathLike[str] | None = None) -> Image:
    """Match a frame's white and exposure to its plate's frame.

    Parameters
    ----------
    image : chroma.image.Image
        The rendered frame, scene-linear.
    plate_path : str
        The plate's frame.
    config : str or os.PathLike or None, optional
        The OCIO config; None for chroma's default.

    Returns
    -------
    chroma.image.Image
        The graded frame; ``chroma/plate_match`` in its metadata says by how much
        (stops, Kelvin/tint of the frame -> the plate).
    """
    from chroma import io, stops, whitebalance
    from chroma.grade import Exposure, Grade, WhiteBalance

    plate = io.read(plate_path, config=config)
    k_img, t_img = whitebalance.estimate_white(image, config=config)
    k_pl, t_pl = whitebalance.estimate_white(plate, config=config)
    balanced = Grade([WhiteBalance(k_img, k_pl, t_img, t_pl)]).apply(image)
    ev = stops.match_exposure(balanced, plate, config=config)
    graded = Grade([Exposure(ev)]).apply(balanced)
    graded.metadata.update({"chroma/plate_match": f"{ev:+.4f} stops, {k_img:.0f}K/{t_img:+.4f} -> "
                                                  f"{k_pl:.0f}K/{t_pl:+.4f}"})
    return graded
