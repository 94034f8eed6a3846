"""``chroma sync``: lyrics and beats to keyframes in a shot file."""

from __future__ import annotations

import argparse
import functools
import math
import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable

from chroma.cli._core import EXIT_OK, arguments, command

if TYPE_CHECKING:
    from fractions import Fraction

    import numpy as np

    from chroma.sync import AudioAnalysis, Lyrics, PromptPlan


def _sync_args(p: argparse.ArgumentParser) -> None:
    g = p.add_argument_group("inputs")
    g.add_argument("--lyrics", metavar="FILE", help="synced lyrics: .lrc or .srt")
    g.add_argument("--audio", metavar="FILE", help="the song: WAV, FLAC, OGG or MP3")
    g.add_argument("--fps", required=True, metavar="F", help="the shot's frame rate: 24, 25, 29.97 (= 30000/1001), 30000/1001...")
    g.add_argument("--offset", type=float, metavar="S",
                   help="seconds of audio at the shot's frame 0 (default 0, or the merged shot's [audio] offset)")
    g.add_argument("--frames", type=int, metavar="N",
                   help="frames in the shot (default: the audio's length, else the [length:] tag, else 4 s after the last line)")
    g = p.add_argument_group("lyrics to prompts")
    g.add_argument("--template", default="{line}", metavar="T",
                   help="prompt per line, e.g. '{line}, by {artist}, trending on artstation' ({line}, {number} and the file's tags)")
    g.add_argument("--section", action="append", default=[], metavar="START-END=PROMPT",
                   help="an extra prompt while a section plays: '#5-#8=blue and gold:0.5' (line numbers) or "
                        "'65-1:40=storm clouds' (seconds or m:ss); repeatable")
    g.add_argument("--gap-prompt", metavar="P", help="prompt for instrumental gaps (and an intro) longer than --gap-threshold")
    g.add_argument("--gap-threshold", type=float, default=4.0, metavar="S", help="seconds (default 4)")
    g.add_argument("--lead-in", type=int, default=0, metavar="N", help="start each line's prompt N frames before it is sung (default 0)")
    g = p.add_argument_group("audio to schedules")
    g.add_argument("--beats-to", action="append", default=[], metavar="PARAM:AMOUNT[:ATTACK:DECAY]",
                   help="a pulse of AMOUNT on every beat, rising over ATTACK frames and falling over DECAY (default 2 and 6); "
                        "e.g. zoom:0.05 or translation_z:4:0:8; repeatable")
    g.add_argument("--loudness-to", action="append", default=[], metavar="PARAM:LOW:HIGH",
                   help="the setting follows the loudness, LOW when quiet to HIGH at the loudest frame; repeatable")
    g.add_argument("--smooth", type=int, default=5, metavar="N", help="loudness smoothing, a moving average of N frames (default 5)")
    g.add_argument("--range-db", type=float, default=40.0, metavar="DB",
                   help="loudness range mapped onto LOW..HIGH, dB below the loudest frame (default 40)")
    g.add_argument("--rest", action="append", default=[], metavar="PARAM=VALUE",
                   help="the value between beats (default: the shot's number for it, else 1 for zoom, DD's default "
                        "for fov/near_plane/far_plane/frames_scale, 0 for the other camera keys)")
    g.add_argument("--fold", choices=("add", "multiply"), default="add",
                   help="how several sources on one setting combine (default add: their deviations from rest add up)")
    g.add_argument("--tolerance", type=float, default=0.01, metavar="FRAC",
                   help="keyframes of a setting that follows loudness may deviate this fraction of its curve's range "
                        "(default 0.01); beat pulses alone are exact")
    g = p.add_argument_group("output")
    out = g.add_mutually_exclusive_group()
    out.add_argument("-o", "--output", metavar="SHOT", help="write a new shot file")
    out.add_argument("--merge-into", metavar="SHOT",
                     help="set these keys in an existing shot; everything else and its comments stay, and the shot "
                          "as it was is kept beside it as SHOT.bak (.bak.1, .bak.2 ... when one exists)")
    g.add_argument("--overwrite", action="store_true", help="replace an existing -o file or --plot picture")
    g.add_argument("--dry-run", action="store_true",
                   help="print what would change in the shot (a unified diff) and write nothing")
    g.add_argument("--force", action="store_true",
                   help="write schedules even for camera keys that do nothing in the shot's animation_mode "
                        "(zoom and angle in 3D, translation_z and rotation_3d_* in 2D)")
    g.add_argument("--plot", metavar="PNG", help="draw the waveform, beats, lyric lines and curves on one time axis")
    g.add_argument("--split", type=int, metavar="N",
                   help="also cut the shot into parts of at most N frames at lyric-line (or section) boundaries "
                        "and write an edit of them for 'chroma farm render' (docs/farm.md)")
    g.add_argument("--crossfade", type=int, default=0, metavar="F",
                   help="with --split: frames of OKLab crossfade at each seam (default 0: a cut)")


