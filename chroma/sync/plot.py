"""One figure: waveform, beats, lyric lines and the generated curves on one time axis."""

from __future__ import annotations

import os
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from chroma.sync.audio import AudioAnalysis
from chroma.sync.errors import SyncError, require_module
from chroma.sync.lyrics import PromptPlan

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def check_plot_path(path: str | os.PathLike) -> None:
    """Refuse a plot file whose type matplotlib cannot write, before any work.

    Parameters
    ----------
    path : str or os.PathLike
        The picture to write (``.png``, ``.pdf``, ``.svg``...).

    Raises
    ------
    SyncError
        Its extension names no format matplotlib writes.
    SyncDependencyError
        matplotlib is not installed.
    """
    require_module("matplotlib")
    from matplotlib.backend_bases import FigureCanvasBase

    kinds = FigureCanvasBase.get_supported_filetypes()
    ext = Path(path).suffix.lower().lstrip(".")
    if ext not in kinds:
        raise SyncError(f"--plot {os.fspath(path)!r}: matplotlib writes {', '.join('.' + k for k in sorted(kinds))}; "
                        "name the picture e.g. sync.png")


def plot(
    path: str | os.PathLike,
    *,
    fps: Fraction,
    n_frames: int,
    audio: AudioAnalysis | None = None,
    plan: PromptPlan | None = None,
    curves: dict[str, np.ndarray] | None = None,
    offset: float = 0.0,
) -> None:
    """Draw the waveform with beats, lyric lines and the generated curves on one time axis.

    A PNG (or any type matplotlib writes) through matplotlib's Agg backend; the figure is
    :func:`figure`'s.

    Parameters
    ----------
    path : str or os.PathLike
        The picture to write.
    fps : fractions.Fraction
        The shot's frames per second.
    n_frames : int
        Frames of the shot (the time axis ends at ``n_frames / fps`` seconds).
    audio : AudioAnalysis or None, optional
        The analysed song (waveform, beats, tempo), if any.
    plan : PromptPlan or None, optional
        The keyed prompts (lines, sections, gaps), if any.
    curves : dict[str, numpy.ndarray] or None, optional
        Setting name -> value per frame, each drawn in its own row.
    offset : float, optional
        Seconds of audio at frame 0 (default 0).

    Raises
    ------
    SyncDependencyError
        matplotlib is not installed.
    """
    import matplotlib.pyplot as plt

    fig = figure(fps=fps, n_frames=n_frames, audio=audio, plan=plan, curves=curves, offset=offset)
    fig.savefig(os.fspath(path), dpi=110)
    plt.close(fig)


# Where things go in the first row (data units; the waveform envelope spans -1..1): beat
# ticks in a band of their own below it, so thousands of beats never cover the waveform,
# section bars (labelled underneath) below those, lyric labels above.
_BEAT_BAND = (-1.32, -1.1)
_SECTION_Y = -1.45
_YLIM = (-1.9, 1.9)


