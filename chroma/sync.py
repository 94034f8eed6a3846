"""Music to keyframes: synced lyrics (LRC, SRT) and audio (beats, loudness) -> a shot.

The pieces are pure functions over small dataclasses; ``chroma sync`` (``chroma/cli/sync.py``)
strings them together. Optional packages (the ``sync`` extra: librosa, soundfile, srt,
tomlkit, matplotlib) are imported inside the functions that need them, so ``import
chroma`` stays light.

Times and frames
----------------
A time ``t`` (seconds of song) lands on the shot's frame index (0 = the shot's first
frame, as in the shot's ``[prompts]`` table)::

    frame = round((t - offset) * fps)        halves round up: floor(x + 1/2)

with ``offset`` the seconds of audio at frame 0 (the shot's ``[audio] offset``). The
arithmetic is exact (``fractions.Fraction``): LRC and SRT times are decimal, and fps is a
fraction, so 29.97 means 30000/1001 (also 23.976, 47.952, 59.94, 119.88 -> N*1000/1001).

LRC
---
``[mm:ss]``, ``[mm:ss.xx]`` and ``[mm:ss.xxx]`` tags at the start of a line (several tags
give the same text at several times); metadata tags ``[ar:]``, ``[ti:]``, ``[al:]``,
``[au:]``, ``[by:]``, ``[length:]`` ...; ``[offset:+/-ms]`` with the LRC meaning: *a
positive offset makes the lyrics appear sooner*, so a tag at ``t`` is sung at
``t - offset/1000`` (https://en.wikipedia.org/wiki/LRC_(file_format)). A time tag with no
text ends the previous line (an instrumental gap). Lines may come in any order; they are
sorted by time. Enhanced-LRC word tags ``<mm:ss.xx>`` inside a line are removed. Lines
without a leading ``[`` are ignored, as players do. Malformed tags raise
:class:`LyricsError` naming the line.

Schedules
---------
Curves are per-frame arrays; :func:`to_keyframes` writes them as Disco Diffusion keyframe
strings ``"0: (1.0), 12: (1.05), ..."`` keeping only the frames where the curve bends
(within ``tolerance``), so DD's Linear interpolation between the keys gives back the curve
at every frame.
"""

from __future__ import annotations

import math
import re
import string
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Iterable, Sequence

import numpy as np

from chroma.errors import ChromaError, ChromaIOError, ChromaValueError

__all__ = [
    "SyncError", "LyricsError", "AudioError", "SyncDependencyError",
    "LyricLine", "Lyrics", "Section", "PromptPlan", "AudioAnalysis",
    "parse_fps", "parse_time", "frame_at", "parse_lrc", "parse_srt", "read_lyrics",
    "parse_section", "lyrics_to_prompts", "load_audio", "analyze_audio",
    "beat_pulses", "loudness_curve", "fold", "to_keyframes", "rest_value",
]

SYNC_EXTRA = "pip install 'chroma-vfx[sync]'"


class SyncError(ChromaError):
    """A user error in ``chroma sync`` (bad option, inconsistent shot)."""


class LyricsError(SyncError):
    """A lyrics file that cannot be read; the message names the line."""


class AudioError(SyncError):
    """An audio file that cannot be read or analysed."""


class SyncDependencyError(SyncError):
    """A package of the ``sync`` extra is not installed."""


def _need(module: str):
    """Import a package of the sync extra or say how to install it."""
    import importlib

    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise SyncDependencyError(
            f"chroma sync needs the Python package {module.split('.')[0]!r} (the 'sync' extra): {SYNC_EXTRA}"
        ) from exc


# ------------------------------------------------------------------------ time and frames

_NTSC = {"23.976": 24, "23.98": 24, "29.97": 30, "47.952": 48, "59.94": 60, "119.88": 120}


def parse_fps(value: str | float | int | Fraction) -> Fraction:
    """Frames per second as an exact fraction.

    ``"24"`` -> 24; ``"29.97"`` or ``29.97`` -> 30000/1001 (likewise 23.976, 47.952, 59.94,
    119.88: the NTSC rates N*1000/1001); ``"30000/1001"`` as written; other decimals as
    written (``"12.5"`` -> 25/2).

    Raises
    ------
    ChromaValueError
        Not a positive number.
    """
    if isinstance(value, Fraction):
        fps = value
    else:
        text = str(value).strip()
        if isinstance(value, float) and not value.is_integer():
            text = f"{value:.6g}"
        try:
            if text in _NTSC:
                fps = Fraction(_NTSC[text] * 1000, 1001)
            else:
                fps = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ChromaValueError(f"fps {value!r} is not a number; give e.g. 24, 25, 29.97 or 30000/1001") from None
    if fps <= 0:
        raise ChromaValueError(f"fps must be positive, got {value!r}")
    return fps


def frame_at(seconds: Fraction | float | str, fps: Fraction, offset: Fraction | float | str = 0) -> int:
    """Frame index of a time: ``floor((seconds - offset) * fps + 1/2)`` (halves round up).

    Parameters
    ----------
    seconds : time in the song, seconds (a float is taken at its exact binary value).
    fps : frames per second (see :func:`parse_fps`).
    offset : seconds of audio at frame 0.
    """
    x = (Fraction(seconds) - Fraction(offset)) * Fraction(fps)
    return math.floor(x + Fraction(1, 2))


_CLOCK = re.compile(r"^(?:(\d+):)?(\d+):(\d{1,2}(?:\.\d+)?)$|^(\d+(?:\.\d+)?)$")


def parse_time(text: str) -> Fraction:
    """Seconds from ``"83.45"``, ``"1:23.45"`` or ``"0:01:23.45"`` (exact).

    Raises
    ------
    SyncError
        Not a time.
    """
    m = _CLOCK.match(text.strip())
    if not m:
        raise SyncError(f"{text!r} is not a time; write seconds (83.45) or minutes:seconds (1:23.45)")
    if m.group(4) is not None:
        return Fraction(m.group(4))
    hours = int(m.group(1) or 0)
    return hours * 3600 + int(m.group(2)) * 60 + Fraction(m.group(3))


