"""The shot report (chroma.report, ``chroma shot report``): an output folder laid out as
``chroma render`` leaves it (EXRs through the inverse display view, previews, the state
folder's log.jsonl) gives a contact sheet, plots and an MP4 that PyAV decodes to the
frames asked, with the shot's song from its offset."""

from __future__ import annotations

import itertools
import json
import wave
from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main
from tests import guard_sequences as seqs

av = pytest.importorskip("av")

SHOT = """\
max_frames = {n}
seed = 1
animation_mode = "2D"

[output]
pattern = "out/sh030.####.exr"
fps = 12

[render]
width_height = [64, 64]

[prompts]
0 = ["a slow collapse:1"]

[audio]
file = "song.wav"
offset = {offset}
"""


def _song(path: Path, rate: int = 48000) -> None:
    """1 s of silence, then 2 s of a 440 Hz tone (16-bit PCM, stdlib wave)."""
    t = np.arange(3 * rate) / rate
    x = np.where(t >= 1.0, 0.5 * np.sin(2 * np.pi * 440 * t), 0.0)
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1)
        w.setsampwidth(2)
        w.setframerate(rate)
        w.writeframes((x * 32767).astype("<i2").tobytes())


def _folder(tmp_path: Path, n: int = 14, offset: float = 0.0, size: int = 64) -> Path:
    """What ``chroma render`` leaves: EXRs + metadata, previews, state folder and log."""
    from chroma import io
    from chroma.guard import CollapseGuard, GuardSettings
    from chroma.pipeline import frame_to_scene_linear

    (tmp_path / "sh030.toml").write_text(SHOT.format(n=n, offset=offset))
    _song(tmp_path / "song.wav")
    out = tmp_path / "out"
    (out / "preview").mkdir(parents=True)
    (out / "sh030.state").mkdir()
    guard = CollapseGuard(GuardSettings(warmup=3, frames=2))
    lines = []
    for i, code in enumerate(seqs.fade(n=n, start=3, end=10, size=size)):
        event = guard.observe(i, code)
        meta = {"frame": 1001 + i, "prompts": "a slow collapse:1", "shot": str(tmp_path / "sh030.toml"),
                "clip_loss": 0.9 - 0.01 * i, "guard": json.dumps(event.to_dict())}
        img = frame_to_scene_linear(code * 2 - 1, metadata=meta)
        io.write(img, out / f"sh030.{1001 + i}.exr", dtype="half")
        io.write_display(img, out / "preview" / f"sh030.{1001 + i}.png")
        lines.append(json.dumps({"index": i, "file_frame": 1001 + i, "seconds": 1.0 + i % 3, "clip_loss": 0.9 - 0.01 * i,
                                 "turbo": False, "prompt_key": 0, "guard": event.to_dict(),
                                 "coherence": {"drift": 0.01 * i, "drift_after": 0.001 * i}}))
    (out / "sh030.state" / "log.jsonl").write_text("\n".join(lines) + "\n")
    return out


def _png_ok(path: Path, min_size: int) -> None:
    from chroma import io

    img = io.read(path)
    assert img.width >= min_size and img.height >= min_size
    assert img.rgb.std() > 0.05  # not blank


def test_report_writes_contact_sheet_plots_and_an_mp4_with_the_song(capsys, tmp_path) -> None:
    out = _folder(tmp_path, n=14, offset=1.0)
    assert main(["shot", "report", str(out), "--every", "4"]) == 0
    text = capsys.readouterr().out
    rep = out / "report"
    for name in ("sh030.contact.png", "sh030.plots.png", "sh030.mp4", "sh030.report.json"):
        assert (rep / name).is_file() and name in text
    _png_ok(rep / "sh030.contact.png", 300)
    _png_ok(rep / "sh030.plots.png", 600)
    data = json.loads((rep / "sh030.report.json").read_text())
    assert data["every"] == 4 and data["fired_at"] and len(data["frames"]) == 14
    with av.open(str(rep / "sh030.mp4")) as c:
        vs = c.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in c.decode(vs)]
    assert len(frames) == 14 and frames[0].shape == (64, 64, 3)
    # the first frame is the preview PNG's picture (H.264 at crf 18, chroma subsampled 4:2:0: compared in
    # 8x8 blocks, within a few code values)
    from chroma import io

    for k in (0, 13):
        pv = io.read(out / "preview" / f"sh030.{1001 + k}.png").rgb * 255
        blocks = (frames[k].astype(float) - pv).reshape(8, 8, 8, 8, 3).mean(axis=(1, 3))
        assert np.abs(blocks).max() < 5 and np.abs(frames[k].astype(float) - pv).mean() < 8
    with av.open(str(rep / "sh030.mp4")) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(c.streams.audio[0])], axis=1)
        rate = c.streams.audio[0].rate
    assert audio.shape[1] / rate == pytest.approx(14 / 12, abs=0.05)  # as long as the frames
    # offset 1 s: the tone (which starts 1 s into the song) is there from the first frame
    assert np.sqrt((audio[0, 2048:4096] ** 2).mean()) > 0.2
    assert main(["shot", "report", str(out)]) == 2  # an earlier report is not replaced without --overwrite
    assert "--overwrite" in capsys.readouterr().err


