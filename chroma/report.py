"""The shot report: a contact sheet, plots over frames and an MP4 preview of a rendered shot.

``chroma shot report OUT_FOLDER`` reads what ``chroma render SHOT.toml`` left in the
output folder -- the EXR sequence and its sRGB previews, the state folder's
``log.jsonl`` (one line per rendered frame: seconds, CLIP loss, the collapse guard's
measures, the coherence drift) and the frames' own metadata -- and writes, in
``OUT_FOLDER/report/``:

- ``<stem>.contact.png``: every Nth frame, labelled with its frame number and prompt,
  through the same display view as the previews;
- ``<stem>.plots.png``: the guard's measures over the frames (as fractions of the early
  frames', with the ratios that fire it and the frames where it fired), the palette
  drift, the CLIP loss and the seconds per frame;
- ``<stem>.mp4``: an H.264 preview (PyAV, whose wheels carry FFmpeg) at the shot's fps,
  with the shot's ``[audio]`` track from its ``offset`` when it has one (AAC);
- ``<stem>.report.json``: the numbers behind the plots.

Plots use matplotlib (Agg). Both come with ``pip install "chroma-vfx[report]"``.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import re
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Iterable, Sequence

import numpy as np

from chroma.errors import ChromaError, ChromaIOError

if TYPE_CHECKING:
    from chroma.shot import Shot

__all__ = ["ShotOutput", "find_outputs", "read_log", "frame_table", "fit_label", "contact_sheet", "plot_frames", "write_mp4",
           "build_report", "ReportFiles"]

MEASURES = ("lightness", "chroma", "detail")


@dataclass
class ShotOutput:
    """One shot's outputs in a folder: the state folder, the sequence and its frames.

    Attributes
    ----------
    stem : str
        The shot's output name (``sh010`` for ``sh010.state``).
    folder : pathlib.Path
        The output folder.
    state_dir : pathlib.Path
        The shot's state folder (``<stem>.state``, with ``log.jsonl``).
    pattern : str
        The EXR sequence, e.g. ``OUT/sh010.####.exr``.
    frames : list[int]
        File frame numbers on disk.
    shot : chroma.shot.Shot or None
        The shot, when its file is found.
    """

    stem: str
    folder: Path
    state_dir: Path
    pattern: str
    frames: list[int]
    shot: Shot | None = None

    def exr(self, frame: int) -> str:
        """Give the EXR file of a frame.

        Parameters
        ----------
        frame : int
            A file frame number.

        Returns
        -------
        str
            Its path.
        """
        from chroma import sequence

        return sequence.parse_pattern(self.pattern).path(frame)

    def preview(self, frame: int) -> str | None:
        """Give the sRGB preview of a frame (``preview/<name>.png`` or ``.jpg``).

        Parameters
        ----------
        frame : int
            A file frame number.

        Returns
        -------
        str or None
            Its path; None when the run wrote no preview.
        """
        for ext in ("png", "jpg"):
            p = self.folder / "preview" / f"{Path(self.exr(frame)).stem}.{ext}"
            if p.is_file():
                return str(p)
        return None


@dataclass
class ReportFiles:
    """What :func:`build_report` wrote for one shot.

    Attributes
    ----------
    contact : pathlib.Path or None
        The contact sheet (PNG).
    plots : pathlib.Path or None
        The plots over frames (PNG).
    video : pathlib.Path or None
        The MP4 preview; None without ``video``.
    data : pathlib.Path or None
        The numbers behind the plots (JSON).
    notes : list[str]
        Remarks (shot file not found, song missing).
    """

    contact: Path | None = None
    plots: Path | None = None
    video: Path | None = None
    data: Path | None = None
    notes: list[str] = field(default_factory=list)


def find_outputs(folder: str | os.PathLike, shot_path: str | None = None, config: str | os.PathLike | None = None) -> list[ShotOutput]:
    """Find the shots rendered into ``folder`` (one per ``<stem>.state`` folder).

    Each shot's file is ``shot_path`` if given, else the one its first frame's
    ``chroma/shot`` metadata names (left out when missing or invalid).

    Parameters
    ----------
    folder : str or os.PathLike
        The output folder of ``chroma render SHOT.toml``.
    shot_path : str or None, optional
        The shot file, when the frames do not name one (or name a moved one).
    config : str, os.PathLike or None, optional
        The OCIO config the shot is loaded with; None for chroma's default.

    Returns
    -------
    list[ShotOutput]
        The shots, by state folder name.

    Raises
    ------
    chroma.errors.ChromaIOError
        ``folder`` is not a folder, or no shot was rendered into it.
    """
    from chroma import sequence
    from chroma.shot import ShotError, load_shot

    root = Path(folder)
    if not root.is_dir():
        raise ChromaIOError(f"{str(root)!r} is not a folder; give the output folder of a shot (where its EXRs are)")
    out = []
    for state in sorted(root.glob("*.state")):
        stem = state.name[: -len(".state")]
        candidates = sorted(p for p in root.glob(f"{stem}.*.exr"))
        found = sequence.pattern_from_frame_path(str(candidates[0])) if candidates else None
        if not found:
            continue
        pat = found[0]
        seq = sequence.discover(pat)
        shot = None
        path = shot_path
        if path is None:
            meta = _header(pat.path(seq.frames[0]))
            path = meta.get("chroma/shot") or None
        if path and os.path.isfile(path):
            try:
                shot = load_shot(path, config=config)
            except ShotError:
                shot = None
        out.append(ShotOutput(stem, root, state, pat.text, seq.frames, shot))
    if not out:
        raise ChromaIOError(f"no shot rendered in {str(root)!r}: no <name>.state folder beside an EXR sequence "
                            "(chroma render SHOT.toml writes them)")
    return out


def _header(path: str) -> dict[str, Any]:
    """A frame's metadata without its pixels (OIIO reads the header only)."""
    import OpenImageIO as oiio

    from chroma.io import attribute_value

    inp = oiio.ImageInput.open(path)
    if inp is None:
        raise ChromaIOError(f"cannot open {path!r}: {oiio.geterror()}")
    try:
        return {a.name: attribute_value(a) for a in inp.spec().extra_attribs}
    finally:
        inp.close()