def _clock(seconds: Fraction | float) -> str:
    s = float(seconds)
    sign = "-" if s < 0 else ""
    m, r = divmod(abs(s), 60)
    return f"{sign}{int(m):02d}:{r:05.2f}"


# ----------------------------------------------------------------------------- lyrics


@dataclass(frozen=True)
class LyricLine:
    """One sung line.

    Attributes
    ----------
    start : seconds in the song when it is sung (the file's offset applied).
    end : seconds when it ends (the next line or an empty time tag), None for the last one.
    text : the words.
    number : 1-based position in time order (what the summary prints, what sections use).
    source_line : line of the file it came from (1-based; 0 for SRT).
    """

    start: Fraction
    end: Fraction | None
    text: str
    number: int
    source_line: int = 0


@dataclass
class Lyrics:
    """Lines in time order and the file's metadata tags (lower-case keys, e.g. ``ar``, ``ti``)."""

    lines: list[LyricLine]
    tags: dict[str, str] = field(default_factory=dict)
    offset_ms: int = 0
    source: str = ""

    @property
    def length(self) -> Fraction | None:
        """The song length from an ``[length: m:ss]`` tag, if any."""
        value = self.tags.get("length", "").strip()
        if not value:
            return None
        try:
            return parse_time(value)
        except SyncError:
            return None


_TIME_TAG = re.compile(r"^(\d+):(\d{1,2})(?:\.(\d{1,3}))?$")
_META_KEY = re.compile(r"^[A-Za-z#][A-Za-z0-9_#-]*$")
_WORD_TAG = re.compile(r"<\d+:\d{1,2}(?:\.\d{1,3})?>")
_KNOWN_META = {"ar", "ti", "al", "au", "by", "offset", "length", "re", "ve", "tool", "lr", "la", "lang", "#", "id", "key"}


def _finish(events: list[tuple[Fraction, str, int]], tags: dict[str, str], offset_ms: int, source: str) -> Lyrics:
    """Sort timed events (empty text = end of the previous line) into lines."""
    events.sort(key=lambda e: (e[0], e[2]))
    lines: list[LyricLine] = []
    starts = [e[0] for e in events]
    for i, (t, text, src) in enumerate(events):
        if not text:
            continue
        end = next((s for s in starts[i + 1:] if s > t), None)
        lines.append(LyricLine(t, end, text, len(lines) + 1, src))
    if not lines:
        raise LyricsError(f"{source or 'the lyrics'}: no timed lines found (LRC lines look like '[00:12.00]words')")
    return Lyrics(lines, tags, offset_ms, source)


def parse_lrc(text: str, source: str = "") -> Lyrics:
    """Parse LRC text (see the module docstring for what is accepted).

    Parameters
    ----------
    text : the file's contents.
    source : a name for messages (the file path).

    Returns
    -------
    Lyrics
        Lines sorted by time with the offset applied (``t - offset/1000`` s).

    Raises
    ------
    LyricsError
        A malformed tag (``[1:2:3]``, letters in ``[mm:ss]``, an unclosed bracket, a tag
        without a colon, a bad offset), naming its line.

    References
    ----------
    https://en.wikipedia.org/wiki/LRC_(file_format)
    """
    where = f"{source}: " if source else ""
    raw_events: list[tuple[Fraction, str, int]] = []
    tags: dict[str, str] = {}
    offset_ms = 0
    for n, line in enumerate(text.lstrip("\ufeff").splitlines(), start=1):
        rest = line.strip()
        if not rest.startswith("["):
            continue
        times: list[Fraction] = []
        while rest.startswith("["):
            close = rest.find("]")
            if close < 0:
                if times and not re.match(r"^\[\s*\d", rest):
                    break  # a bracket in the words
                raise LyricsError(f"{where}line {n}: unclosed '[' in {line.strip()!r}; a tag looks like [01:23.45]")
            body = rest[1:close].strip()
            key, sep, value = body.partition(":")
            tm = _TIME_TAG.match(body)
            if tm:
                minutes, secs, frac = tm.groups()
                if int(secs) >= 60:
                    raise LyricsError(f"{where}line {n}: [{body}] has {secs} seconds; seconds go to 59")
                times.append(int(minutes) * 60 + int(secs) + (Fraction(int(frac), 10 ** len(frac)) if frac else 0))
            elif times and not (sep and re.match(r"^\d", body)):
                break  # after the time tags, brackets that are no time tag belong to the words
            elif sep and _META_KEY.match(key.strip()) and not (
                key.strip().lower() not in _KNOWN_META and re.match(r"^[\d.:]+$", value.strip())
            ):
                k = key.strip().lower()
                tags[k] = value.strip()
                if k == "offset":
                    try:
                        offset_ms = int(value.strip().replace(" ", ""))
                    except ValueError:
                        raise LyricsError(
                            f"{where}line {n}: [offset:{value}] is not a whole number of milliseconds (e.g. [offset:+250])"
                        ) from None
            elif not sep:
                raise LyricsError(
                    f"{where}line {n}: [{body}] is not an LRC tag (time tags look like [01:23.45], metadata like [ar:Artist])"
                )
            else:
                raise LyricsError(
                    f"{where}line {n}: malformed time tag [{body}]; write [mm:ss], [mm:ss.xx] or [mm:ss.xxx] with digits only"
                )
            rest = rest[close + 1:].lstrip()
        if times:
            words = " ".join(_WORD_TAG.sub("", rest).split())
            raw_events += [(t, words, n) for t in times]
    shift = Fraction(offset_ms, 1000)
    events = [(t - shift, w, n) for t, w, n in raw_events]
    return _finish(events, tags, offset_ms, source)