def test_offset_zero_starts_with_the_songs_silence(capsys, tmp_path) -> None:
    out = _folder(tmp_path, n=14, offset=0.0, size=32)
    assert main(["shot", "report", str(out)]) == 0
    with av.open(str(out / "report" / "sh030.mp4")) as c:
        audio = np.concatenate([f.to_ndarray() for f in c.decode(c.streams.audio[0])], axis=1)
        assert c.streams.video[0].codec_context.width == 32
    assert np.sqrt((audio[0, 2048:12000] ** 2).mean()) < 0.01  # before the tone
    assert np.sqrt((audio[0, 50000:55000] ** 2).mean()) > 0.2  # after 1 s


def test_report_of_a_folder_without_a_shot(tmp_path) -> None:
    tmp_path.joinpath("empty").mkdir()
    assert main(["shot", "report", str(tmp_path / "empty")]) == 2


DD_PROMPTS = [
    "A beautiful painting of a singular lighthouse, shining its light across a tumultuous sea of blood by greg "
    "rutkowski and thomas kinkade, Trending on artstation.:1 | yellow color scheme:0.5",
    "A cosmic cathedral of stained glass nebulae, volumetric light, intricate, hyperdetailed, by James Gurney and "
    "Beeple, unreal engine, trending on ArtStation:2 | blurry, lowres:-1",
    "Supercalifragilisticexpialidociousandsomemorewordsgluedtogetherwithoutspaces_by_someone:1",
    "a coin worth $5 and a note worth $10:1",
    "a lighthouse:1",
]


def test_fit_label_wraps_and_ellipsises_to_the_width() -> None:
    from chroma.report import fit_label

    # measured in characters: words stay whole, the frame number keeps its two spaces
    assert fit_label("1001  a bb ccc dddd", 8, len) == "1001  a\nbb ccc\ndddd"
    assert fit_label("1001  a bb ccc dddd", 8, len, max_lines=2) == "1001  a\nbb ccc\u2026"
    assert fit_label("abcdefghijkl", 5, len) == "abcde\nfghij\nkl"  # a word wider than a line is broken
    assert fit_label("abcdefghijklmnopq", 5, len) == "abcde\nfghij\nklmn\u2026"
    assert fit_label("short", 8, len) == "short"


def test_contact_sheet_labels_of_dd_prompts_stay_in_their_cells(monkeypatch, tmp_path) -> None:
    """#21 item 22: DD-length prompts ran into the next tile's label."""
    pytest.importorskip("matplotlib")
    from matplotlib.text import Text

    from chroma import report

    seen = {}

    def capture(fig, path):
        fig.canvas.draw()
        r = fig.canvas.get_renderer()
        images = [ax for ax in fig.axes if ax.images]
        labels = [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.axes in images]
        seen["cells"] = [ax.get_window_extent(r) for ax in images]
        seen["labels"] = [(t.get_text(), t.get_window_extent(r), images.index(t.axes)) for t in labels]
        seen["math"] = [t.get_parse_math() for t in labels]
        return Path(path)

    monkeypatch.setattr(report, "_save", capture)
    tiles = [(f"{1001 + i}  {DD_PROMPTS[i % len(DD_PROMPTS)]}", f) for i, f in enumerate(seqs.fade(n=12, size=64))]
    report.contact_sheet(tiles, tmp_path / "c.png", title="sh010: 12 frames")
    cells, labels = seen["cells"], seen["labels"]
    assert len(cells) == 12 and sorted(i for *_, i in labels) == list(range(12))
    for text, box, i in labels:
        cell = cells[i]
        assert cell.x0 - 1 <= box.x0 and box.x1 <= cell.x1 + 1, (text, box, cell)  # within its frame's width
        assert box.y0 >= cell.y1 - 1  # above its frame
        for j, other in enumerate(cells):
            assert not box.overlaps(other) or (j == i and box.y0 >= other.y1 - 1), (text, j)
    for (t1, b1, _), (t2, b2, _) in itertools.combinations(labels, 2):
        assert not b1.overlaps(b2), (t1, t2)
    by_cell = {i: text for text, _, i in labels}
    for i, (label, _) in enumerate(tiles):
        drawn = by_cell[i]
        assert len(drawn.split("\n")) <= 3
        flat = "".join(drawn.split()).rstrip("\u2026")
        assert "".join(label.split()).startswith(flat)  # the label's own words, in order
        assert drawn.endswith("\u2026") == (len(flat) < len("".join(label.split())))
    assert by_cell[4] == "1005  a lighthouse:1" and by_cell[0].endswith("\u2026")
    assert "$5 and a note worth $10" in by_cell[3].replace("\n", " ") and not any(seen["math"])