def read_log(state_dir: str | os.PathLike) -> dict[int, dict[str, Any]]:
    """Read a shot's ``log.jsonl`` by file frame.

    A frame rendered again (resume, ``--frames``) keeps its last line; a line cut by a
    kill is skipped.

    Parameters
    ----------
    state_dir : str or os.PathLike
        The shot's state folder.

    Returns
    -------
    dict[int, dict[str, Any]]
        File frame -> its log record (``seconds``, ``clip_loss``, ``guard``,
        ``coherence``...); empty when there is no log.
    """
    path = Path(state_dir) / "log.jsonl"
    out: dict[int, dict[str, Any]] = {}
    if not path.is_file():
        return out
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue  # a line cut by a kill
        out[int(rec["file_frame"])] = rec
    return out


def frame_table(output: ShotOutput, config: str | os.PathLike | None = None) -> dict[int, dict[str, Any]]:
    """Collect what is known of every frame on disk, from the log, else the frame's metadata.

    Parameters
    ----------
    output : ShotOutput
        The shot's outputs.
    config : str, os.PathLike or None, optional
        Unused (the headers need no colour management); kept for symmetry with the
        other readers.

    Returns
    -------
    dict[int, dict[str, Any]]
        File frame -> ``prompts`` (str), ``clip_loss`` (float or None), ``seconds``
        (render time, s), ``guard`` and ``coherence`` (dicts or None), ``turbo`` (bool).
    """
    log = read_log(output.state_dir)
    table: dict[int, dict[str, Any]] = {}
    for f in output.frames:
        meta = _header(output.exr(f))
        rec = log.get(f, {})
        guard = rec.get("guard") or (json.loads(meta["chroma/guard"]) if meta.get("chroma/guard") else None)
        coherence = rec.get("coherence") or (json.loads(meta["chroma/coherence"]) if meta.get("chroma/coherence")
                                             else None)
        loss = rec.get("clip_loss", meta.get("chroma/clip_loss"))
        table[f] = {"prompts": str(meta.get("chroma/prompts", "")), "clip_loss": None if loss is None else float(loss),
                    "seconds": rec.get("seconds"), "guard": guard, "coherence": coherence,
                    "turbo": bool(rec.get("turbo", int(meta.get("chroma/turbo", 0) or 0)))}
    return table