def parse_srt(text: str, source: str = "") -> Lyrics:
    """Parse SRT subtitles with the ``srt`` package: each subtitle is a line from its
    start to its end; a gap before the next subtitle ends it (as an empty LRC tag would).

    Raises
    ------
    LyricsError
        The ``srt`` parser rejects the file.
    """
    srt = _need("srt")
    try:
        subs = list(srt.parse(text))
    except Exception as exc:  # srt.SRTParseError and friends
        raise LyricsError(f"{source or 'SRT'}: cannot parse the subtitles ({exc})") from None
    events: list[tuple[Fraction, str, int]] = []

    def sec(td) -> Fraction:
        return Fraction(td.days * 86400 + td.seconds) + Fraction(td.microseconds, 10**6)

    subs.sort(key=lambda s: s.start)
    for i, s in enumerate(subs):
        words = " ".join(s.content.split())
        start, end = sec(s.start), sec(s.end)
        events.append((start, words, s.index))
        nxt = sec(subs[i + 1].start) if i + 1 < len(subs) else None
        if words and (nxt is None or end < nxt):
            events.append((end, "", s.index))
    return _finish(events, {}, 0, source)


def read_lyrics(path: str | Path) -> Lyrics:
    """Read an ``.lrc`` or ``.srt`` file (UTF-8, with or without BOM; Latin-1 as a fallback)."""
    p = Path(path)
    if not p.is_file():
        raise ChromaIOError(f"lyrics file {str(p)!r} does not exist")
    data = p.read_bytes()
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    if p.suffix.lower() == ".srt" or (p.suffix.lower() != ".lrc" and re.match(r"\s*\d+\s*\n\s*\d+:\d+:\d+,", text)):
        return parse_srt(text, str(p))
    return parse_lrc(text, str(p))


# ---------------------------------------------------------------------- lyrics -> prompts


@dataclass(frozen=True)
class Section:
    """An extra prompt added while a section plays.

    Give either times (``start``/``end`` in seconds, end None = to the end) or line
    numbers (``first_line``/``last_line``, 1-based inclusive, as the summary prints them;
    the section runs from the first line's start to the last line's end).
    """

    prompt: str
    start: Fraction | None = None
    end: Fraction | None = None
    first_line: int | None = None
    last_line: int | None = None

    def span(self, lyrics: Lyrics) -> tuple[Fraction, Fraction | None]:
        """The section's time range in seconds."""
        if self.first_line is None:
            return Fraction(self.start or 0), (None if self.end is None else Fraction(self.end))
        n = len(lyrics.lines)
        last = self.last_line if self.last_line is not None else self.first_line
        if not (1 <= self.first_line <= last <= n):
            raise SyncError(f"section lines #{self.first_line}-#{last} are not within the {n} lines (#1-#{n})")
        return lyrics.lines[self.first_line - 1].start, lyrics.lines[last - 1].end


def parse_section(spec: str) -> Section:
    """``"START-END=PROMPT"`` -> :class:`Section`. START/END are seconds (``12.5``),
    ``m:ss.xx`` times or ``#N`` line numbers; END may be empty (to the end):
    ``"#5-#8=blue and gold palette:0.5"``, ``"1:05-1:40=storm clouds"``."""
    span, sep, prompt = spec.partition("=")
    a, dash, b = span.partition("-")
    if not sep or not dash or not prompt.strip() or not a.strip():
        raise SyncError(f"section {spec!r}: write START-END=PROMPT, e.g. '#5-#8=blue and gold' or '65-100=storm clouds'")
    a, b = a.strip(), b.strip()
    if a.startswith("#") or b.startswith("#"):
        try:
            first, last = int(a.lstrip("#")), int(b.lstrip("#")) if b else None
        except ValueError:
            raise SyncError(f"section {spec!r}: line numbers are written #N, e.g. '#5-#8=...'") from None
        return Section(prompt.strip(), first_line=first, last_line=last)
    start, end = parse_time(a), (parse_time(b) if b else None)
    if end is not None and end <= start:
        raise SyncError(f"section {spec!r} ends before it starts")
    return Section(prompt.strip(), start=start, end=end)


_WEIGHT_TAIL = re.compile(r":\s*[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?\s*$")


@dataclass
class PromptPlan:
    """Keyed prompts (frame index -> list of ``"text:weight"`` strings), each line's frame,
    and notes for the summary."""

    prompts: dict[int, list[str]]
    placed: list[tuple[LyricLine, int]]
    notes: list[str] = field(default_factory=list)


def _fields(lyrics: Lyrics) -> dict[str, str]:
    t = lyrics.tags
    names = {"artist": "ar", "title": "ti", "album": "al", "author": "au"}
    out = {k: v for k, v in t.items() if k.isidentifier()}
    for long, short in names.items():
        out.setdefault(long, t.get(short, ""))
        out.setdefault(short, t.get(short, ""))
    return out


def _format(template: str, fields: dict[str, str]) -> str:
    used = [f for _, f, _, _ in string.Formatter().parse(template) if f is not None]
    missing = [f for f in used if f not in fields]
    if missing:
        raise SyncError(
            f"template field {{{missing[0]}}} is unknown; available: " + ", ".join("{" + k + "}" for k in sorted(fields))
        )
    try:
        text = template.format_map(fields)
    except (ValueError, IndexError, KeyError) as exc:
        raise SyncError(f"template {template!r} is malformed ({exc}); write e.g. '{{line}}, by {{artist}}'") from None
    return text


def _as_prompt(text: str, template: str = "{line}") -> str:
    """A lyric that happens to end in ':<number>' would be read as a weight: add ':1'
    (unless the template itself ends in a weight)."""
    text = " ".join(text.split())
    return f"{text}:1" if _WEIGHT_TAIL.search(text) and not _WEIGHT_TAIL.search(template) else text


