"""Synced lyrics (LRC, SRT) and their lines as keyframed prompts."""

from __future__ import annotations

import codecs
import re
import string
from dataclasses import dataclass, field
from datetime import timedelta
from fractions import Fraction
from pathlib import Path
from types import ModuleType
from typing import Sequence

from chroma.errors import ChromaIOError
from chroma.sync.errors import LyricsError, SyncError, require_module
from chroma.sync.frames import frame_at, parse_fps, parse_time


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
        """The song length from an ``[length: m:ss]`` tag, if any.

        Returns
        -------
        fractions.Fraction or None
            Seconds; None without the tag or when it is not a time.
        """
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
    text : str
        The file's contents.
    source : str, optional
        A name for messages (the file path); default none.

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
                times.append(int(minutes) * 60 + int(secs) + (Fraction(int(frac), 10 ** len(frac)) if frac else Fraction(0)))
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


def _seconds(td: timedelta) -> Fraction:
    """Exact seconds of a timedelta."""
    return Fraction(td.days * 86400 + td.seconds) + Fraction(td.microseconds, 10**6)


_SRT_CUE = "a subtitle is a number, a time line like '00:01:02,500 --> 00:01:04,000' and its words, then a blank line"
# a line that means to be an SRT time line: starts with h:m:s, or with digits and an arrow
_SRT_TIME_LIKE = re.compile(r"^\s*\d+\s*[:.,]\s*\d+\s*[:.,]\s*\d+|^\s*[\d:.,]+\s*-[ -]*>")
_SRT_ARROW = re.compile(r"\s*-[ -]\s*>\s*")


def _srt_time_lines(text: str, where: str, srt: ModuleType) -> list[tuple[int, str]]:
    """Check every line that means to be a time line: both times readable (by the ``srt``
    package's own reader), the end not before the start, and one after every subtitle
    number. Returns (line number, line)."""
    found = []
    lines = text.lstrip("\ufeff").splitlines()
    for n, line in enumerate(lines, start=1):
        after_blank = n == 1 or not lines[n - 2].strip()
        if after_blank and re.fullmatch(r"\s*\d+\s*", line) and n < len(lines) and \
                not _SRT_TIME_LIKE.match(lines[n]):
            raise LyricsError(f"{where}: line {n + 1}: subtitle {line.strip()} has no time line "
                              f"(found {lines[n].strip()!r}); {_SRT_CUE}")
        if not _SRT_TIME_LIKE.match(line):
            continue
        parts = _SRT_ARROW.split(line.strip(), maxsplit=1)
        try:
            if len(parts) != 2 or not parts[1].split():
                raise ValueError
            start = srt.srt_timestamp_to_timedelta(parts[0])
            end = srt.srt_timestamp_to_timedelta(parts[1].split()[0])
        except (ValueError, srt.TimestampParseError):
            raise LyricsError(f"{where}: line {n}: malformed time line {line.strip()!r}; write "
                              "'00:01:02,500 --> 00:01:04,000' (hours:minutes:seconds,milliseconds)") from None
        if end < start:
            raise LyricsError(f"{where}: line {n}: the subtitle ends ({parts[1].split()[0]}) before it starts "
                              f"({parts[0]}); fix its time line")
        found.append((n, line.strip()))
    return found