def _display(output: ShotOutput, frame: int, config: str | os.PathLike | None) -> np.ndarray:
    """A frame as display code values: its preview if there is one, else the EXR through
    the display view it was made with."""
    from chroma import io
    from chroma.guard import read_display

    pv = output.preview(frame)
    if pv:
        return np.clip(io.read(pv, config=config).rgb, 0.0, 1.0)
    return read_display(output.exr(frame), config=config)


def _pyplot():
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        raise ChromaError('the shot report needs matplotlib: pip install "chroma-vfx[report]"') from None
    return plt


def _save(fig: Any, path: Path) -> Path:
    from chroma.io import atomic_path

    with atomic_path(path) as tmp:
        fig.savefig(tmp, dpi=100)
    return path


def _finish(plt: Any, fig: Any, path: str | os.PathLike, title: str) -> Path:
    """Title, lay out, write atomically and close a figure."""
    if title:
        fig.suptitle(title, fontsize=9)
    fig.tight_layout()
    out = _save(fig, Path(path))
    plt.close(fig)
    return out


LABEL_POINTS = 7
"""Font size of the contact sheet's labels, in points."""
LABEL_LINES = 3
"""Lines a contact-sheet label may take; a longer one ends in an ellipsis."""
ELLIPSIS = "\u2026"


def fit_label(text: str, width: float, measure: Callable[[str], float], max_lines: int = LABEL_LINES) -> str:
    """Wrap a label into lines no wider than ``width``, ellipsising what does not fit.

    Words are kept whole where they fit on a line (runs of spaces inside a line are kept,
    so ``"1001  a prompt"`` keeps its two spaces); a word wider than a line is broken where
    it must. A text that needs more than ``max_lines`` lines is cut after the last
    character that fits on the last line, followed by an ellipsis.

    Parameters
    ----------
    text : str
        The label (newlines are line breaks).
    width : float
        The widest a line may be, in ``measure``'s units.
    measure : Callable[[str], float]
        The drawn width of one line of text (e.g. pixels, from the renderer).
    max_lines : int, optional
        The most lines (default :data:`LABEL_LINES`).

    Returns
    -------
    str
        The lines joined by newlines; every line measures at most ``width`` (a single
        character wider than ``width`` stays on a line of its own).
    """
    lines: list[str] = []
    for para in text.split("\n"):
        cur = ""
        for token in re.findall(r"\s+|\S+", para):
            if not cur and token.isspace():
                continue  # no line starts with spaces
            if measure(cur + token) <= width:
                cur += token
                continue
            if token.isspace():  # the break goes here
                lines.append(cur)
                cur = ""
                continue
            if cur:
                lines.append(cur.rstrip())
                cur = ""
            while measure(token) > width:  # a word wider than a line: break it
                cut = max(1, _longest_fit(token, width, measure))
                lines.append(token[:cut])
                token = token[cut:]
            cur = token
        lines.append(cur.rstrip())
    if len(lines) > max_lines:
        last = lines[max_lines - 1]
        while last and measure(last.rstrip() + ELLIPSIS) > width:
            last = last[:-1]
        lines = lines[:max_lines - 1] + [last.rstrip() + ELLIPSIS]
    return "\n".join(lines)