def lyrics_to_prompts(
    lyrics: Lyrics,
    fps: Fraction,
    template: str = "{line}",
    *,
    sections: Sequence[Section] = (),
    gap_prompt: str | None = None,
    gap_threshold: float = 4.0,
    lead_in: int = 0,
    offset: Fraction | float = 0,
    n_frames: int | None = None,
    song_end: Fraction | float | None = None,
) -> PromptPlan:
    """Keyframed prompts from synced lyrics.

    Each line becomes ``template.format(line=..., number=..., artist=..., title=..., <tags>)``
    from frame ``frame_at(start, fps, offset) - lead_in`` (not below 0). Frames before the
    first line hold the first line's prompt, unless ``gap_prompt`` is given and the intro
    is longer than ``gap_threshold`` seconds. Likewise a pause between a line's end and
    the next line (or the song's end) longer than ``gap_threshold`` shows ``gap_prompt``
    from the line's end. A section's prompt is added to the prompts of the frames it
    covers (with keys where it starts and ends; a section given by line numbers starts
    and ends ``lead_in`` frames early with its lines). When two events land on one frame the
    later one wins (a note says so).

    Parameters
    ----------
    lyrics : from :func:`parse_lrc`, :func:`parse_srt` or :func:`read_lyrics`.
    fps : frames per second (:func:`parse_fps`).
    template : a Python format string; ``{line}``, ``{number}`` and the file's tags
        (``{artist}``/``{ar}``, ``{title}``/``{ti}``, ``{album}``/``{al}``, ``{author}``/``{au}``...).
    sections : extra prompts per section.
    gap_prompt, gap_threshold : the prompt for instrumental gaps longer than the threshold (s).
    lead_in : frames before a line is sung when its prompt starts (a frame needs time to morph).
    offset : seconds of audio at frame 0.
    n_frames : frames in the shot; keys at or after it are left out (with a note).
    song_end : seconds of song (for a gap after the last line); default the ``[length:]`` tag.
    """
    fps = Fraction(fps)
    if lead_in < 0:
        raise SyncError(f"lead-in must be 0 or more frames, got {lead_in}")
    fields = _fields(lyrics)
    notes: list[str] = []
    base: list[tuple[int, Fraction, str, str]] = []  # (frame, time in the song, text, label)
    placed: list[tuple[LyricLine, int]] = []
    lines = lyrics.lines
    song_end = lyrics.length if song_end is None else Fraction(song_end)
    for ln in lines:
        text = _as_prompt(_format(template, {**fields, "line": ln.text, "number": str(ln.number)}), template)
        f = max(frame_at(ln.start, fps, offset) - lead_in, 0)
        placed.append((ln, f))
        base.append((f, ln.start, text, f"line #{ln.number}"))
    if gap_prompt is not None:
        gap = " ".join(gap_prompt.split())
        if lines[0].start - Fraction(offset) > Fraction(gap_threshold):
            base.append((0, Fraction(offset), gap, "intro"))
        for i, ln in enumerate(lines):
            nxt = lines[i + 1].start if i + 1 < len(lines) else song_end
            if ln.end is None or nxt is None or nxt - ln.end <= Fraction(gap_threshold):
                continue
            f = frame_at(ln.end, fps, offset)
            next_key = placed[i + 1][1] if i + 1 < len(lines) else None
            if next_key is not None and f >= next_key:
                notes.append(f"the gap after line #{ln.number} is hidden by the lead-in of line #{ln.number + 1}")
            elif f > 0:
                base.append((f, ln.end, gap, f"gap after line #{ln.number}"))
    # at equal frames the later event in the song wins
    timeline: dict[int, tuple[str, str]] = {}
    for f, _, text, label in sorted(base, key=lambda e: (e[0], e[1])):
        if f in timeline and timeline[f][1] != label:
            notes.append(f"{timeline[f][1]} and {label} both start at frame {f}: {label} is kept")
        timeline[f] = (text, label)
    if 0 not in timeline:
        first = min(timeline)
        timeline[0] = timeline.pop(first)
    # sections: extra prompts while they play
    spans = []
    for s in sections:
        a, b = s.span(lyrics)
        shift = lead_in if s.first_line is not None else 0  # line sections move with their lines
        fa = max(frame_at(a, fps, offset) - shift, 0)
        fb = None if b is None else frame_at(b, fps, offset) - shift
        spans.append((fa, fb, " ".join(s.prompt.split())))
    keys = sorted(set(timeline) | {fa for fa, _, _ in spans} | {fb for _, fb, _ in spans if fb is not None})
    prompts: dict[int, list[str]] = {}
    current: tuple[str, str] | None = None
    for k in keys:
        if k in timeline:
            current = timeline[k]
        if current is None:
            continue
        extra = [p for fa, fb, p in spans if fa <= k and (fb is None or k < fb)]
        prompts[k] = [current[0], *extra]
    # drop keys whose prompts do not change
    compact: dict[int, list[str]] = {}
    prev = None
    for k in sorted(prompts):
        if prompts[k] != prev:
            compact[k] = prompts[k]
        prev = prompts[k]
    for ln, f in placed:
        if f not in compact and timeline.get(f, ("", ""))[1] == f"line #{ln.number}":
            notes.append(f"line #{ln.number} keeps the prompt before it (no new key at frame {f})")
    if n_frames is not None:
        late = [k for k in compact if k >= n_frames]
        if late:
            notes.append(f"{len(late)} prompt key(s) at or after frame {n_frames} (the shot's end) left out")
        compact = {k: v for k, v in compact.items() if k < n_frames}
    return PromptPlan(compact, placed, notes)


# ------------------------------------------------------------------------------ audio


