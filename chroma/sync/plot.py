"""One figure: waveform, beats, lyric lines and the generated curves on one time axis."""

from __future__ import annotations

from fractions import Fraction
from pathlib import Path

import numpy as np

from chroma.sync.audio import AudioAnalysis
from chroma.sync.errors import require_module
from chroma.sync.lyrics import PromptPlan


def plot(
    path: str | Path,
    *,
    fps: Fraction,
    n_frames: int,
    audio: AudioAnalysis | None = None,
    plan: PromptPlan | None = None,
    curves: dict[str, np.ndarray] | None = None,
    offset: float = 0.0,
) -> None:
    """Draw the waveform with beats, lyric lines and the generated curves on one time axis.

    A PNG through matplotlib's Agg backend: the first row shows the waveform envelope,
    beats, sections and where each line's prompt starts; one row per curve follows.
    Times are seconds from frame 0 (frame = seconds x fps).

    Parameters
    ----------
    path : str or pathlib.Path
        The PNG to write.
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
    if audio is not None:
        t, lo, hi = audio.envelope
        ax.fill_between(t - offset, lo, hi, color="0.55", lw=0, label="waveform")
        for i, b in enumerate(audio.beat_frames):
            ax.axvline(b * to_s, color="tab:red", lw=0.6, alpha=0.7, label="beats" if i == 0 else None)
    ax.set_ylim(-1.05, 1.9)
    if plan is not None:
        colours = ("tab:orange", "tab:olive", "tab:cyan", "tab:brown", "tab:pink")
        for i, (fa, fb, prompt) in enumerate(plan.sections):
            end = (fb if fb is not None else n_frames) * to_s
            c = colours[i % len(colours)]
            ax.axvspan(fa * to_s, end, ymin=0.0, ymax=0.03, color=c, alpha=0.7)
            ax.text(fa * to_s, -0.95, f"section: {prompt[:40]}", fontsize=7, color=c, va="bottom")
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
    ax.set_ylabel("audio")
    title = "chroma sync"
    if audio is not None:
        title += f": {Path(audio.path).name}, {audio.tempo:.1f} BPM, {len(audio.beat_frames)} beats"
    ax.set_title(title, fontsize=10, loc="left")
    if audio is not None and len(audio.beat_frames):
        ax.legend(loc="lower right", fontsize=7)
    seconds = np.arange(n_frames) * to_s
    for axc, (name, v) in zip(axes[1:], curves.items()):
        axc.plot(seconds[: v.size], v[:n_frames], color="tab:green", lw=1)
        axc.set_ylabel(name, fontsize=8)
        if audio is not None:
            for b in audio.beat_frames:
                axc.axvline(b * to_s, color="tab:red", lw=0.4, alpha=0.35)
    axes[-1].set_xlabel(f"seconds (frame = seconds x {float(fps):g})")
    axes[-1].set_xlim(0, n_frames * to_s)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)