def _longest_fit(text: str, width: float, measure: Callable[[str], float]) -> int:
    """The length of the longest prefix of ``text`` that measures at most ``width`` (bisection)."""
    lo, hi = 0, len(text)
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if measure(text[:mid]) <= width:
            lo = mid
        else:
            hi = mid - 1
    return lo


def contact_sheet(tiles: Sequence[tuple[str, np.ndarray]], path: str | os.PathLike, columns: int = 6,
                  title: str = "") -> Path:
    """Draw a grid of labelled frames as a PNG.

    Each tile is a frame with its label above it, wrapped to the frame's width (at most
    :data:`LABEL_LINES` lines, then an ellipsis; :func:`fit_label` with the widths the
    renderer draws), so a label never runs into its neighbour's. Labels are drawn as they
    are (a ``$`` in a prompt is not TeX).

    Parameters
    ----------
    tiles : Sequence[tuple[str, numpy.ndarray]]
        (label, H x W x 3 display code values in [0, 1]) per tile; the first tile's
        shape sets every tile's aspect.
    path : str or os.PathLike
        The PNG to write (atomically).
    columns : int, optional
        Tiles per row (default 6).
    title : str, optional
        The figure's title.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    chroma.errors.ChromaError
        matplotlib is not installed.
    """
    from matplotlib.font_manager import FontProperties

    plt = _pyplot()
    n = max(1, len(tiles))
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    h, w = tiles[0][1].shape[:2] if tiles else (1, 1)
    gap, tile_w, dpi = 0.15, 2.4, 100                     # inches; the PNG's dots per inch
    img_w = tile_w - gap
    img_h = img_w * h / w
    label_h = LABEL_LINES * LABEL_POINTS * 1.45 / 72 + 0.06  # room for the lines above each frame
    head = 0.45 if title else gap
    fig_w, fig_h = cols * tile_w + gap, head + rows * (label_h + img_h + gap)
    fig = plt.figure(figsize=(fig_w, fig_h), dpi=dpi)
    renderer = fig.canvas.get_renderer()
    prop = FontProperties(size=LABEL_POINTS)

    def _measure(line: str) -> float:
        return float(renderer.get_text_width_height_descent(line, prop, ismath=False)[0]) if line else 0.0

    for k, (label, img) in enumerate(tiles):
        r, c = divmod(k, cols)
        top = fig_h - head - r * (label_h + img_h + gap) - label_h  # the frame's top edge, inches
        ax = fig.add_axes(((gap + c * tile_w) / fig_w, (top - img_h) / fig_h, img_w / fig_w, img_h / fig_h))
        ax.set_axis_off()
        ax.imshow(np.clip(img, 0, 1), aspect="auto",
                  interpolation="lanczos" if min(img.shape[:2]) > 128 else "nearest")
        ax.annotate(fit_label(label, img_w * dpi, _measure), (0, 1), xycoords="axes fraction",
                    xytext=(0, 2), textcoords="offset points", ha="left", va="bottom",
                    fontproperties=prop, linespacing=1.2, annotation_clip=False, parse_math=False)
    if title:
        fig.suptitle(title, fontsize=9, y=1 - 0.12 / fig_h, va="top")
    out = _save(fig, Path(path))
    plt.close(fig)
    return out


