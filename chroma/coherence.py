"""Colour coherence: hold an animation's palette to a reference, in OKLab, with a strength.

Frame-to-frame animations flicker and drift in colour; Deforum's answer is to match every
frame's histogram to frame 0 in LAB/HSV/RGB on 8-bit pixels. chroma matches float frames
in OKLab [1] (perceptually even, so a mean and a spread mean the same thing in every part
of the palette), to one of:

- a frame of the shot (``reference = 0``: frame 0; any index: frames before it are left
  as they are, frame k itself becomes the reference);
- a palette image (``reference = "palette.png"``, read through the display view);
- the plate's frame of the same index (``reference = "plate"``, Video shots).

Two ways of matching, on the frame's OKLab pixels:

- ``stats``: per channel, ``(x - mean) * (ref_std / std) + ref_mean`` -- the mean and
  the spread of L, a and b become the reference's (the gain ``ref_std / std`` is capped
  at ``max_gain``: a collapsed frame is the guard's business, amplifying its noise is
  not coherence);
- ``histogram``: each channel's distribution becomes the reference's
  (:func:`skimage.exposure.match_histograms`) -- stronger, and it flattens the variety
  of the palette over the shot, as Deforum's does.

The result is blended with the frame by ``strength`` (a schedule over the shot: 0 leaves
the frame bit for bit, 1 is the full match) and clipped to the display range. The shot
runner applies it to the display-referred frame before it is written *and* before it
becomes the next frame's init. The palette drift, the distance between the frame's OKLab
mean and the reference's (deltaEOK of the means, CSS Color 4 section 13.3), is logged
for every frame, before and after the match.

References:
    [1] B. Ottosson, "A perceptual color space for image processing", 2020,
        https://bottosson.github.io/posts/oklab/
    [2] scikit-image, ``skimage.exposure.match_histograms``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from chroma.errors import ChromaValueError
from chroma.guard import display_to_oklab, schedule_at
from chroma.oklab import oklab_to_linear_srgb, srgb_encode

__all__ = ["MODES", "oklab_to_display", "oklab_stats", "match_stats", "match_histogram", "palette_drift",
           "match_frame", "CoherenceSettings", "Coherence"]

MODES = ("stats", "histogram")
_STD_FLOOR = 1e-6


def oklab_to_display(lab: Any) -> np.ndarray:
    """Convert OKLab colours to display code values (sRGB-encoded, clipped to [0, 1]).

    The inverse of :func:`chroma.guard.display_to_oklab` inside the display's gamut.

    Parameters
    ----------
    lab : array_like
        (..., 3) OKLab colours (L in [0, 1] for display black to white).

    Returns
    -------
    numpy.ndarray
        The (..., 3) sRGB code values, float32, in [0, 1].

    References
    ----------
    B. Ottosson, "A perceptual color space for image processing", 2020; IEC 61966-2-1:1999.
    """
    return np.clip(srgb_encode(oklab_to_linear_srgb(np.asarray(lab, dtype=np.float32))), 0.0, 1.0).astype(np.float32)


def oklab_stats(lab: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Compute the per-channel mean and standard deviation of OKLab pixels.

    Parameters
    ----------
    lab : numpy.ndarray
        (..., 3) OKLab pixels.

    Returns
    -------
    mean : numpy.ndarray
        Mean L, a, b (OKLab units), float64, shape (3,).
    std : numpy.ndarray
        Population standard deviation of L, a, b, float64, shape (3,).
    """
    flat = np.asarray(lab, dtype=np.float64).reshape(-1, 3)
    return flat.mean(axis=0), flat.std(axis=0)


def match_stats(lab: np.ndarray, ref_mean: np.ndarray, ref_std: np.ndarray, max_gain: float = 4.0) -> np.ndarray:
    """OKLab pixels with each channel's mean and spread moved to ``ref_mean``/``ref_std``.

    The gain ``ref_std / std`` is capped at ``max_gain`` (and a channel with no spread
    only moves its mean).

    Parameters
    ----------
    lab : numpy.ndarray
        (..., 3) OKLab pixels of the frame.
    ref_mean : numpy.ndarray
        Shape (3,): the reference's mean L, a, b.
    ref_std : numpy.ndarray
        Shape (3,): the reference's standard deviation of L, a, b.
    max_gain : float, optional
        The largest factor a channel's spread is multiplied by (default 4).

    Returns
    -------
    numpy.ndarray
        OKLab pixels, float32, the shape of ``lab``.
    """
    x = np.asarray(lab, dtype=np.float64)
    mean, std = oklab_stats(x)
    gain = np.where(std > _STD_FLOOR, np.asarray(ref_std) / np.maximum(std, _STD_FLOOR), 1.0)
    gain = np.minimum(gain, max_gain)
    return ((x - mean) * gain + np.asarray(ref_mean)).astype(np.float32)