def parse_srt(text: str, source: str = "") -> Lyrics:
    """Parse SRT subtitles with the ``srt`` package.

    Each subtitle is a line from its start to its end; a gap before the next subtitle
    ends it (as an empty LRC tag would). Subtitles are sorted by start time.

    Parameters
    ----------
    text : str
        The file's contents.
    source : str, optional
        A name for messages (the file path); default none.

    Returns
    -------
    Lyrics
        Lines in time order (``source_line`` is the subtitle's index); no tags.

    Raises
    ------
    LyricsError
        A malformed time line, a subtitle that ends before it starts, a time line inside
        a subtitle's words (a missing blank line), or anything the ``srt`` parser rejects;
        the message names the line.
    SyncDependencyError
        The ``srt`` package is not installed.

    References
    ----------
    SubRip (.srt) format, as the ``srt`` package reads it (https://srt.readthedocs.io).
    """
    srt = require_module("srt")
    where = source or "SRT"
    times = _srt_time_lines(text, where, srt)
    try:
        subs = list(srt.parse(text))
    except srt.SRTParseError as exc:
        n = text.count("\n", 0, exc.expected_start) + 1 + (exc.unmatched_content[:1] == "\n")
        bad = next((x for x in exc.unmatched_content.splitlines() if x.strip()), "")
        raise LyricsError(f"{where}: line {n}: cannot read the subtitle at {bad!r}; {_SRT_CUE}") from None
    except Exception as exc:  # anything else the srt package rejects
        raise LyricsError(f"{where}: cannot parse the subtitles ({exc}); {_SRT_CUE}") from None
    # a time line that srt took as words of the cue before it (no blank line, no number)
    for s in subs:
        for line in s.content.splitlines():
            if _SRT_TIME_LIKE.match(line):
                n = next((k for k, t in times if t == line.strip()), 0)
                raise LyricsError(f"{where}: line {n}: the time line {line.strip()!r} is inside the words of "
                                  f"subtitle {s.index}; {_SRT_CUE}")
    events: list[tuple[Fraction, str, int]] = []

    subs.sort(key=lambda s: s.start)
    for i, s in enumerate(subs):
        words = " ".join(s.content.split())
        start, end = _seconds(s.start), _seconds(s.end)
        events.append((start, words, s.index))
        nxt = _seconds(subs[i + 1].start) if i + 1 < len(subs) else None
        if words and (nxt is None or end < nxt):
            events.append((end, "", s.index))
    return _finish(events, {}, 0, source)


