"""Cadence (#24 item 2): key frames, the refusals, the loop's segments, resume and ``--frames``.

End to end on CPU with tiny random-weight models: only key frames are diffused, the
frames between are written through the frame writer with ``chroma/inbetween`` and their
keys, states are saved after key frames only, a run interrupted in the middle of a
segment resumes to the frames of an uninterrupted run bit for bit, and ``--frames`` of a
frame between gives that frame of a full run bit for bit, writing nothing else.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from chroma.cli import main
from render.cadence import is_key, key_frames, next_key, previous_key
from tests.render.test_shot_runner import TINY_RENDER

SHOT = """\
max_frames = {frames}
seed = 11
animation_mode = "{mode}"

[output]
pattern = "out/sh010.####.exr"
first_frame = 1001

{render}
[animation]
zoom = "0: (1.05)"
angle = "0: (2*sin(t/3))"
translation_x = "0: (0), 6: (4)"
frames_skip_steps = "50%"
frames_scale = 500
{extra}

[prompts]
0 = ["a lighthouse in a storm:2"]
"""


def _shot(tmp: Path, clip: str, frames: int = 7, mode: str = "2D", extra: str = "cadence = 3\nstate_every = 3") -> Path:
    tmp.mkdir(parents=True, exist_ok=True)
    path = tmp / "sh010.toml"
    path.write_text(SHOT.format(frames=frames, mode=mode, render=TINY_RENDER.format(clip=clip, steps=4), extra=extra))
    return path


def _read(path: Path):
    from chroma import read

    return read(path)


def test_key_frames_are_the_multiples_and_the_last() -> None:
    assert key_frames(7, 3) == [0, 3, 6] and key_frames(8, 3) == [0, 3, 6, 7] and key_frames(5, 1) == [0, 1, 2, 3, 4]
    assert [is_key(i, 8, 3) for i in range(8)] == [True, False, False, True, False, False, True, True]
    assert [previous_key(i, 8, 3) for i in range(8)] == [0, 0, 0, 3, 3, 3, 6, 7]
    assert [next_key(i, 8, 3) for i in range(8)] == [0, 3, 3, 3, 6, 6, 6, 7]


@pytest.mark.parametrize(("mode", "extra", "words"), [
    ("2D", "cadence = 2\nturbo_mode = true", "animation.cadence: 2 with turbo_mode = true: choose one"),
    ("None", "cadence = 2", "animation.cadence: 2 in a shot with animation_mode = \"None\""),
    ("2D", "cadence = 0", "animation.cadence: must be at least 1, got 0"),
])
def test_cadence_is_refused_with_turbo_and_without_animation(mode, extra, words, capsys, tmp_path) -> None:
    shot = _shot(tmp_path, "ViT-B-32", mode=mode, extra=extra)
    assert main(["shot", "check", str(shot)]) == 2
    err = capsys.readouterr().err.strip()
    assert words in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_shot_check_shows_the_cadence(capsys, tmp_path) -> None:
    assert main(["shot", "check", str(_shot(tmp_path, "ViT-B-32"))]) == 0
    assert "cadence 3" in " ".join(capsys.readouterr().out.split())


def test_a_cadence_shot_diffuses_the_keys_and_blends_the_frames_between(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                      tmp_path) -> None:
    shot = _shot(tmp_path, tiny_clip_in_cache)
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("sh010.*.exr")) == [f"sh010.{n}.exr" for n in range(1001, 1008)]
    assert sorted(p.name for p in (out / "sh010.state").glob("state.*.npz")) == [
        "state.000000.npz", "state.000003.npz", "state.000006.npz"]
    frames = {n: _read(out / f"sh010.{n}.exr") for n in range(1001, 1008)}
    for n, image in frames.items():
        meta = image.metadata
        if n in (1001, 1004, 1007):
            assert "chroma/inbetween" not in meta and "chroma/clip_loss" in meta
        else:
            assert int(meta["chroma/inbetween"]) == 1 and "chroma/clip_loss" not in meta
            k0 = 1001 + 3 * ((n - 1001) // 3)
            assert meta["chroma/inbetween_keys"] == f"{k0},{k0 + 3}"
    # a frame between lies between its keys: closer to each key than the keys are to each other
    a, b, mid = frames[1004].pixels[..., :3], frames[1007].pixels[..., :3], frames[1005].pixels[..., :3]
    assert np.abs(mid - a).mean() < np.abs(b - a).mean()


def test_frames_of_a_frame_between_equals_the_full_run(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    shot = _shot(tmp_path, tiny_clip_in_cache)
    assert main(["render", str(shot)]) == 0
    out = tmp_path / "out"
    full = {p.name: _read(p).pixels for p in out.glob("sh010.*.exr")}
    for f in out.glob("sh010.*.exr"):
        f.unlink()
    for f in (out / "sh010.state").glob("state.*.npz"):
        f.unlink()
    capsys.readouterr()
    assert main(["render", str(shot), "--frames", "1005"]) == 0, capsys.readouterr().err
    assert [p.name for p in out.glob("sh010.*.exr")] == ["sh010.1005.exr"]  # only the frame asked for
    assert np.array_equal(_read(out / "sh010.1005.exr").pixels, full["sh010.1005.exr"])
    # the key after it was rendered, not written, and keeps no state (--resume would skip it)
    assert sorted(p.name for p in (out / "sh010.state").glob("state.*.npz")) == ["state.000000.npz",
                                                                                  "state.000003.npz"]
    assert main(["render", str(shot), "--frames", "1006-1007"]) == 0  # from the state of key 1004
    for n in (1006, 1007):
        assert np.array_equal(_read(out / f"sh010.{n}.exr").pixels, full[f"sh010.{n}.exr"])


def test_a_run_killed_inside_a_segment_resumes_to_the_same_frames(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                tmp_path, monkeypatch) -> None:
    from chroma.pipeline import writer

    full_dir, cut_dir = tmp_path / "a", tmp_path / "b"
    assert main(["render", str(_shot(full_dir, tiny_clip_in_cache))]) == 0
    shot = _shot(cut_dir, tiny_clip_in_cache)
    real = writer.ExrFrameWriter.write

    def dies_after_1005(self, spec, result, *args, **kw):  # the process dies once frame 1005 is on disk
        path = real(self, spec, result, *args, **kw)
        if spec.file_frame == 1005:
            raise KeyboardInterrupt
        return path

    monkeypatch.setattr(writer.ExrFrameWriter, "write", dies_after_1005)
    assert main(["render", str(shot)]) != 0  # the CLI reports the interrupt
    monkeypatch.setattr(writer.ExrFrameWriter, "write", real)
    out = cut_dir / "out"
    assert (out / "sh010.1005.exr").exists() and not (out / "sh010.1006.exr").exists()
    assert not (out / "sh010.state" / "state.000006.npz").exists()  # the segment 1004-1007 was not finished
    capsys.readouterr()
    assert main(["render", str(shot), "--resume"]) == 0, capsys.readouterr().err
    for n in range(1001, 1008):
        a, b = _read(full_dir / "out" / f"sh010.{n}.exr"), _read(out / f"sh010.{n}.exr")
        assert np.array_equal(a.pixels, b.pixels), f"frame {n} differs after the resume"


def test_the_loop_between_keys_uses_both_keys_where_each_sees() -> None:
    """2D, a pure pan: the frame between is the first key shifted (exact flows, one resample)."""
    from typing import cast

    from render.animation import FrameLoop, LoopState
    from render.renderer import Renderer

    loop = FrameLoop(cast(Renderer, object()), "2D")
    rng = np.random.default_rng(0)
    base = torch.from_numpy(rng.random((1, 3, 16, 40), dtype=np.float32))
    cams = [{"translation_x": 2.0}] * 4  # content moves 2 px right per frame
    k1 = torch.roll(base, 8, dims=3)
    mid = loop.between(2, LoopState(0, base), LoopState(4, k1), cams).image
    want = torch.roll(base, 4, dims=3)
    # inside the frame both keys agree; at the left edge only the second key sees the content
    assert torch.allclose(mid[..., 4:-4], want[..., 4:-4], atol=1e-5)
    assert torch.allclose(mid[..., :4], k1[..., 4:8], atol=1e-5)


def test_the_blend_weights_are_one_minus_t_and_t_normalised_by_validity() -> None:
    from render.inbetween import inbetween

    rng = np.random.default_rng(1)
    a, b = rng.random((6, 7, 5), dtype=np.float32), rng.random((6, 7, 5), dtype=np.float32)
    zero = np.zeros((6, 7, 2), np.float32)
    np.testing.assert_allclose(inbetween(a, b, zero, zero, 0.25), 0.75 * a + 0.25 * b, atol=1e-6)
    valid_b = np.ones((6, 7), bool)
    valid_b[:, :3] = False  # b cannot see there: a alone
    out = inbetween(a, b, zero, zero, 0.25, valid_b=valid_b)
    np.testing.assert_allclose(out[:, :3], a[:, :3], atol=1e-6)
    both_blind = np.zeros((6, 7), bool)  # neither sees: the plain weights
    np.testing.assert_allclose(inbetween(a, b, zero, zero, 0.6, both_blind, both_blind), 0.4 * a + 0.6 * b, atol=1e-6)
    shift = zero.copy()
    shift[..., 0] = 1.0  # reads a one pixel to the right
    np.testing.assert_allclose(inbetween(a, b, shift, zero, 0.5, valid_b=np.zeros((6, 7)))[:, :-1], a[:, 1:], atol=1e-6)


@pytest.mark.parametrize("cadence, kept", [(1, [0, 10, 20, 30, 40, 42]), (3, [0, 12, 21, 30, 42]),
                                           (4, [0, 12, 20, 32, 40])])
def test_the_state_kept_in_every_state_every_frames_is_a_key_state(tmp_path, cadence, kept) -> None:
    """States exist after key frames only; with state_every 10 the first key of every ten
    frames keeps its state (not only the multiples of both, which would leave 30 frames to
    render again at cadence 3), and always the latest."""
    import torch

    from chroma.pipeline.layout import ShotLayout
    from chroma.pipeline.store import LocalStateStore
    from chroma.shot.output import OutputSpec
    from render.animation import LoopState

    store = LocalStateStore(ShotLayout(OutputSpec(str(tmp_path / "o.####.exr"))), 100, 10, cadence)
    last = kept[-1]
    for key in [*range(0, last, cadence), last]:
        store.save(LoopState(index=key, prev=torch.zeros(1, 3, 2, 2)), {"frame": 1001 + key})
    assert store.saved() == kept


def test_a_frame_between_is_reported_as_one_not_as_a_frame_without_loss() -> None:
    from chroma.cli.render import _frame_line
    from chroma.pipeline.runlog import FrameReport

    between = FrameReport(1, 1002, "o.1002.exr", 0.1, None, False, 0, None, None, None, "in-between of 1001 and 1003")
    assert _frame_line(between, 1001) == "frame 1002 [prompts@1001] in-between of 1001 and 1003 0.1s -> o.1002.exr"
    key = FrameReport(2, 1003, "o.1003.exr", 2.0, 0.25, False, 0, None, None, None, "guard ok")
    assert _frame_line(key, 1001) == "frame 1003 [prompts@1001] loss 0.2500 guard ok 2.0s -> o.1003.exr"


def test_a_video_shot_with_cadence_blends_its_frames_between_along_the_plates_flow(
        capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    """Video, flow warp on, cadence 2 over 4 frames: keys 0, 2 and 3 are diffused (key 2 from
    key 0 along the plate's chained flows), frame 1 is blended from keys 0 and 2 along the
    flows estimated on the plate, carries the plate's vectors (a 2 px pan: backward -2 px),
    and ``--frames`` of it gives the full run's frame bit for bit."""
    from tests.render.test_video_flow import CLI_SHOT, _plates

    _plates(tmp_path)
    shot = tmp_path / "v.toml"
    shot.write_text(CLI_SHOT.format(clip=tiny_clip_in_cache).replace("state_every = 1\n", "cadence = 2\n"))
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    frames = {n: _read(out / f"v.{n}.exr") for n in range(1001, 1005)}
    assert [n for n, f in frames.items() if str(f.metadata.get("chroma/inbetween")) == "1"] == [1002]
    assert frames[1002].metadata["chroma/inbetween_keys"] == "1001,1003"
    back_u = frames[1002].pixels[8:-8, 8:-8, frames[1002].channels.index("backward.u")]
    assert abs(float(np.median(back_u)) + 2.0) < 0.1
    full = frames[1002].pixels.copy()
    (out / "v.1002.exr").unlink()
    capsys.readouterr()
    assert main(["render", str(shot), "--frames", "1002", "--overwrite"]) == 0, capsys.readouterr().err
    assert np.array_equal(_read(out / "v.1002.exr").pixels, full)