def _split(spec: str, what: str, n_min: int, n_max: int) -> list[str]:
    from chroma.sync import SyncError

    parts = spec.split(":")
    if not n_min <= len(parts) <= n_max or not parts[0]:
        raise SyncError(f"{what} {spec!r}: write {'PARAM:AMOUNT[:ATTACK:DECAY]' if what == '--beats-to' else 'PARAM:LOW:HIGH'}")
    return parts


def _number(text: str, spec: str) -> float:
    from chroma.sync import SyncError

    try:
        return float(text)
    except ValueError:
        raise SyncError(f"{spec!r}: {text!r} is not a number") from None


def _whole(text: str, spec: str) -> int:
    from chroma.sync import SyncError

    try:
        return int(text)
    except ValueError:
        raise SyncError(f"{spec!r}: {text!r} is not a whole number") from None


_DESCRIPTION = """\
Turn a song's synced lyrics into keyframed prompts and its beats and loudness into
camera (or render) schedules, at the shot's fps, and write them into a shot file.

A time t lands on frame round((t - offset) * fps), halves up, computed exactly
(29.97 means 30000/1001). Schedules are Disco Diffusion keyframe strings with keys only
where the curve bends. Without -o or --merge-into, only the summary is printed.

--merge-into keeps the shot as it was beside it (sh010.toml.bak, then .bak.1, .bak.2 ...);
--dry-run prints the change as a unified diff and writes nothing. A schedule for a camera
key that does nothing in the shot's animation_mode (zoom and angle in 3D; translation_z,
rotation_3d_* in 2D; every camera key in None and Video) is refused, naming what acts
instead, unless --force. Every output is checked first: none may be an input (-o song.lrc
is refused even with --overwrite), and an existing -o or --plot file needs --overwrite.

examples:
  chroma sync --lyrics song.lrc --audio song.wav --fps 24 --template '{line}, by {artist}' \\
      --beats-to zoom:0.04:1:6 --loudness-to angle:0:0.5 -o shot.toml --plot sync.png
  chroma sync --lyrics song.srt --fps 24 --lead-in 12 --merge-into sh010.toml --dry-run
  chroma sync --lyrics song.srt --fps 24 --lead-in 12 --merge-into sh010.toml
"""

_Pulse = tuple[str, float, int, int]  # setting, amount, attack frames, decay frames
_Loud = tuple[str, float, float]  # setting, low, high


@command("sync", "lyrics and beats to keyframes: synced lyrics (LRC/SRT) and a song -> a shot's prompts and schedules",
         description=_DESCRIPTION)
