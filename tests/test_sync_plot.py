"""The sync plot keeps the waveform readable (issue 21 item 22): the beats never cover it.

Checked on the figure matplotlib draws (the artists' extents on the canvas, in pixels),
for a song with many beats, and on the PNG: the waveform's band has no beat colour.
"""

from __future__ import annotations

import wave
from fractions import Fraction

import numpy as np
import pytest

from chroma import sync

pytest.importorskip("matplotlib")
pytest.importorskip("librosa")


def _clicks(path, seconds=30.0, bpm=150, sr=22050):
    t = np.arange(int(seconds * sr)) / sr
    sig = 0.2 * np.sin(2 * np.pi * 110 * t) * (0.5 + 0.5 * np.sin(2 * np.pi * t / 10))  # a swelling tone
    for k in np.arange(0.25, seconds - 0.1, 60 / bpm):
        i = int(k * sr)
        sig[i:i + 300] += 0.7
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes((np.clip(sig, -1, 1) * 32767).astype(np.int16).tobytes())


def _renderer(fig):
    """A renderer for the figure (sync.plot closed it, which detaches its canvas)."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    return FigureCanvasAgg(fig).get_renderer()


def _is_red(c) -> bool:
    from matplotlib.colors import to_rgba_array

    r, g, b = to_rgba_array(c)[0, :3]
    return r > 0.6 and g < 0.3 and b < 0.3


@pytest.fixture(scope="module")
def drawn(tmp_path_factory):
    """The figure sync.plot saves, for 30 s of a song at 150 BPM (about 75 beats), and its PNG."""
    import matplotlib.figure

    tmp = tmp_path_factory.mktemp("plot")
    _clicks(tmp / "song.wav")
    fps = Fraction(24)
    audio = sync.analyze_audio(tmp / "song.wav", fps)
    assert len(audio.beat_frames) > 60
    curve = sync.beat_pulses(audio.beat_frames, audio.n_frames, 0.05, 2, 6, 1.0)
    saved = []
    real = matplotlib.figure.Figure.savefig

    def keep(fig, *a, **k):
        saved.append(fig)
        return real(fig, *a, **k)

    mp = pytest.MonkeyPatch()
    mp.setattr(matplotlib.figure.Figure, "savefig", keep)
    try:
        sync.plot(tmp / "sync.png", fps=fps, n_frames=audio.n_frames, audio=audio, curves={"zoom": curve})
    finally:
        mp.undo()
    return saved[0], tmp / "sync.png"


def test_beats_do_not_cover_the_waveform(drawn):
    from matplotlib.collections import PolyCollection

    fig, _ = drawn
    renderer = _renderer(fig)
    ax = fig.axes[0]
    wave_ = [a for a in ax.collections if isinstance(a, PolyCollection)]
    assert len(wave_) == 1
    wb = wave_[0].get_window_extent(renderer)
    beats = [a for a in [*ax.lines, *ax.collections] if a is not wave_[0] and _is_red(
        a.get_color() if hasattr(a, "get_xdata") else a.get_edgecolor()[0])]
    assert beats, "the beats are drawn"
    for a in beats:
        bb = a.get_window_extent(renderer)
        behind = a.get_zorder() < wave_[0].get_zorder() and (a.get_alpha() or 1) <= 0.3
        apart = bb.y1 <= wb.y0 or bb.y0 >= wb.y1
        assert behind or apart, f"beats {bb} over the waveform {wb}"


def test_beats_stay_behind_the_curves(drawn):
    fig, _ = drawn
    ax = fig.axes[1]
    curve = [a for a in ax.lines if not _is_red(a.get_color())]
    beats = [a for a in [*ax.lines, *ax.collections] if all(a is not c for c in curve)]
    assert curve and beats
    for a in beats:
        assert a.get_zorder() < curve[0].get_zorder() and (a.get_alpha() or 1) <= 0.3


def test_png_waveform_band_has_no_beat_colour(drawn):
    """In the PNG, the rows the waveform spans hold no saturated red pixel."""
    import matplotlib.image

    fig, png = drawn
    img = matplotlib.image.imread(str(png))[..., :3]
    ax = fig.axes[0]
    wave_ = ax.collections[0]
    wb = wave_.get_window_extent(_renderer(fig))
    scale = img.shape[0] / fig.bbox.height  # savefig's dpi vs the canvas'
    top, bottom = int(img.shape[0] - wb.y1 * scale) + 1, int(img.shape[0] - wb.y0 * scale) - 1
    left, right = int(ax.bbox.x0 * scale) + 2, int(ax.bbox.x1 * scale) - 2
    band = img[top:bottom, left:right]
    red = (band[..., 0] > 0.6) & (band[..., 1] < 0.35) & (band[..., 2] < 0.35)
    assert red.mean() < 0.001, f"{red.mean():.1%} of the waveform band is beat-red"
