"""What ``chroma sync`` schedules acts in the shot it writes (issue 21 item 12), and its
fps is the one parser's (item 14).

Which keys act in which mode is Disco Diffusion's rule as ``chroma.shot.inactive_keys``
states it (zoom and angle in 2D only; translation_z, rotation_3d_* in 3D only); written
shots are read back with ``chroma.shot``, an independent reader of the file.
"""

from __future__ import annotations

import re
import shlex
import wave
from fractions import Fraction
from pathlib import Path

import numpy as np
import pytest

import chroma.fps
from chroma import sync
from chroma.cli import main
from chroma.shot import inactive_keys, load_shot, parse_shot

pytest.importorskip("tomlkit")

README = Path(__file__).resolve().parent.parent / "README.md"


def run(capsys, *argv):
    code = main([str(a) for a in argv])
    out, err = capsys.readouterr()
    return code, out, err


def _clicks(path: Path, seconds: float = 4.0, sr: int = 22050) -> None:
    """A click every 0.5 s (120 BPM), 16-bit mono WAV."""
    sig = np.zeros(int(seconds * sr), dtype=np.int16)
    for k in range(int(seconds * 2)):
        sig[k * sr // 2: k * sr // 2 + 200] = 20000
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(sr)
        w.writeframes(sig.tobytes())


def _shot(mode: str | None) -> str:
    head = f'animation_mode = "{mode}"\n' if mode is not None else ""
    return (f"# by hand\nmax_frames = 96\n{head}\n[output]\npattern = \"out/s.####.exr\"\nfps = 24\n\n"
            "[prompts]\n0 = [\"a lighthouse\"]\n")


@pytest.fixture
def song(tmp_path, monkeypatch):
    pytest.importorskip("librosa")
    monkeypatch.chdir(tmp_path)
    _clicks(tmp_path / "song.wav")
    (tmp_path / "song.lrc").write_text("[ar:The Band]\n[00:00.50]first line\n[00:02.00]second line\n")
    return tmp_path


# ------------------------------------------------------------------------------ item 12


def test_readme_sync_example_schedules_only_keys_that_act(song, capsys):
    lines = [x for x in README.read_text().replace("\\\n", " ").splitlines() if x.strip().startswith("chroma sync ")]
    assert lines, "the README's CLI tour has a chroma sync example"
    checked = 0
    for line in lines:
        argv = shlex.split(re.split(r"\s+#\s", line.strip() + " ", maxsplit=1)[0])
        code, _, err = run(capsys, *argv[1:])  # in order: a later line may use the shot an earlier one wrote
        assert code == 0, f"{line}\n{err}"
        scheduled = [s.split(":")[0] for flag in ("--beats-to", "--loudness-to")
                     for i, s in enumerate(argv) if i and argv[i - 1] == flag]
        if not scheduled:
            continue
        checked += 1
        shot = load_shot(argv[argv.index("-o") + 1] if "-o" in argv else argv[argv.index("--merge-into") + 1])
        idle = set(inactive_keys(shot.animation_mode))
        assert not idle & set(scheduled), f"{line}: {sorted(idle & set(scheduled))} do nothing in {shot.animation_mode}"
    assert checked, "the example shows schedules"


def test_new_shot_mixing_2d_and_3d_keys_is_refused_unless_forced(song, capsys, monkeypatch):
    argv = ["sync", "--audio", "song.wav", "--lyrics", "song.lrc", "--fps", "24", "--beats-to", "zoom:0.04",
            "--loudness-to", "translation_z:0:8", "-o", "s.toml"]
    with monkeypatch.context() as m:
        m.setattr(sync, "analyze_audio", lambda *a, **k: pytest.fail("refused after the slow work"))
        code, _, err = run(capsys, *argv)
    assert code == 2 and not Path("s.toml").exists()
    assert "zoom does nothing in animation_mode 3D" in err and "translation_z" in err and "--force" in err
    code, out, err = run(capsys, *argv, "--force")
    assert code == 0, err
    assert "note: zoom does nothing in animation_mode 3D" in out and "--force" in out
    assert load_shot("s.toml").animation_mode == "3D"


@pytest.mark.parametrize("mode, key, instead", [
    ("3D", "zoom", "translation_z"), ("3D", "angle", "rotation_3d_z"),
    ("2D", "translation_z", "zoom"), ("2D", "rotation_3d_z", "angle"),
    (None, "zoom", 'animation_mode = "2D"'), ("Video", "translation_x", 'animation_mode = "2D"'),
])
def test_merge_refuses_a_key_the_shot_mode_ignores(song, capsys, mode, key, instead):
    Path("s.toml").write_text(_shot(mode))
    code, _, err = run(capsys, "sync", "--audio", "song.wav", "--fps", "24", "--beats-to", f"{key}:0.5",
                       "--merge-into", "s.toml")
    assert code == 2, err
    assert f"{key} does nothing in animation_mode {mode or 'None'}" in err and instead in err
    assert Path("s.toml").read_text() == _shot(mode) and not Path("s.toml.bak").exists()


def test_merge_into_a_3d_shot_with_3d_keys_is_fine(song, capsys):
    Path("s.toml").write_text(_shot("3D"))
    code, out, err = run(capsys, "sync", "--audio", "song.wav", "--fps", "24", "--beats-to", "translation_z:4",
                         "--loudness-to", "translation_x:0:2", "--merge-into", "s.toml")
    assert code == 0, err
    assert "does nothing" not in out
    assert load_shot("s.toml").animation_mode == "3D"


def test_every_schedulable_key_is_one_the_shot_file_takes():
    """What sync accepts as PARAM is what chroma.shot reads (midas_weight was not)."""
    with pytest.raises(sync.SyncError):
        sync.setting_path("midas_weight")
    from chroma.shot import ANIMATION_SCHEDULES

    schedules = {k: f"0: ({ANIMATION_SCHEDULES.get(k, 1)}), 10: ({ANIMATION_SCHEDULES.get(k, 1) + 1})"
                 for k in sorted(sync.ANIMATION_KEYS)}
    text, notes = sync.shot_text(None, fps=Fraction(24), n_frames=20, prompts={0: ["x"]}, schedules=schedules,
                                 force=True)
    shot = parse_shot(text)
    assert shot.max_frames == 20
    assert any("does nothing" in n for n in notes)


# ------------------------------------------------------------------------------ item 14


def test_one_fps_parser():
    assert sync.parse_fps is chroma.fps.parse_fps
    # 11.67 s at 60000/1001 fps is frame 699.5005 -> 700; read as 2997/50 (or the float) it was 699.4998 -> 699
    assert sync.frame_at("11.67", 59.94) == sync.frame_at("11.67", "59.94") == 700
    lyr = sync.parse_lrc("[00:00.00]one\n[00:11.67]two\n")
    assert list(sync.lyrics_to_prompts(lyr, 59.94).prompts) == [0, 700]
    text, _ = sync.shot_text(None, fps=59.94, n_frames=10, prompts={0: ["x"]})
    assert parse_shot(text).output.fps == Fraction(60000, 1001)


@pytest.mark.parametrize("fps, exact", [("59.94", Fraction(60000, 1001)), ("23.98", Fraction(24000, 1001)),
                                        ("47.952", Fraction(48000, 1001)), ("29.97", Fraction(30000, 1001))])
def test_ntsc_fps_written_and_read_back_as_x_over_1001(tmp_path, capsys, fps, exact):
    (tmp_path / "song.lrc").write_text("[00:01.00]one\n[00:10.00]two\n")
    code, _, err = run(capsys, "sync", "--lyrics", tmp_path / "song.lrc", "--fps", fps, "-o", tmp_path / "s.toml")
    assert code == 0, err
    assert f'fps = "{exact.numerator}/{exact.denominator}"' in (tmp_path / "s.toml").read_text()
    shot = load_shot(tmp_path / "s.toml")
    assert shot.output.fps == exact
    # 10 s lands on frame round(10 x exact): 599.4 -> 599 at 59.94, 239.76 -> 240 at 23.98, ...
    assert sorted(shot.prompts) == [0, int(10 * exact + Fraction(1, 2))]  # the first line is held from 0


def test_merge_into_a_shot_that_writes_fps_as_a_decimal(tmp_path, capsys):
    """A shot's ``fps = 59.94`` and ``--fps 60000/1001`` are one rate, and the shot reads it so."""
    (tmp_path / "song.lrc").write_text("[00:01.00]one\n[00:10.00]two\n")
    shot = tmp_path / "s.toml"
    shot.write_text(_shot("2D").replace("fps = 24", "fps = 59.94").replace("max_frames = 96", "max_frames = 700"))
    code, out, err = run(capsys, "sync", "--lyrics", tmp_path / "song.lrc", "--fps", "60000/1001",
                         "--merge-into", shot)
    assert code == 0, err
    loaded = load_shot(shot)
    assert loaded.output.fps == Fraction(60000, 1001) == sync.parse_fps(59.94)
    assert sorted(loaded.prompts) == [0, 599]  # 10 s x 60000/1001 = 599.4 -> 599