@arguments(_sync_args)
def cmd_sync(args: argparse.Namespace) -> int:
    """Run ``chroma sync``: lyrics to keyed prompts, beats and loudness to schedules, in a shot.

    The command's help (``chroma sync --help``) describes the options; the work is done
    by :mod:`chroma.sync` (:func:`~chroma.sync.lyrics_to_prompts`,
    :func:`~chroma.sync.analyze_audio`, :func:`~chroma.sync.beat_pulses`,
    :func:`~chroma.sync.to_keyframes`, :func:`~chroma.sync.shot_text`); this function
    checks the options, calls it and prints the summary.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of ``chroma sync``.

    Returns
    -------
    int
        The exit status, 0.

    Raises
    ------
    chroma.sync.SyncError
        Inconsistent options, a shot whose fps differs, lyrics or audio that cannot be read.
    chroma.errors.ChromaIOError
        A missing input, an output that is an input (by any spelling), an existing ``-o``
        or ``--plot`` without ``--overwrite``, or a backup that cannot be written.
    """
    from chroma import sync

    if not args.lyrics and not args.audio:
        raise sync.SyncError("give --lyrics FILE, --audio FILE or both")
    fps = sync.parse_fps(args.fps)
    target = args.output or args.merge_into
    existing, refused = _check_outputs(args, target)
    have, shot_frames, offset = _merge_settings(args, existing, fps)
    # parse the options before the slow work
    pulses, louds, rests = _schedule_options(args)
    scheduled = {p[0] for p in pulses} | {p[0] for p in louds}
    if target and not args.force:  # before the slow work; shot_text checks again (and notes what --force writes)
        sync.check_mode(scheduled, None if have is None else str(have.get("animation_mode", "")))
    shot_values = _shot_values(have, scheduled)

    rest = functools.partial(_rest_value, rests, shot_values)
    rest_of = {name: rest(name) for name in {p[0] for p in pulses}}  # checked before the slow work
    if (pulses or louds) and not args.audio:
        raise sync.SyncError("--beats-to and --loudness-to need --audio")
    sections = [sync.parse_section(s) for s in args.section]
    lyrics = sync.read_lyrics(args.lyrics) if args.lyrics else None
    audio = sync.analyze_audio(args.audio, fps, offset) if args.audio else None
    n_frames = _frame_count(args.frames, shot_frames, audio, lyrics, offset, fps)
    plan = None
    if lyrics is not None:
        from fractions import Fraction  # here, not at import: `chroma --help` stays light

        song_end = Fraction(audio.duration) if audio is not None else None
        plan = sync.lyrics_to_prompts(
            lyrics, fps, args.template, sections=sections, gap_prompt=args.gap_prompt,
            gap_threshold=args.gap_threshold, lead_in=args.lead_in, offset=offset, n_frames=n_frames,
            song_end=song_end,
        )
    curves: dict[str, np.ndarray] = {}
    schedules: dict[str, str] = {}
    described: list[str] = []
    if audio is not None and (pulses or louds):
        curves, schedules, described = _schedules(args, audio, n_frames, pulses, louds, rest_of, rest)
    notes: list[str] = []
    done = ""
    if target:
        notes, done = _write_shot(args, target, existing, fps, n_frames, plan, schedules, offset)
    if args.plot and not args.dry_run:
        sync.plot(args.plot, fps=fps, n_frames=n_frames, audio=audio, plan=plan, curves=curves, offset=offset)
    _summary(args, fps, offset, n_frames, audio, lyrics, plan, described, schedules, notes)
    if args.dry_run:
        print(done, end="")  # the change, as a unified diff
        _dry_run_tail(args, target if done else None, existing, refused)
        return EXIT_OK
    if done:
        print(done)
    if args.split and target:
        from chroma import farm

        cuts = list(plan.prompts) if plan is not None else []  # lines and sections start at these frames
        edit = farm.split_shot(target, args.split, at=cuts, crossfade=args.crossfade, overwrite=args.overwrite,
                               overwrite_hint="pass --overwrite to replace it")
        print(f"split into parts of at most {args.split} frames at line boundaries: edit {edit} "
              f"(render it with: chroma farm render {edit} --farm local:N)")
    if args.plot:
        print(f"plot: {args.plot}")
    return EXIT_OK