def plot_frames(table: dict[int, dict[str, Any]], path: str | os.PathLike, ratios: dict[str, float] | None = None,
                title: str = "") -> Path:
    """Plot the guard's measures, palette drift, CLIP loss and seconds per frame.

    Parameters
    ----------
    table : dict[int, dict[str, Any]]
        :func:`frame_table` of the shot.
    path : str or os.PathLike
        The PNG to write (atomically).
    ratios : dict[str, float] or None, optional
        The guard's firing ratios per measure, drawn as lines.
    title : str, optional
        The figure's title.

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    chroma.errors.ChromaError
        matplotlib is not installed.
    """
    plt = _pyplot()
    frames = sorted(table)
    x = np.array(frames)
    fig, axes = plt.subplots(4, 1, figsize=(9, 8.5), sharex=True)
    ax = axes[0]
    colours = {"lightness": "#1f6fb4", "chroma": "#c0392b", "detail": "#27ae60"}
    fired = [f for f in frames if (table[f]["guard"] or {}).get("fired")]
    renoised = [f for f in frames if (table[f]["guard"] or {}).get("renoise", 0) > 0]
    for m in MEASURES:
        y = np.array([np.nan if (table[f]["guard"] or {}).get(f"{m}_ratio") is None else table[f]["guard"][f"{m}_ratio"]
                      for f in frames], dtype=float)
        ax.plot(x, y, lw=1.5, color=colours[m], label=f"{m} spread" if m != "detail" else "detail")
        if ratios and ratios.get(m):
            ax.axhline(ratios[m], color=colours[m], lw=0.8, ls="--", alpha=0.6)
    for f in renoised:
        ax.axvspan(f - 0.5, f + 0.5, color="#f39c12", alpha=0.15, lw=0)
    for f in fired:
        ax.axvline(f, color="black", lw=1.0, ls=":")
    if fired:
        ax.plot(fired, [0.02] * len(fired), "v", color="black", label="guard fired")
    ax.set_ylabel("fraction of the\nearly frames'", fontsize=8)
    ax.set_ylim(bottom=0)
    ax.legend(fontsize=7, loc="upper right", ncol=4)
    ax.set_title("collapse guard (dashed: ratios that fire it; shaded: renoise)", fontsize=8, loc="left")

    ax = axes[1]
    drift = [(table[f]["coherence"] or {}).get("drift") for f in frames]
    after = [(table[f]["coherence"] or {}).get("drift_after") for f in frames]
    if any(d is not None for d in drift):
        ax.plot(x, [np.nan if d is None else d for d in drift], color="#8e44ad", lw=1.5, label="drawn")
        ax.plot(x, [np.nan if d is None else d for d in after], color="#2c3e50", lw=1.2, ls="--", label="after coherence")
        ax.set_title("palette drift: OKLab mean distance to the coherence reference", fontsize=8, loc="left")
        ax.legend(fontsize=7, loc="upper left")
    else:  # no coherence: the drift of the OKLab mean from the first frame, from the guard's measures
        means = [((table[f]["guard"] or {}).get("mean_L"), (table[f]["guard"] or {}).get("mean_a"),
                  (table[f]["guard"] or {}).get("mean_b")) for f in frames]
        ok = [m for m in means if None not in m]
        if ok:
            ref = np.array(ok[0])
            ax.plot(x, [np.nan if None in m else float(np.linalg.norm(np.array(m) - ref)) for m in means],
                    color="#8e44ad", lw=1.5)
        ax.set_title("palette drift: OKLab mean distance to the first frame", fontsize=8, loc="left")
    ax.set_ylabel("deltaEOK", fontsize=8)

    ax = axes[2]
    ax.plot(x, [np.nan if table[f]["clip_loss"] is None else table[f]["clip_loss"] for f in frames], ".-",
            color="#16a085", lw=1.2)
    ax.set_ylabel("CLIP loss", fontsize=8)
    ax = axes[3]
    ax.bar(x, [table[f]["seconds"] or 0.0 for f in frames], color=["#bdc3c7" if table[f]["turbo"] else "#34495e"
                                                                    for f in frames])
    ax.set_ylabel("seconds", fontsize=8)
    ax.set_xlabel("frame (light bars: turbo frames)")
    for a in axes:
        a.grid(alpha=0.3)
        a.tick_params(labelsize=7)
    return _finish(plt, fig, path, title)