@dataclass
class AudioAnalysis:
    """What :func:`analyze_audio` finds, on the shot's frame grid.

    Attributes
    ----------
    path : the file.
    sample_rate : Hz of the file.
    duration : seconds of audio.
    fps, offset : the frame grid (frame i shows audio from ``offset + i/fps`` s).
    n_frames : frames that cover the audio after ``offset``: ``ceil((duration - offset) * fps)``.
    tempo : beats per minute (0 when no beats).
    beat_times : seconds of each beat.
    beat_frames : frame index of each beat (``frame_at``), only those inside the shot.
    loudness_db : per-frame RMS level, dB re amplitude 1 (full scale), shape (n_frames,).
    onset_times, onset_env : librosa's onset-strength envelope and its times (s).
    envelope : (times, min, max) of the waveform, decimated, for plots.
    notes : remarks for the summary (silence, no beats).
    """

    path: str
    sample_rate: int
    duration: float
    fps: Fraction
    offset: float
    n_frames: int
    tempo: float
    beat_times: np.ndarray
    beat_frames: np.ndarray
    loudness_db: np.ndarray
    onset_times: np.ndarray
    onset_env: np.ndarray
    envelope: tuple[np.ndarray, np.ndarray, np.ndarray]
    notes: list[str] = field(default_factory=list)


def load_audio(path: str | Path) -> tuple[np.ndarray, int]:
    """Read WAV, FLAC, OGG or MP3 as mono float32 in [-1, 1] and its sample rate.

    soundfile (libsndfile) first; librosa's loader (audioread/ffmpeg) for what it cannot read.
    """
    p = Path(path)
    if not p.is_file():
        raise ChromaIOError(f"audio file {str(p)!r} does not exist")
    sf = _need("soundfile")
    try:
        data, sr = sf.read(str(p), dtype="float32", always_2d=True)
        y = data.mean(axis=1)
    except Exception as first:
        librosa = _need("librosa")
        try:
            y, sr = librosa.load(str(p), sr=None, mono=True)
        except Exception:
            raise AudioError(f"cannot read audio {str(p)!r} ({first}); give a WAV, FLAC, OGG or MP3 file") from None
    if y.size == 0:
        raise AudioError(f"audio {str(p)!r} has no samples")
    return np.ascontiguousarray(y, dtype=np.float32), int(sr)


_ANALYSIS_SR = 22050
_HOP = 128  # 5.8 ms at 22050 Hz
_NFFT = 1024  # 46 ms windows: a click is placed ~10 ms late (2048: ~17 ms)


def _tempo(beat_times: np.ndarray) -> float:
    """BPM from the slope of beat time against beat number (numbers counted with the median
    interval, so a skipped beat does not bias it); beats more than 0.15 period off the
    line (the tracker's first beats may be) are left out of the fit."""
    ibi = float(np.median(np.diff(beat_times)))
    k = np.round((beat_times - beat_times[0]) / ibi)
    if k[-1] <= 0:
        return 60.0 / ibi
    fit = np.array([ibi, float(np.median(beat_times - k * ibi))])  # a robust first line
    for _ in range(3):
        keep = np.abs(np.polyval(fit, k) - beat_times) < 0.15 * ibi
        if keep.sum() < 2 or np.ptp(k[keep]) == 0:
            break
        fit = np.polyfit(k[keep], beat_times[keep], 1)
    return 60.0 / float(fit[0])