def _check_outputs(args: argparse.Namespace, target: str | None) -> tuple[str | None, list[str]]:
    """Check every file sync writes against its inputs, before any work (the one output check).

    Returns the text of the shot to merge into (None for ``-o``) and, with ``--dry-run``,
    the outputs a real run would refuse.
    """
    from chroma.cli._core import check_outputs
    from chroma.errors import ChromaIOError

    if args.split is not None and not (args.output or args.merge_into):
        raise ChromaIOError("--split cuts the shot it writes: give -o SHOT or --merge-into SHOT")
    if args.split is not None and args.split <= max(args.crossfade, 0):
        raise ChromaIOError(f"--split {args.split}: parts must be longer than the --crossfade ({args.crossfade})")
    if args.plot:
        from chroma.sync.plot import check_plot_path

        check_plot_path(args.plot)
    inputs = [args.lyrics, args.audio]
    existing = None
    if args.merge_into:
        if not os.path.isfile(args.merge_into):
            raise ChromaIOError(f"the shot {args.merge_into!r} does not exist; write a new one with -o")
        # replaced in place on purpose (a backup is kept), but never the song or the lyrics
        check_outputs([args.merge_into], inputs, overwrite=True, dry_run=args.dry_run, images=False)
        existing = Path(args.merge_into).read_text(encoding="utf-8")
    split: list[str] = []
    if args.split and target:  # what farm.split_shot writes: the edit, and parts (those there now are replaced)
        t = Path(target)
        split = [str(t.with_name(f"{t.stem}.edit.toml")), *map(str, sorted(t.parent.glob(f"{t.stem}_p[0-9][0-9].toml")))]
    result = check_outputs([args.output, args.plot, *split], [*inputs, args.merge_into], overwrite=args.overwrite,
                           dry_run=args.dry_run, images=False, hint="pass --overwrite to replace it, or --merge-into to update a shot")
    return existing, list(result.refused)


def _merge_settings(args: argparse.Namespace, existing: str | None, fps: Fraction) -> tuple[Any, int | None, float]:
    """What the merged shot already fixes: its parsed TOML, its frame count and its audio offset (s)."""
    from chroma import sync

    shot_frames = None
    offset = args.offset
    have = None
    if existing is not None:
        tomlkit = sync.require_module("tomlkit")
        try:
            have = tomlkit.parse(existing)
        except Exception as exc:
            raise sync.SyncError(f"{args.merge_into!r} is not valid TOML ({exc})") from None
        if "output" in have and "fps" in have["output"] and sync.parse_fps(have["output"]["fps"]) != fps:
            raise sync.SyncError(
                f"the shot's [output] fps is {have['output']['fps']} but --fps is {args.fps}; "
                "give the shot's fps so the keys land on its frames"
            )
        if isinstance(have.get("max_frames"), int) and args.frames is None:
            shot_frames = int(have["max_frames"])
        if offset is None and "audio" in have and "offset" in have["audio"]:
            offset = float(have["audio"]["offset"])
    return have, shot_frames, float(offset or 0.0)


def _schedule_options(args: argparse.Namespace) -> tuple[list[_Pulse], list[_Loud], dict[str, float]]:
    """``--beats-to``, ``--loudness-to`` and ``--rest``, checked."""
    from chroma import sync

    pulses: list[_Pulse] = []
    louds: list[_Loud] = []
    for spec in args.beats_to:
        parts = _split(spec, "--beats-to", 2, 4)
        if len(parts) == 3:
            raise sync.SyncError(f"--beats-to {spec!r}: give both ATTACK and DECAY, or neither")
        sync.setting_path(parts[0])
        attack, decay = (_whole(parts[2], spec), _whole(parts[3], spec)) if len(parts) == 4 else (2, 6)
        pulses.append((parts[0], _number(parts[1], spec), attack, decay))
    for spec in args.loudness_to:
        parts = _split(spec, "--loudness-to", 3, 3)
        sync.setting_path(parts[0])
        louds.append((parts[0], _number(parts[1], spec), _number(parts[2], spec)))
    rests: dict[str, float] = {}
    for spec in args.rest:
        name, eq, value = spec.partition("=")
        if not eq:
            raise sync.SyncError(f"--rest {spec!r}: write PARAM=VALUE, e.g. zoom=1.0")
        sync.setting_path(name.strip())
        rests[name.strip()] = _number(value, spec)
    return pulses, louds, rests


def _shot_values(have: Any, names: set[str]) -> dict[str, object]:
    """The merged shot's own values of the scheduled settings (what pulses rest at)."""
    from chroma import sync

    values: dict[str, object] = {}
    if have is None:
        return values
    for name in names:
        table, key = sync.setting_path(name)
        if table in have and key in have[table]:
            values[name] = have[table][key].unwrap() if hasattr(have[table][key], "unwrap") else have[table][key]
    return values