def match_histogram(lab: np.ndarray, ref_lab: np.ndarray) -> np.ndarray:
    """Match each OKLab channel's histogram to the reference's.

    scikit-image's ``match_histograms``, channel by channel.

    Parameters
    ----------
    lab : numpy.ndarray
        (..., 3) OKLab pixels of the frame.
    ref_lab : numpy.ndarray
        (..., 3) OKLab pixels of the reference (any size).

    Returns
    -------
    numpy.ndarray
        OKLab pixels, float32, the shape of ``lab``.

    Raises
    ------
    chroma.errors.ChromaError
        scikit-image is not installed.

    References
    ----------
    scikit-image, ``skimage.exposure.match_histograms``.
    """
    try:
        from skimage.exposure import match_histograms
    except ImportError:  # pragma: no cover - the render extra carries it
        from chroma.errors import ChromaError

        raise ChromaError('coherence mode "histogram" needs scikit-image: pip install "chroma-vfx[render]"') from None
    return match_histograms(np.asarray(lab, np.float32), np.asarray(ref_lab, np.float32), channel_axis=-1).astype(np.float32)


def palette_drift(mean: Any, ref_mean: Any) -> float:
    """Measure how far a frame's palette drifted: deltaEOK between two OKLab means.

    Parameters
    ----------
    mean : array_like
        Shape (3,): the frame's mean L, a, b.
    ref_mean : array_like
        Shape (3,): the reference's mean L, a, b.

    Returns
    -------
    float
        The Euclidean distance in OKLab (deltaEOK; 1 = black to white).

    References
    ----------
    CSS Color Module Level 4, section 13.3 (deltaEOK).
    """
    return float(np.linalg.norm(np.asarray(mean, np.float64) - np.asarray(ref_mean, np.float64)))


def match_frame(code: np.ndarray, ref_lab: np.ndarray, strength: float, mode: str = "stats",
                max_gain: float = 4.0) -> np.ndarray:
    """Match a display-referred frame to a reference palette in OKLab.

    Parameters
    ----------
    code : numpy.ndarray
        The frame, H x W x 3 display code values in [0, 1].
    ref_lab : numpy.ndarray
        The reference's OKLab pixels (any size; :func:`chroma.guard.display_to_oklab`).
    strength : float
        0 returns ``code`` itself (bit for bit); 1 the full match; between, a linear
        blend in OKLab (above 1 counts as 1).
    mode : {"stats", "histogram"}, optional
        How to match (default ``"stats"``; see the module's description).
    max_gain : float, optional
        Stats mode's cap on the spread's gain (default 4).

    Returns
    -------
    numpy.ndarray
        The matched frame, display code values clipped to [0, 1], float32.

    Raises
    ------
    chroma.errors.ChromaValueError
        An unknown mode.
    """
    if mode not in MODES:
        raise ChromaValueError(f"coherence mode must be one of {', '.join(MODES)}, got {mode!r}")
    if strength <= 0.0:
        return code
    lab = display_to_oklab(code)
    if mode == "stats":
        rm, rs = oklab_stats(ref_lab)
        matched = match_stats(lab, rm, rs, max_gain)
    else:
        matched = match_histogram(lab, ref_lab)
    s = np.float32(min(strength, 1.0))
    return oklab_to_display(lab + s * (matched - lab))