def analyze_audio(
    path: str | Path,
    fps: Fraction,
    offset: float = 0.0,
    *,
    silence_db: float = -80.0,
) -> AudioAnalysis:
    """Onset-strength envelope, beats, tempo and per-frame loudness at the shot's fps.

    The audio is resampled to 22050 Hz; librosa computes the onset-strength envelope
    (1024-sample windows, hop 128 samples = 5.8 ms; on click tracks the beats land 3-11 ms
    after the clicks, a quarter of a frame at 24 fps) and tracks beats on it (``librosa.beat.beat_track``,
    Ellis 2007) from a tempo prior that ``librosa.feature.tempo`` estimates on librosa's
    default grid (hop 512). The tempo reported is the slope of a least-squares line
    through the beat times against their beat numbers (:func:`_tempo`), finer than the
    tempogram's bins. Loudness per frame
    is the mean power of librosa's RMS frames whose centres fall in the frame's interval
    ``[offset + i/fps, offset + (i+1)/fps)``, in dB. Audio whose peak is below
    ``silence_db`` dBFS has no beats and a note says so.

    References
    ----------
    D. P. W. Ellis, "Beat Tracking by Dynamic Programming", J. New Music Research 36(1), 2007.
    """
    librosa = _need("librosa")
    fps = Fraction(fps)
    y, sr = load_audio(path)
    duration = Fraction(y.size, sr)
    n_frames = max(math.ceil((duration - Fraction(offset)) * fps), 0)
    if n_frames <= 0:
        raise AudioError(f"the offset {offset} s is past the end of {str(path)!r} ({float(duration):.2f} s)")
    notes: list[str] = []
    ya = librosa.resample(y, orig_sr=sr, target_sr=_ANALYSIS_SR, res_type="soxr_hq") if sr != _ANALYSIS_SR else y
    peak = float(np.max(np.abs(y)))
    env = librosa.onset.onset_strength(y=ya, sr=_ANALYSIS_SR, hop_length=_HOP, n_fft=_NFFT)
    onset_times = librosa.times_like(env, sr=_ANALYSIS_SR, hop_length=_HOP)
    beat_times = np.zeros(0)
    tempo = 0.0
    if peak <= 10 ** (silence_db / 20):
        notes.append(f"the audio is silent (peak {20 * np.log10(max(peak, 1e-12)):.0f} dBFS): no beats")
    else:
        # the tempo prior from librosa's default grid (hop 512): estimating it on the fine
        # envelope costs 20x more and gives the same beats
        coarse = librosa.onset.onset_strength(y=ya, sr=_ANALYSIS_SR, hop_length=512)
        est = float(np.atleast_1d(librosa.feature.tempo(onset_envelope=coarse, sr=_ANALYSIS_SR, hop_length=512))[0])
        if est > 0:
            _, beats = librosa.beat.beat_track(onset_envelope=env, sr=_ANALYSIS_SR, hop_length=_HOP, bpm=est, units="time")
            beat_times = np.asarray(beats, dtype=float)
        tempo = _tempo(beat_times) if beat_times.size >= 2 else (est if beat_times.size else 0.0)
        if beat_times.size == 0:
            notes.append("no beats found in the audio")
    frames = np.array([frame_at(t, fps, offset) for t in beat_times], dtype=int)
    inside = (frames >= 0) & (frames < n_frames)
    if (~inside).any():
        notes.append(f"{int((~inside).sum())} beat(s) outside the shot's frames left out")
    beat_frames = frames[inside]
    # loudness per frame: mean power of fine RMS frames in each frame's interval
    rms = librosa.feature.rms(y=ya, frame_length=_NFFT, hop_length=_HOP)[0]
    t_fine = librosa.times_like(rms, sr=_ANALYSIS_SR, hop_length=_HOP)
    power = rms.astype(np.float64) ** 2
    edges = float(offset) + np.arange(n_frames + 1) * float(1 / fps)
    idx = np.searchsorted(t_fine, edges)
    csum = np.concatenate([[0.0], np.cumsum(power)])
    counts = np.diff(idx)
    sums = csum[idx[1:]] - csum[idx[:-1]]
    centres = edges[:-1] + 0.5 * float(1 / fps)
    mean_power = np.where(counts > 0, sums / np.maximum(counts, 1), np.interp(centres, t_fine, power))
    loudness_db = 10 * np.log10(mean_power + 1e-12)
    # decimated waveform envelope for plots
    step = max(y.size // 4000, 1)
    m = y[: (y.size // step) * step].reshape(-1, step)
    envelope = (np.arange(m.shape[0]) * step / sr, m.min(axis=1), m.max(axis=1))
    return AudioAnalysis(
        str(path), sr, float(duration), fps, float(offset), n_frames, tempo, beat_times, beat_frames,
        loudness_db, onset_times, env, envelope, notes,
    )


# -------------------------------------------------------------------------- schedules

#: the value of an [animation] setting between beats when the shot does not give one:
#: the no-op for the camera (DD's zoom is a scale factor), DD's defaults for the others
_REST = {"zoom": 1.0, "fov": 40.0, "near_plane": 200.0, "far_plane": 10000.0, "frames_scale": 1500.0, "midas_weight": 0.3}


def rest_value(param: str, shot_value: object = None) -> float:
    """The value of a setting between beats (what a pulse rises from).

    A plain number the shot gives for it (``shot_value``, or a single key ``"0: (1.02)"``)
    wins; else, for an [animation]
    key, 1 for ``zoom``, Disco Diffusion's defaults for ``fov`` (40), ``near_plane`` (200),
    ``far_plane`` (10000), ``frames_scale`` (1500), ``midas_weight`` (0.3) and 0 for the
    other camera keys.

    Raises
    ------
    SyncError
        A ``render.NAME`` setting with no number in the shot (its default is the
        renderer's; give it with ``--rest`` or set it in the shot).
    """
    if isinstance(shot_value, (int, float)) and not isinstance(shot_value, bool):
        return float(shot_value)
    if isinstance(shot_value, str):  # a constant written as one DD key, "0: (1.02)"
        m = re.fullmatch(r"\s*0\s*:\s*\(\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*\)\s*", shot_value)
        if m:
            return float(m.group(1))
    table, key = setting_path(param)
    if table == "render":
        raise SyncError(
            f"{param} has no number in the shot to pulse from; give one with --rest {param}=VALUE "
            f"or set [render] {key} in the shot and use --merge-into"
        )
    return _REST.get(key, 0.0)


def beat_pulses(
    beat_frames: Iterable[int], n_frames: int, amount: float, attack: int = 2, decay: int = 6, rest: float = 0.0
) -> np.ndarray:
    """A pulse on every beat: ``rest`` at ``beat - attack``, ``rest + amount`` on the beat,
    back to ``rest`` at ``beat + decay`` (straight lines in frames, so DD's Linear
    keyframes reproduce it exactly); overlapping pulses take the larger value.

    Parameters
    ----------
    beat_frames : frame index of each beat.
    n_frames : length of the curve.
    amount : height of a pulse (in the setting's units; may be negative).
    attack, decay : frames of the rise and of the fall (0 = a jump).
    rest : the value between pulses.

    Returns
    -------
    numpy.ndarray, float64, shape (n_frames,)
    """
    if attack < 0 or decay < 0:
        raise SyncError(f"attack and decay are frame counts >= 0, got {attack} and {decay}")
    frames = np.arange(n_frames)
    pulse = np.zeros(n_frames)
    for b in beat_frames:
        b = int(b)
        up = np.where(frames <= b, (frames - (b - attack)) / attack if attack else (frames == b) * 1.0, 0.0)
        down = np.where(frames > b, 1.0 - (frames - b) / decay if decay else 0.0, 0.0)
        pulse = np.maximum(pulse, np.clip(np.maximum(up, down), 0.0, 1.0))
    return rest + amount * pulse


def loudness_curve(
    loudness_db: np.ndarray, low: float, high: float, smooth: int = 5, range_db: float = 40.0
) -> np.ndarray:
    """Map per-frame loudness into ``[low, high]``.

    The level (dB) is smoothed with a centred moving average of ``smooth`` frames (1 =
    none; at the ends the average is over the frames there are), then mapped linearly:
    the loudest smoothed frame -> ``high``, ``range_db`` dB below it -> ``low`` (quieter
    frames are clipped to ``low``). Silence (below -100 dB) gives ``low`` everywhere.
    """
    db = np.asarray(loudness_db, dtype=np.float64)
    if smooth < 1:
        raise SyncError(f"smoothing is a frame count >= 1, got {smooth}")
    if range_db <= 0:
        raise SyncError(f"the loudness range must be positive dB, got {range_db}")
    if db.size == 0 or float(db.max()) <= -100.0:
        return np.full(db.shape, float(low))
    if smooth > 1:
        kernel = np.ones(smooth)
        db = np.convolve(db, kernel, mode="same") / np.convolve(np.ones_like(db), kernel, mode="same")
    top = float(db.max())
    n = np.clip((db - (top - range_db)) / range_db, 0.0, 1.0)
    return low + (high - low) * n


def fold(curves: Sequence[np.ndarray], how: str = "add", rest: float = 0.0) -> np.ndarray:
    """Fold several curves for one setting into one.

    ``add``: the deviations from ``rest`` add up, ``rest + sum(c - rest)`` (for zoom,
    rest 1: a beat pulse of +0.05 on top of a loudness curve in [1, 1.02]);
    ``multiply``: the curves multiply, ``prod(c)`` (scale factors such as zoom).
    """
    if not curves:
        raise SyncError("nothing to fold")
    arr = np.stack([np.asarray(c, dtype=np.float64) for c in curves])
    if how == "add":
        return rest + (arr - rest).sum(axis=0)
    if how == "multiply":
        return arr.prod(axis=0)
    raise SyncError(f"fold {how!r}: choose add or multiply")


def _bends(values: np.ndarray, tolerance: float) -> list[int]:
    """Keys such that linear interpolation between them stays within ``tolerance`` of
    ``values`` at every frame (Ramer-Douglas-Peucker on the vertical distance)."""
    n = values.size
    if n <= 2:
        return list(range(n))
    keep = {0, n - 1}
    stack = [(0, n - 1)]
    while stack:
        i, j = stack.pop()
        if j - i < 2:
            continue
        x = np.arange(i + 1, j)
        line = values[i] + (values[j] - values[i]) * (x - i) / (j - i)
        dev = np.abs(values[i + 1:j] - line)
        k = int(np.argmax(dev))
        if dev[k] > tolerance:
            m = i + 1 + k
            keep.add(m)
            stack += [(i, m), (m, j)]
    return sorted(keep)


def _num(v: float, decimals: int) -> str:
    text = f"{round(v, decimals):.{decimals}f}".rstrip("0").rstrip(".")
    return "0" if text in ("-0", "") else text


def to_keyframes(values: np.ndarray, tolerance: float = 0.0, decimals: int = 6) -> str:
    """A per-frame curve as a Disco Diffusion keyframe string, ``"0: (1), 10: (1.05), ..."``.

    Only the frames where the curve bends are written: DD's Linear interpolation between
    the keys reproduces ``values`` at every frame within ``tolerance`` (plus the rounding
    to ``decimals`` places). ``tolerance=0`` keeps every bend (exact for piecewise-linear
    curves such as :func:`beat_pulses`).
    """
    v = np.asarray(values, dtype=np.float64)
    if v.ndim != 1 or v.size == 0:
        raise SyncError("a schedule needs at least one frame")
    if not np.isfinite(v).all():
        raise SyncError("a schedule has NaN or infinite values")
    if tolerance > 0:
        keys = _bends(v, float(tolerance))
    else:  # exactly the frames where the slope changes
        eps = 1e-12 * max(1.0, float(np.max(np.abs(v))))
        inner = np.nonzero(np.abs(np.diff(v, 2)) > eps)[0] + 1
        keys = sorted({0, v.size - 1, *inner.tolist()})
    return ", ".join(f"{k}: ({_num(v[k], decimals)})" for k in keys)


# ----------------------------------------------------------------------------- shot file

#: camera settings that act only in DD's 3D mode / only in 2D mode
_3D_ONLY = {"translation_z", "rotation_3d_x", "rotation_3d_y", "rotation_3d_z", "fov", "near_plane", "far_plane", "midas_weight"}
_2D_ONLY = {"angle", "zoom"}
#: schedulable keys of the shot's [animation] table (schema of issue 11)
ANIMATION_KEYS = _3D_ONLY | _2D_ONLY | {"translation_x", "translation_y", "frames_scale", "frames_skip_steps"}


def setting_path(param: str) -> tuple[str, str]:
    """``"zoom"`` -> ``("animation", "zoom")``; ``"render.clip_guidance_scale"`` -> ``("render", ...)``.

    Raises
    ------
    SyncError
        Not a schedulable camera key and no table given.
    """
    table, dot, key = param.rpartition(".")
    if not dot:
        if key not in ANIMATION_KEYS:
            from chroma.errors import closest

            hint = closest(key, ANIMATION_KEYS)
            raise SyncError(
                f"{key!r} is not a schedulable [animation] setting{'; ' + hint if hint else ''} "
                f"(a [render] setting is written render.NAME, e.g. render.clip_guidance_scale)"
            )
        return "animation", key
    if table not in ("animation", "render") or not key.isidentifier():
        raise SyncError(f"{param!r}: write NAME for an [animation] setting or render.NAME for a [render] one")
    return table, key


def _fps_value(fps: Fraction):
    return int(fps) if fps.denominator == 1 else f"{fps.numerator}/{fps.denominator}"


def _replace_table_keys(table, items: dict) -> None:
    """Put ``items`` in place of a tomlkit table's keys where the old keys stood; comments
    before the first and after the last old key stay (those between them go with the keys)."""
    import tomlkit
    from tomlkit.items import Null

    body = table.value.body
    pos = [i for i, (k, _) in enumerate(body) if k is not None]
    for k in list(table.keys()):
        del table[k]
    if not pos:
        for k, v in items.items():
            table.add(k, v)
        return
    for i in range(pos[0], pos[-1] + 1):
        if body[i][0] is None:
            body[i] = (None, Null())
    for j, (k, v) in enumerate(items.items()):
        table.value._insert_at(pos[0] + j, k, tomlkit.item(v))


def shot_text(
    existing: str | None,
    *,
    fps: Fraction,
    n_frames: int,
    prompts: dict[int, list[str]] | None = None,
    schedules: dict[str, str] | None = None,
    audio_file: str | None = None,
    audio_offset: float = 0.0,
    header: str = "",
    pattern: str = "out/shot.####.exr",
) -> tuple[str, list[str]]:
    """The shot file (schema of issue 11) with sync's keys, and notes for the summary.

    ``existing`` None writes a new shot: ``max_frames``, ``animation_mode`` (3D when a
    3D-only camera key is scheduled, else 2D), ``[output] pattern`` and ``fps``, the
    schedules, ``[prompts]`` and ``[audio]``. With ``existing`` text (``--merge-into``) only those keys change, with
    tomlkit so every other key, comment and blank line stays byte for byte: ``[prompts]``
    is replaced in place when lyrics are given, each scheduled key is set, ``[audio]``
    ``file``/``offset`` are set; ``max_frames`` and ``animation_mode`` are kept when present
    (a note says when they do not fit), and an ``[output] fps`` that differs from ``fps``
    is an error (the keys would land on other frames).

    Parameters
    ----------
    schedules : ``"zoom"`` or ``"render.NAME"`` -> a DD keyframe string.
    """
    tomlkit = _need("tomlkit")
    notes: list[str] = []
    schedules = dict(schedules or {})
    paths = {p: setting_path(p) for p in schedules}
    anim_keys = {k for t, k in paths.values() if t == "animation"}
    mode = "3D" if anim_keys & _3D_ONLY else ("2D" if anim_keys else None)
    if mode == "3D" and anim_keys & _2D_ONLY:
        notes.append(f"{', '.join(sorted(anim_keys & _2D_ONLY))} act(s) in 2D mode only; the shot is 3D")
    if existing is None:
        doc = tomlkit.document()
        if header:
            for line in header.splitlines():
                doc.add(tomlkit.comment(line))
        doc.add("max_frames", n_frames)
        if mode:
            doc.add("animation_mode", mode)
        out = tomlkit.table()
        out.add("pattern", pattern)
        out.add("fps", _fps_value(fps))
        doc.add("output", out)
        if not prompts:
            notes.append("no lyrics: add [prompts] to the shot (a shot needs prompts from frame 0), "
                         "or put these schedules into a shot that has them with --merge-into")
    else:
        try:
            doc = tomlkit.parse(existing)
        except Exception as exc:
            raise SyncError(f"the shot to merge into is not valid TOML ({exc})") from None
        if "max_frames" in doc:
            have = doc["max_frames"]
            if isinstance(have, int) and have != n_frames:
                notes.append(f"the shot keeps max_frames = {have} (the song covers {n_frames} frames)")
                n_frames = int(have)
        else:
            doc.add("max_frames", n_frames)
        if mode:
            have_mode = str(doc.get("animation_mode", "None"))
            if have_mode != mode and not (mode == "2D" and have_mode == "3D" and not anim_keys & _2D_ONLY):
                notes.append(f"the shot's animation_mode is {have_mode!r}; the scheduled camera keys act in {mode}")
        if "output" not in doc:
            out = tomlkit.table()
            out.add("fps", _fps_value(fps))
            doc.add("output", out)
        elif "fps" not in doc["output"]:
            doc["output"].add("fps", _fps_value(fps))
        else:
            have_fps = parse_fps(doc["output"]["fps"])
            if have_fps != fps:
                raise SyncError(
                    f"the shot's [output] fps is {doc['output']['fps']} but --fps is {float(fps):g}; "
                    "give the shot's fps so the keys land on its frames"
                )
    for p, text in schedules.items():
        table, key = paths[p]
        if table not in doc:
            doc.add(table, tomlkit.table())
        doc[table][key] = _clip_keys(text, n_frames)
    if prompts is not None:
        items = {str(k): v for k, v in sorted(prompts.items()) if k < n_frames}
        if "prompts" in doc and hasattr(doc["prompts"], "value") and hasattr(doc["prompts"].value, "body"):
            _replace_table_keys(doc["prompts"], items)
        else:
            t = tomlkit.table()
            for k, v in items.items():
                t.add(k, v)
            if "prompts" in doc:
                doc["prompts"] = t
            else:
                doc.add("prompts", t)
    if audio_file is not None:
        if "audio" not in doc:
            doc.add("audio", tomlkit.table())
        doc["audio"]["file"] = audio_file
        doc["audio"]["offset"] = float(audio_offset)
    return tomlkit.dumps(doc), notes


def _clip_keys(text: str, n_frames: int) -> str:
    """Keep keys below ``n_frames`` (the value at the last frame is already a key when the
    curve was made for at least that many frames)."""
    parts = [p for p in text.split(", ") if int(p.split(":", 1)[0]) < n_frames]
    return ", ".join(parts)


# -------------------------------------------------------------------------------- plot


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
    """Waveform with beats, lyric lines and the generated curves on one time axis (PNG, Agg)."""
    _need("matplotlib")
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
        placed = {f for _, f in plan.placed}
        for k, ps in plan.prompts.items():
            if k not in placed and k > 0:
                ax.axvline(k * to_s, color="tab:purple", lw=1, ls="--")
                ax.text(k * to_s, -1.0, ps[0][:28], rotation=30, fontsize=7, color="tab:purple", va="bottom")
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
    x = np.arange(n_frames) * to_s
    for axc, (name, v) in zip(axes[1:], curves.items()):
        axc.plot(x[: v.size], v[:n_frames], color="tab:green", lw=1)
        axc.set_ylabel(name, fontsize=8)
        if audio is not None:
            for b in audio.beat_frames:
                axc.axvline(b * to_s, color="tab:red", lw=0.4, alpha=0.35)
    axes[-1].set_xlabel(f"seconds (frame = seconds x {float(fps):g})")
    axes[-1].set_xlim(0, n_frames * to_s)
    fig.tight_layout()
    fig.savefig(str(path), dpi=110)
    plt.close(fig)