def _rest_value(rests: dict[str, float], shot_values: dict[str, object], name: str) -> float:
    """A setting's value between beats: ``--rest``, else :func:`chroma.sync.rest_value`."""
    from chroma import sync

    return rests[name] if name in rests else sync.rest_value(name, shot_values.get(name))


def _frame_count(frames: int | None, shot_frames: int | None, audio: AudioAnalysis | None, lyrics: Lyrics | None,
                 offset: float, fps: Fraction) -> int:
    """Frames in the shot: --frames, the merged shot's, the song's, or 4 s after the last line."""
    from chroma import sync

    if frames is not None:
        if frames < 1:
            raise sync.SyncError(f"--frames must be at least 1, got {frames}")
        return frames
    if shot_frames is not None:
        return shot_frames
    if audio is not None:
        return audio.n_frames
    assert lyrics is not None  # cmd_sync asks for --lyrics or --audio
    end = lyrics.length
    if end is None:
        last = lyrics.lines[-1]
        end = max(last.start, last.end or last.start) + 4
    from fractions import Fraction

    return max(math.ceil((end - Fraction(offset)) * fps), 1)


def _schedules(args: argparse.Namespace, audio: AudioAnalysis, n_frames: int, pulses: list[_Pulse],
               louds: list[_Loud], rest_of: dict[str, float],
               rest: Callable[[str], float]) -> tuple[dict[str, np.ndarray], dict[str, str], list[str]]:
    """Per setting: the folded curve, its keyframe string, and a line describing each source."""
    import numpy as np

    from chroma import sync

    curves: dict[str, np.ndarray] = {}
    schedules: dict[str, str] = {}
    described: list[str] = []
    beats = audio.beat_frames[audio.beat_frames < n_frames]
    sources: dict[str, list[np.ndarray]] = {}
    has_loud: set[str] = set()
    db = np.resize(audio.loudness_db, n_frames) if n_frames > audio.loudness_db.size else audio.loudness_db[:n_frames]
    if n_frames > audio.loudness_db.size:
        db[audio.loudness_db.size:] = -120.0  # past the end of the song: silence
    for name, amount, attack, decay in pulses:
        r = rest_of[name]
        sources.setdefault(name, []).append(sync.beat_pulses(beats, n_frames, amount, attack, decay, r))
        described.append(f"{name}: {amount:+g} on {len(beats)} beats from {r:g} (attack {attack}, decay {decay} frames)")
    for name, low, high in louds:
        sources.setdefault(name, []).append(sync.loudness_curve(db, low, high, args.smooth, args.range_db))
        has_loud.add(name)
        described.append(f"{name}: loudness -> {low:g}..{high:g} (smoothing {args.smooth} frames)")
    for name, parts in sources.items():
        base = rest_of[name] if name in rest_of else (rest(name) if len(parts) > 1 else 0.0)
        v = sync.fold(parts, args.fold, base)
        tol = args.tolerance * float(v.max() - v.min()) if name in has_loud else 0.0
        curves[name] = v
        schedules[name] = sync.to_keyframes(v, tolerance=tol)
    return curves, schedules, described


def _write_shot(args: argparse.Namespace, target: str, existing: str | None, fps: Fraction, n_frames: int,
                plan: PromptPlan | None, schedules: dict[str, str], offset: float) -> tuple[list[str], str]:
    """Write (or merge into, keeping a backup) the shot file; with ``--dry-run`` write
    nothing. The notes :func:`chroma.sync.shot_text` gives, and the line that says what
    was written (with ``--dry-run``: the change as a unified diff)."""
    import difflib

    from chroma import sync
    from chroma.io import write_text

    shot_dir = Path(target).resolve().parent
    audio_rel = None
    if args.audio:
        audio_rel = Path(os.path.relpath(Path(args.audio).resolve(), shot_dir)).as_posix()
    inputs = " and ".join(Path(x).name for x in (args.lyrics, args.audio) if x)
    text, notes = sync.shot_text(
        existing, fps=fps, n_frames=n_frames, prompts=plan.prompts if plan else None,
        schedules=schedules, audio_file=audio_rel, audio_offset=offset,
        header=f"written by chroma sync from {inputs} at {float(fps):g} fps",
        pattern=f"out/{Path(target).stem}.####.exr", force=args.force,
    )
    if args.dry_run:
        before = existing if existing is not None else (
            Path(target).read_text(encoding="utf-8", errors="replace") if os.path.isfile(target) else "")
        diff = difflib.unified_diff(before.splitlines(keepends=True), text.splitlines(keepends=True),
                                    fromfile=target if before else "/dev/null", tofile=target)
        lines = [d if d.endswith("\n") else d + "\n\\ No newline at end of file\n" for d in diff]
        if not lines:
            notes.append(f"{target} would not change")
        return notes, "".join(lines)
    if existing is None:
        write_text(target, text)
        return notes, f"wrote {target}"
    if text == existing:
        notes.append(f"{target} is unchanged")
        return notes, f"merged into {target}"
    bak = sync.keep_backup(target)  # before the change, atomically; never over an older backup
    notes.append(f"kept the shot as it was in {bak}")
    write_text(target, text)
    return notes, f"merged into {target}"