@dataclass(frozen=True)
class CoherenceSettings:
    """A shot's ``[coherence]`` (docs/shots.md, "Collapse and coherence").

    Attributes
    ----------
    reference : int or str
        A frame index, ``"plate"``, or a palette image's path.
    mode : {"stats", "histogram"}
        How frames are matched.
    strength : float or Sequence[float]
        The blend with the match, a float or one value per frame, in [0, 1].
    max_gain : float
        Stats mode's cap on the spread's gain.
    """

    reference: int | str = 0
    mode: str = "stats"
    strength: float | Sequence[float] = 1.0
    max_gain: float = 4.0

    def strength_at(self, index: int) -> float:
        """Give the strength at a frame.

        Parameters
        ----------
        index : int
            The shot's 0-based frame index (clamped to the schedule's length).

        Returns
        -------
        float
            The strength as the shot gives it (nominally [0, 1]).
        """
        return schedule_at(self.strength, index)


class Coherence:
    """Applies a shot's coherence frame by frame.

    The reference frame captured from the shot is state: :meth:`to_arrays` /
    :meth:`restore` save and load it with the loop's state.

    Parameters
    ----------
    settings : CoherenceSettings
        The shot's ``[coherence]``.
    image : numpy.ndarray or None, optional
        The palette image's display code values (when ``reference`` is a path).
    plate : Callable[[int], numpy.ndarray] or None, optional
        ``plate(index) -> display code values`` of the plate's frame (``"plate"``).

    Raises
    ------
    chroma.errors.ChromaValueError
        An image reference without the image's pixels.
    """

    def __init__(self, settings: CoherenceSettings, image: np.ndarray | None = None,
                 plate: Callable[[int], np.ndarray] | None = None):
        self.settings = settings
        self.plate = plate
        self.ref_lab: np.ndarray | None = display_to_oklab(image) if image is not None else None
        if isinstance(settings.reference, str) and settings.reference != "plate" and image is None:
            raise ChromaValueError("coherence: give the palette image's pixels for an image reference")

    def to_arrays(self) -> dict[str, np.ndarray]:
        """Save the captured reference frame with the loop's state.

        Returns
        -------
        dict[str, numpy.ndarray]
            ``{"coherence_reference": OKLab pixels}`` once a frame reference is captured,
            else empty.
        """
        if isinstance(self.settings.reference, int) and self.ref_lab is not None:
            return {"coherence_reference": self.ref_lab}
        return {}

    def restore(self, arrays: Mapping[str, np.ndarray]) -> None:
        """Load the reference frame saved by :meth:`to_arrays`.

        Parameters
        ----------
        arrays : Mapping[str, numpy.ndarray]
            The loop state's arrays.
        """
        if isinstance(self.settings.reference, int) and "coherence_reference" in arrays:
            self.ref_lab = np.array(arrays["coherence_reference"], dtype=np.float32)

    def apply(self, index: int, code: np.ndarray) -> tuple[np.ndarray, dict[str, Any] | None]:
        """Match frame ``index`` to the reference.

        Parameters
        ----------
        index : int
            The shot's 0-based frame index; frames must come in order.
        code : numpy.ndarray
            The frame, H x W x 3 display code values in [0, 1].

        Returns
        -------
        frame : numpy.ndarray
            The matched frame (``code`` itself when nothing is done).
        log : dict[str, Any] or None
            What was done (reference, mode, strength, drift before and after in deltaEOK);
            None when there is nothing to match it to yet.

        Raises
        ------
        chroma.errors.ChromaValueError
            A ``"plate"`` reference without the plate's frames.
        """
        st = self.settings
        ref: np.ndarray | None
        if st.reference == "plate":
            if self.plate is None:
                raise ChromaValueError("coherence reference \"plate\" needs the plate's frames")
            ref = display_to_oklab(self.plate(index))
        elif isinstance(st.reference, int):
            if index < st.reference:
                return code, None
            if index == st.reference or self.ref_lab is None:
                self.ref_lab = display_to_oklab(code)
                return code, {"reference": st.reference, "drift": 0.0, "drift_after": 0.0, "strength": 0.0}
            ref = self.ref_lab
        else:
            ref = self.ref_lab
        assert ref is not None
        strength = min(max(st.strength_at(index), 0.0), 1.0)
        ref_mean, _ = oklab_stats(ref)
        before = palette_drift(oklab_stats(display_to_oklab(code))[0], ref_mean)
        out = match_frame(code, ref, strength, st.mode, st.max_gain)
        after = before if out is code else palette_drift(oklab_stats(display_to_oklab(out))[0], ref_mean)
        return out, {"reference": st.reference, "mode": st.mode, "strength": strength, "drift": before,
                     "drift_after": after}