def figure(
    *,
    fps: Fraction,
    n_frames: int,
    audio: AudioAnalysis | None = None,
    plan: PromptPlan | None = None,
    curves: dict[str, np.ndarray] | None = None,
    offset: float = 0.0,
) -> Figure:
    """Build the sync plot: waveform, beats, lyric lines and curves on one time axis.

    The first row shows the waveform envelope, each beat as a short red tick in a band
    below it (the waveform stays readable however many beats a song has), the sections
    as bars below the ticks, and where each line's prompt starts; one row per curve
    follows, with the beats as faint lines behind the curve. Times are seconds from
    frame 0 (frame = seconds x fps).

    Parameters
    ----------
    fps : fractions.Fraction
        The shot's frames per second.
    n_frames : int
        Frames of the shot (the time axis ends at ``n_frames / fps`` seconds).
    audio : AudioAnalysis or None, optional
        The analysed song (waveform, beats, tempo), if any.
    plan : PromptPlan or None, optional
        The keyed prompts (lines, sections, gaps), if any.
    curves : dict[str, numpy.ndarray] or None, optional
        Setting name -> value per frame, each drawn in its own row.
    offset : float, optional
        Seconds of audio at frame 0 (default 0).

    Returns
    -------
    matplotlib.figure.Figure
        The figure (close it with ``matplotlib.pyplot.close``); the beats are the
        artists labelled ``"beats"``.

    Raises
    ------
    SyncDependencyError
        matplotlib is not installed.
    """
    require_module("matplotlib")
    import matplotlib

    matplotlib.use("Agg", force=True)
    import matplotlib.pyplot as plt

    curves = curves or {}
    rows = 1 + len(curves)
    fig, axes = plt.subplots(rows, 1, figsize=(14, 2.2 + 1.6 * rows), sharex=True, squeeze=False,
                             gridspec_kw={"height_ratios": [2.2] + [1.0] * len(curves)})
    axes = axes[:, 0]
    to_s = float(1 / fps)
    ax = axes[0]
    beat_s = np.asarray(audio.beat_frames, dtype=float) * to_s if audio is not None else np.zeros(0)
    if audio is not None:
        t, lo, hi = audio.envelope
        ax.fill_between(t - offset, lo, hi, color="0.45", lw=0, label="waveform", zorder=2)
        if beat_s.size:
            ax.vlines(beat_s, *_BEAT_BAND, color="tab:red", lw=0.8, label="beats", zorder=2)
    ax.set_ylim(*_YLIM)
    ax.set_yticks([-1, 0, 1])
    if plan is not None:
        _draw_plan(ax, plan, n_frames, to_s)
    ax.set_ylabel("audio")
    title = "chroma sync"
    if audio is not None:
        title += f": {Path(audio.path).name}, {audio.tempo:.1f} BPM, {len(audio.beat_frames)} beats"
    ax.set_title(title, fontsize=10, loc="left")
    if audio is not None:
        ax.legend(loc="lower right", bbox_to_anchor=(1.0, 1.0), fontsize=7, ncols=2, frameon=False, borderaxespad=0.1)
    seconds = np.arange(n_frames) * to_s
    for axc, (name, v) in zip(axes[1:], curves.items()):
        axc.plot(seconds[: v.size], v[:n_frames], color="tab:green", lw=1, zorder=3)
        axc.set_ylabel(name, fontsize=8)
        if beat_s.size:  # behind the curve, faint
            axc.vlines(beat_s, 0, 1, transform=axc.get_xaxis_transform(), color="tab:red", lw=0.4, alpha=0.2,
                       label="beats", zorder=1)
    axes[-1].set_xlabel(f"seconds (frame = seconds x {float(fps):g})")
    axes[-1].set_xlim(0, n_frames * to_s)
    fig.tight_layout()
    return fig


def _draw_plan(ax: Axes, plan: PromptPlan, n_frames: int, to_s: float) -> None:
    """Sections (bars at the bottom), gap prompts (dashed) and lyric lines (labelled) in the first row."""
    colours = ("tab:orange", "tab:olive", "tab:cyan", "tab:brown", "tab:pink")
    for i, (fa, fb, prompt) in enumerate(plan.sections):
        end = (fb if fb is not None else n_frames) * to_s
        c = colours[i % len(colours)]
        ax.fill_between([fa * to_s, end], _SECTION_Y - 0.06, _SECTION_Y + 0.06, color=c, alpha=0.7, lw=0)
        ax.text(fa * to_s, _SECTION_Y - 0.09, f"section: {prompt[:40]}", fontsize=7, color=c, va="top")
    placed = {f for _, f in plan.placed}
    for k, ps in plan.prompts.items():
        if k not in placed and k > 0:
            ax.axvline(k * to_s, color="tab:purple", lw=1, ls="--")
            ax.text(k * to_s, -0.75, ps[0][:28], rotation=20, fontsize=7, color="tab:purple", va="bottom")
    for ln, f in plan.placed:
        x = f * to_s
        ax.axvline(x, color="tab:blue", lw=1.2)
        ax.text(x, 1.02, f"#{ln.number} {ln.text[:24]}", rotation=20, fontsize=7, va="bottom", ha="left",
                color="tab:blue", clip_on=True)