def _audio_samples(path: str, offset: float, duration: float, rate: int = 48000) -> np.ndarray:
    """The song from ``offset`` seconds for ``duration`` seconds, (2, n) float32 at ``rate``
    (silence before the song starts when the offset is negative, and after it ends)."""
    import av

    chunks = []
    with av.open(path) as src:
        stream = src.streams.audio[0]
        resampler = av.AudioResampler(format="fltp", layout="stereo", rate=rate)
        for frame in src.decode(stream):
            for r in resampler.resample(frame):
                chunks.append(r.to_ndarray())
        for r in resampler.resample(None):
            chunks.append(r.to_ndarray())
    song = np.concatenate(chunks, axis=1) if chunks else np.zeros((2, 0), np.float32)
    n = int(round(duration * rate))
    start = int(round(offset * rate))
    out = np.zeros((2, n), np.float32)
    lo, hi = max(start, 0), min(start + n, song.shape[1])
    if hi > lo:
        out[:, lo - start: hi - start] = song[:, lo:hi]
    return out


def write_mp4(frames: Iterable[np.ndarray], path: str | os.PathLike, fps: float | Fraction = 24,
              audio: tuple[str, float] | None = None, crf: int = 18) -> Path:
    """Encode display-referred frames as an H.264 MP4 (yuv420p) with PyAV.

    Frames are encoded one at a time as the iterable gives them (a long shot is never all
    in memory). Odd sizes are cropped by a pixel (H.264 4:2:0 needs even ones).

    Parameters
    ----------
    frames : Iterable[numpy.ndarray]
        H x W x 3 display code values in [0, 1], all the same size.
    path : str or os.PathLike
        The MP4 to write (atomically).
    fps : float or fractions.Fraction, optional
        Frames per second (default 24; 29.97 is taken as 30000/1001).
    audio : tuple[str, float] or None, optional
        ``(file, offset)``: the song from ``offset`` seconds (negative: silence first)
        as 48 kHz stereo AAC, as long as the frames.
    crf : int, optional
        The constant rate factor of libx264 (default 18; lower is better quality).

    Returns
    -------
    pathlib.Path
        The file written.

    Raises
    ------
    chroma.errors.ChromaError
        PyAV is not installed, or there are no frames.
    """
    try:
        import av
    except ImportError:
        raise ChromaError('the MP4 preview needs PyAV: pip install "chroma-vfx[report]"') from None
    rate = Fraction(fps).limit_denominator(1001)
    it = iter(frames)
    first = next(it, None)
    if first is None:
        raise ChromaError("no frames to write in the MP4")
    h, w = first.shape[:2]
    h2, w2 = h - h % 2, w - w % 2
    count = 0
    path = Path(path)
    from chroma.io import atomic_path

    with atomic_path(path) as tmp, av.open(str(tmp), "w") as out:
        vs = out.add_stream("libx264", rate=rate)
        vs.width, vs.height, vs.pix_fmt = w2, h2, "yuv420p"
        vs.options = {"crf": str(crf)}
        aus = None
        if audio is not None:
            aus = out.add_stream("aac", rate=48000)
            aus.layout = "stereo"
        for code in itertools.chain([first], it):
            count += 1
            rgb = (np.clip(code[:h2, :w2], 0, 1) * 255.0 + 0.5).astype(np.uint8)
            for packet in vs.encode(av.VideoFrame.from_ndarray(np.ascontiguousarray(rgb), format="rgb24")):
                out.mux(packet)
        for packet in vs.encode():
            out.mux(packet)
        if aus is not None and audio is not None:
            samples = _audio_samples(audio[0], audio[1], count / float(rate))
            step = 1024
            for i in range(0, samples.shape[1], step):
                af = av.AudioFrame.from_ndarray(np.ascontiguousarray(samples[:, i:i + step]), format="fltp",
                                                layout="stereo")
                af.sample_rate = 48000
                af.pts = i
                for packet in aus.encode(af):
                    out.mux(packet)
            for packet in aus.encode():
                out.mux(packet)
    return path