# byte-order marks, longest first (UTF-32's starts with UTF-16's)
_BOMS = ((codecs.BOM_UTF32_LE, "utf-32"), (codecs.BOM_UTF32_BE, "utf-32"), (codecs.BOM_UTF8, "utf-8-sig"),
         (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16"))


def _decode(data: bytes, where: str) -> str:
    """Text of a lyrics file: by its byte-order mark (UTF-8, UTF-16, UTF-32), else UTF-8, else Latin-1."""
    for bom, codec in _BOMS:
        if data.startswith(bom):
            try:
                return data.decode(codec)
            except UnicodeDecodeError as exc:
                raise LyricsError(f"{where}: starts with a {codec.upper()} byte-order mark but is not {codec.upper()} "
                                  f"(byte {exc.start}); save it as UTF-8") from None
    if b"\x00" in data:
        raise LyricsError(f"{where}: has NUL bytes, like UTF-16 without a byte-order mark; save it as UTF-8 "
                          "(or UTF-16 with a BOM)")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return data.decode("latin-1")


def read_lyrics(path: str | Path) -> Lyrics:
    """Read an ``.lrc`` or ``.srt`` file, in any encoding its byte-order mark names.

    UTF-8, UTF-16 or UTF-32 by the byte-order mark at its start (as Windows editors save
    them), else UTF-8, with Latin-1 as a fallback.

    The suffix decides; a file with another suffix is read as SRT when it starts like a
    subtitle (an index line, then ``hh:mm:ss,``), else as LRC.

    Parameters
    ----------
    path : str or pathlib.Path
        The lyrics file.

    Returns
    -------
    Lyrics
        As :func:`parse_lrc` or :func:`parse_srt` give it.

    Raises
    ------
    chroma.errors.ChromaIOError
        The file does not exist.
    LyricsError
        The file cannot be parsed (or decoded: NUL bytes without a byte-order mark).
    """
    p = Path(path)
    if not p.is_file():
        raise ChromaIOError(f"lyrics file {str(p)!r} does not exist")
    text = _decode(p.read_bytes(), str(p))
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
        """Give the section's time range.

        Parameters
        ----------
        lyrics : Lyrics
            The lines that ``first_line``/``last_line`` number.

        Returns
        -------
        start : fractions.Fraction
            Seconds of song where the section starts.
        end : fractions.Fraction or None
            Seconds where it ends; None to the end of the shot.

        Raises
        ------
        SyncError
            Line numbers outside the lyrics.
        """
        if self.first_line is None:
            return Fraction(self.start or 0), (None if self.end is None else Fraction(self.end))
        n = len(lyrics.lines)
        last = self.last_line if self.last_line is not None else self.first_line
        if not (1 <= self.first_line <= last <= n):
            raise SyncError(f"section lines #{self.first_line}-#{last} are not within the {n} lines (#1-#{n})")
        return lyrics.lines[self.first_line - 1].start, lyrics.lines[last - 1].end


def parse_section(spec: str) -> Section:
    """Read a ``--section`` option, ``"START-END=PROMPT"``.

    START/END are seconds (``12.5``), ``m:ss.xx`` times or ``#N`` line numbers; END may
    be empty (to the end): ``"#5-#8=blue and gold palette:0.5"``,
    ``"1:05-1:40=storm clouds"``.

    Parameters
    ----------
    spec : str
        The option's value.

    Returns
    -------
    Section
        With times (seconds) or line numbers set.

    Raises
    ------
    SyncError
        Malformed, or a time range that ends before it starts.
    """
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
    """Prompts keyed by frame, where each line landed, and notes for the summary.

    Attributes
    ----------
    prompts : dict[int, list[str]]
        Frame index -> the prompts (``"text:weight"`` strings) from that frame on.
    placed : list[tuple[LyricLine, int]]
        Each line and the frame its prompt starts at.
    notes : list[str]
        Remarks for the summary (collisions, hidden gaps, keys past the end).
    sections : list[tuple[int, int or None, str]]
        Each section's first frame, end frame (None: to the end) and prompt.
    """

    prompts: dict[int, list[str]]
    placed: list[tuple[LyricLine, int]]
    notes: list[str] = field(default_factory=list)
    sections: list[tuple[int, int | None, str]] = field(default_factory=list)


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
    fps: Fraction | str | float,
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
    lyrics : Lyrics
        From :func:`parse_lrc`, :func:`parse_srt` or :func:`read_lyrics`.
    fps : fractions.Fraction, str or float
        Frames per second, read by :func:`chroma.fps.parse_fps` (29.97 is 30000/1001).
    template : str, optional
        A Python format string (default ``"{line}"``); ``{line}``, ``{number}`` and the
        file's tags (``{artist}``/``{ar}``, ``{title}``/``{ti}``, ``{album}``/``{al}``,
        ``{author}``/``{au}``...).
    sections : Sequence[Section], optional
        Extra prompts per section (default none).
    gap_prompt : str or None, optional
        The prompt for instrumental gaps (default None: the previous line holds).
    gap_threshold : float, optional
        Seconds a gap must exceed to show ``gap_prompt`` (default 4).
    lead_in : int, optional
        Frames before a line is sung when its prompt starts (default 0; a frame needs
        time to morph).
    offset : fractions.Fraction or float, optional
        Seconds of audio at frame 0 (default 0).
    n_frames : int or None, optional
        Frames in the shot; keys at or after it are left out (with a note).
    song_end : fractions.Fraction, float or None, optional
        Seconds of song (for a gap after the last line); default the ``[length:]`` tag.

    Returns
    -------
    PromptPlan
        The keyed prompts, each line's frame, the sections' frame ranges and notes.

    Raises
    ------
    SyncError
        A negative ``lead_in``, an unknown template field, or a section outside the lines.

    References
    ----------
    LRC format (https://en.wikipedia.org/wiki/LRC_(file_format)); Disco Diffusion v5.x
    ``disco.py`` prompts keyed by frame (``text_prompts = {0: [...], 100: [...]}``).
    """
    fps = parse_fps(fps)
    if lead_in < 0:
        raise SyncError(f"lead-in must be 0 or more frames, got {lead_in}")
    notes: list[str] = []
    base, placed = _line_events(lyrics, fps, template, lead_in, offset)
    if gap_prompt is not None:
        song_end = lyrics.length if song_end is None else Fraction(song_end)
        base += _gap_events(lyrics, placed, fps, gap_prompt, gap_threshold, offset, song_end, notes)
    timeline = _timeline(base, notes)
    spans = _section_spans(sections, lyrics, fps, offset, lead_in)
    compact = _keyed_prompts(timeline, spans)
    for ln, f in placed:
        if f not in compact and timeline.get(f, ("", ""))[1] == f"line #{ln.number}":
            notes.append(f"line #{ln.number} keeps the prompt before it (no new key at frame {f})")
    if n_frames is not None:
        late = [k for k in compact if k >= n_frames]
        if late:
            notes.append(f"{len(late)} prompt key(s) at or after frame {n_frames} (the shot's end) left out")
        compact = {k: v for k, v in compact.items() if k < n_frames}
    return PromptPlan(compact, placed, notes, spans)


_Event = tuple[int, Fraction, str, str]  # (frame, time in the song, prompt text, label)


def _line_events(lyrics: Lyrics, fps: Fraction, template: str, lead_in: int,
                 offset: Fraction | float) -> tuple[list[_Event], list[tuple[LyricLine, int]]]:
    """Each line's prompt from its frame (``lead_in`` early, not below 0), and each line's frame."""
    fields = _fields(lyrics)
    base: list[_Event] = []
    placed: list[tuple[LyricLine, int]] = []
    for ln in lyrics.lines:
        text = _as_prompt(_format(template, {**fields, "line": ln.text, "number": str(ln.number)}), template)
        f = max(frame_at(ln.start, fps, offset) - lead_in, 0)
        placed.append((ln, f))
        base.append((f, ln.start, text, f"line #{ln.number}"))
    return base, placed


def _gap_events(lyrics: Lyrics, placed: list[tuple[LyricLine, int]], fps: Fraction, gap_prompt: str,
                gap_threshold: float, offset: Fraction | float, song_end: Fraction | None,
                notes: list[str]) -> list[_Event]:
    """The gap prompt for a long intro and for each pause longer than ``gap_threshold`` seconds."""
    lines = lyrics.lines
    gap = " ".join(gap_prompt.split())
    out: list[_Event] = []
    if lines[0].start - Fraction(offset) > Fraction(gap_threshold):
        out.append((0, Fraction(offset), gap, "intro"))
    for i, ln in enumerate(lines):
        nxt = lines[i + 1].start if i + 1 < len(lines) else song_end
        if ln.end is None or nxt is None or nxt - ln.end <= Fraction(gap_threshold):
            continue
        f = frame_at(ln.end, fps, offset)
        next_key = placed[i + 1][1] if i + 1 < len(lines) else None
        if next_key is not None and f >= next_key:
            notes.append(f"the gap after line #{ln.number} is hidden by the lead-in of line #{ln.number + 1}")
        elif f > 0:
            out.append((f, ln.end, gap, f"gap after line #{ln.number}"))
    return out


def _timeline(base: list[_Event], notes: list[str]) -> dict[int, tuple[str, str]]:
    """Frame -> (prompt, label); at equal frames the later event in the song wins; frame 0 always keyed."""
    timeline: dict[int, tuple[str, str]] = {}
    for f, _, text, label in sorted(base, key=lambda e: (e[0], e[1])):
        if f in timeline and timeline[f][1] != label:
            notes.append(f"{timeline[f][1]} and {label} both start at frame {f}: {label} is kept")
        timeline[f] = (text, label)
    if 0 not in timeline:
        first = min(timeline)
        timeline[0] = timeline.pop(first)
    return timeline


def _section_spans(sections: Sequence[Section], lyrics: Lyrics, fps: Fraction, offset: Fraction | float,
                   lead_in: int) -> list[tuple[int, int | None, str]]:
    """Each section's (first frame, end frame or None, prompt); line sections move with their lines' lead-in."""
    spans = []
    for s in sections:
        a, b = s.span(lyrics)
        shift = lead_in if s.first_line is not None else 0
        fa = max(frame_at(a, fps, offset) - shift, 0)
        fb = None if b is None else frame_at(b, fps, offset) - shift
        spans.append((fa, fb, " ".join(s.prompt.split())))
    return spans


def _keyed_prompts(timeline: dict[int, tuple[str, str]],
                   spans: list[tuple[int, int | None, str]]) -> dict[int, list[str]]:
    """The prompts at every key (line prompt plus the sections playing), without keys that change nothing."""
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
    compact: dict[int, list[str]] = {}
    prev = None
    for k in sorted(prompts):
        if prompts[k] != prev:
            compact[k] = prompts[k]
        prev = prompts[k]
    return compact