def _dry_run_tail(args: argparse.Namespace, target: str | None, existing: str | None, refused: list[str]) -> None:
    """What a real run would write (and refuse); a dry run writes nothing. ``target`` is
    None when the shot would not change."""
    from chroma import sync

    would = []
    if target:
        would.append(f"{'merge into' if existing is not None else 'write'} {target}")
        if existing is not None:
            would.append(f"keep the shot as it is in {sync.backup_path(target)}")
    if args.plot:
        would.append(f"draw {args.plot}")
    if args.split and target:
        would.append(f"split it into parts of at most {args.split} frames")
    for r in refused:
        print(f"the real run would refuse: {r} exists (pass --overwrite to replace it)")
    print(f"dry run: nothing written{'; a real run would ' + ', '.join(would) if would else ''}")


def _summary(args: argparse.Namespace, fps: Fraction, offset: float, n_frames: int, audio: AudioAnalysis | None,
             lyrics: Lyrics | None, plan: PromptPlan | None, described: list[str], schedules: dict[str, str],
             notes: list[str]) -> None:
    """Print what was found and written: audio, tempo, lines and their frames, schedules, frames, notes."""
    from chroma import sync

    if audio is not None:
        print(f"audio: {args.audio}, {audio.duration:.3f} s, {audio.sample_rate} Hz")
        if len(audio.beat_frames):
            print(f"tempo: {audio.tempo:.2f} BPM, {len(audio.beat_frames)} beats found "
                  f"(frames {', '.join(str(b) for b in audio.beat_frames[:8])}{', ...' if len(audio.beat_frames) > 8 else ''})")
        else:
            print("tempo: -, 0 beats found")
        for note in audio.notes:
            print(f"note: {note}")
    if plan is not None and lyrics is not None:
        tags = ", ".join(f"{k}: {v}" for k, v in lyrics.tags.items() if k in ("ar", "ti", "al"))
        extra = f", offset {lyrics.offset_ms:+d} ms" if lyrics.offset_ms else ""
        print(f"lyrics: {args.lyrics}, {len(lyrics.lines)} lines{' (' + tags + ')' if tags else ''}{extra}")
        for ln, f in plan.placed:
            at = f"frame {f}" + (f" (sung at {sync.frame_at(ln.start, fps, offset)})" if args.lead_in else "")
            print(f"  #{ln.number:<3d} {sync.format_clock(ln.start)}  {at:<{28 if args.lead_in else 12}s} {ln.text}")
        print(f"prompt keys: {len(plan.prompts)} ({', '.join(str(k) for k in list(plan.prompts)[:12])}"
              f"{', ...' if len(plan.prompts) > 12 else ''})")
        for note in plan.notes:
            print(f"note: {note}")
    for d in described:
        print(f"schedule {d}")
    for name, s in schedules.items():
        print(f"  {name}: {s.count(':')} keys")
    song = audio.duration if audio is not None else None
    length = f", song {song:.3f} s" if song is not None else ""
    print(f"frames: {n_frames} at {float(fps):g} fps ({float(n_frames / fps):.3f} s{length})")
    if audio is not None and n_frames != audio.n_frames:
        notes.append(f"the shot has {n_frames} frames; the song covers {audio.n_frames}")
    for note in notes:
        print(f"note: {note}")