def build_report(folder: str | os.PathLike, out_dir: str | os.PathLike | None = None, *, every: int | None = None,
                 shot_path: str | None = None, video: bool = True, overwrite: bool = False,
                 config: str | os.PathLike | None = None) -> list[ReportFiles]:
    """Write the report of every shot rendered into ``folder`` (see the module docstring).

    Parameters
    ----------
    folder : str or os.PathLike
        The output folder of ``chroma render SHOT.toml``.
    out_dir : str, os.PathLike or None, optional
        Where to write; default ``FOLDER/report``.
    every : int or None, optional
        One frame in ``every`` on the contact sheet; default about 24 tiles (the last
        frame is always shown).
    shot_path : str or None, optional
        The shot file, when the frames do not name one.
    video : bool, optional
        Write the MP4 preview (default True).
    overwrite : bool, optional
        Replace an existing report (default False).
    config : str, os.PathLike or None, optional
        The OCIO config for the display view of frames without a preview.

    Returns
    -------
    list[ReportFiles]
        What was written, per shot.

    Raises
    ------
    chroma.errors.ChromaIOError
        No shot in ``folder``, or a report file exists without ``overwrite``.
    chroma.errors.ChromaError
        matplotlib or PyAV is not installed.
    """
    outputs = find_outputs(folder, shot_path, config)
    dest = Path(out_dir) if out_dir else Path(folder) / "report"
    results = []
    for o in outputs:
        names = {"contact": dest / f"{o.stem}.contact.png", "plots": dest / f"{o.stem}.plots.png",
                 "data": dest / f"{o.stem}.report.json"}
        if video:
            names["video"] = dest / f"{o.stem}.mp4"
        existing = [str(p) for p in names.values() if p.exists()]
        if existing and not overwrite:
            raise ChromaIOError(f"{existing[0]!r} exists; pass --overwrite to write the report again")
        dest.mkdir(parents=True, exist_ok=True)
        files = ReportFiles()
        shot = o.shot
        if shot is None:
            files.notes.append(f"{o.stem}: the shot file was not found (give --shot); 24 fps, no audio")
        table = frame_table(o, config)
        n = len(o.frames)
        step = every or max(1, math.ceil(n / 24))
        picked = o.frames[::step]
        if o.frames[-1] not in picked:
            picked.append(o.frames[-1])
        tiles = [(f"{f}  " + " ".join(table[f]["prompts"].split()), _display(o, f, config)) for f in picked]
        title = f"{o.stem}: {n} frames {o.frames[0]}-{o.frames[-1]}" + (f", one frame in {step}" if step > 1 else "")
        files.contact = contact_sheet(tiles, names["contact"], title=title)
        ratios = dict(shot.guard.ratios) if shot is not None and shot.guard is not None else None
        files.plots = plot_frames(table, names["plots"], ratios, title=f"{o.stem}: {n} frames")
        if video:
            fps = shot.output.fps if shot is not None else Fraction(24)
            audio = None
            if shot is not None and shot.audio:
                audio = (shot.resolve(shot.audio["file"]), float(shot.audio["offset"]))
                if not os.path.isfile(audio[0]):
                    files.notes.append(f"{o.stem}: the song {audio[0]!r} is missing; the preview has no sound")
                    audio = None
            files.video = write_mp4((_display(o, f, config) for f in o.frames), names["video"], fps, audio)
        fired = [f for f in o.frames if (table[f]["guard"] or {}).get("fired")]
        data = {"stem": o.stem, "frames": {str(f): table[f] for f in o.frames}, "fired_at": fired,
                "every": step, "contact": str(files.contact), "plots": str(files.plots),
                "video": str(files.video) if files.video else None}
        names["data"].write_text(json.dumps(data, indent=1, default=str), encoding="utf-8")
        files.data = names["data"]
        results.append(files)
    return results
