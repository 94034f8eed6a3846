"""Motion vectors through real (tiny-model) renders: the EXR channels, their type, their
values against render.motion for the shot's cameras, and the 2D warp they describe."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from chroma.cli import main
from tests.render.test_shot_runner import SHOT_2D, SHOT_3D, _shot

MOTION = ["forward.u", "forward.v", "backward.u", "backward.v", "occlusion"]


def _exr(path: Path) -> tuple[dict[str, np.ndarray], dict[str, str]]:
    import OpenImageIO as oiio

    inp = oiio.ImageInput.open(str(path))
    spec = inp.spec()
    px = inp.read_image("float")
    inp.close()
    names = list(spec.channelnames)
    kinds = [str(f) for f in spec.channelformats] or [str(spec.format)] * len(names)
    return {n: px[:, :, i] for i, n in enumerate(names)}, dict(zip(names, kinds))


def _flow(ch: dict[str, np.ndarray], layer: str) -> np.ndarray:
    return np.stack([ch[f"{layer}.u"], -ch[f"{layer}.v"]], axis=2)  # back to y down


def test_a_2d_shot_writes_float_vectors_that_warp_the_previous_frame(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                     tmp_path) -> None:
    from chroma.shot import load_shot
    from render import camera as cam
    from render import flow, motion

    path = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2, text=SHOT_2D)
    assert main(["render", str(path)]) == 0, capsys.readouterr().err
    shot = load_shot(path)
    frames = [_exr(tmp_path / "out" / f"sh010.{1001 + i}.exr") for i in range(3)]
    for i, (ch, kinds) in enumerate(frames):
        assert all(kinds[n] == "float" for n in MOTION) and kinds["R"] == "half"
        values = shot.frame(i).values
        nxt = shot.frame(i + 1).values if i + 1 < 3 else None
        if nxt is not None:
            np.testing.assert_allclose(_flow(ch, "forward"), motion.forward_2d(nxt, 64, 64), atol=1e-5)
        if i == 0:  # no previous frame: no motion back, everything new
            assert not _flow(ch, "backward").any() and (ch["occlusion"] == 1).all()
            continue
        back = _flow(ch, "backward")
        np.testing.assert_allclose(back, motion.backward_2d(values, 64, 64), atol=1e-5)
        np.testing.assert_allclose(ch["occlusion"], motion.out_of_frame(back).astype(np.float32))
        prev = np.stack([frames[i - 1][0][c] for c in "RGB"], axis=2).astype(np.float32)
        applied = cam.warp_2d(torch.from_numpy(prev).permute(2, 0, 1)[None], values["angle"], values["zoom"],
                              values["translation_x"], values["translation_y"])[0].permute(1, 2, 0).numpy()
        seen = ch["occlusion"] == 0
        assert seen.mean() > 0.7
        err = np.abs(flow.warp(prev, back) - applied)[seen]
        assert err.max() < 1e-3 * max(1.0, float(np.abs(prev).max()))  # measured ~1e-6 relative
    # the last frame's forward vectors use the schedule one frame on (zoom 1.05 holds, the angle's sine goes on)
    last = _flow(frames[2][0], "forward")
    after = {"zoom": 1.05, "angle": 2 * np.sin(3 / 3), "translation_x": 4.0, "translation_y": 0.0}
    np.testing.assert_allclose(last, motion.forward_2d(after, 64, 64), atol=1e-4)
    # the .nk has the VectorBlur on them
    assert "uv forward" in (tmp_path / "out" / "sh010.nk").read_text()


def test_a_3d_shot_writes_the_vectors_of_its_depth_and_cameras(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                               tmp_path) -> None:
    from chroma import Image, write
    from chroma.shot import load_shot
    from render import motion

    (tmp_path / "plate").mkdir()
    yy, xx = np.mgrid[0:64, 0:64].astype(np.float32)
    for i in range(3):
        z = 150.0 + xx + 10 * i
        rgb = np.stack([xx / 64, yy / 64, np.full_like(xx, 0.2)], axis=2)
        write(Image(np.concatenate([rgb, z[:, :, None]], axis=2), ["R", "G", "B", "Z"], "ACEScg", {}),
              tmp_path / "plate" / f"plate.{1001 + i}.exr", dtype="float")
    path = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2, text=SHOT_3D)
    assert main(["render", str(path)]) == 0, capsys.readouterr().err
    shot = load_shot(path)
    for i in range(3):
        ch, kinds = _exr(tmp_path / "out" / f"sh020.{1001 + i}.exr")
        assert all(kinds[n] == "float" for n in MOTION)
        depth = (150.0 + xx + 10 * i) * 0.01
        cam_next = shot.frame(i + 1).values if i < 2 else {**shot.frame(2).values, "translation_z": 6.0}
        np.testing.assert_allclose(_flow(ch, "forward"), motion.forward_3d(depth, cam_next), atol=1e-3)
        if i:
            prev = (150.0 + xx + 10 * (i - 1)) * 0.01
            back = motion.backward_3d(prev, shot.frame(i).values)
            np.testing.assert_allclose(_flow(ch, "backward"), back, atol=1e-3)
            # occlusion: out of the frame, or no way back along frame i-1's forward vectors (frame 2
            # reuses frame 1's, computed once)
            expected = motion.occluded(back, motion.forward_3d(prev, shot.frame(i).values))
            assert np.mean(ch["occlusion"] != expected) < 0.01 and ch["occlusion"].mean() < 0.5


def test_motion_vectors_false_writes_none(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    text = SHOT_2D.replace("fps = 24\n", "fps = 24\nmotion_vectors = false\n")
    path = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2, text=text)
    assert main(["render", str(path)]) == 0, capsys.readouterr().err
    ch, _ = _exr(tmp_path / "out" / "sh010.1002.exr")
    assert list(ch) == ["R", "G", "B"]
    assert "VectorBlur" not in (tmp_path / "out" / "sh010.nk").read_text()


def test_a_video_shot_writes_the_plates_flow(capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    """The plate pans 2 px right per frame (tests/render/test_video_flow.py's plates): the
    content at x was at x - 2 a frame before and is at x + 2 a frame later, so inside the
    frame backward is (-2, 0) and forward (+2, 0) px (v up, so 0 either way), and the pair
    passes the forward-backward check; frame 0 has no backward motion, and the last
    frame, whose plate has no next frame, no forward motion."""
    from tests.render.test_video_flow import CLI_SHOT, _plates

    _plates(tmp_path)
    shot = tmp_path / "v.toml"
    shot.write_text(CLI_SHOT.format(clip=tiny_clip_in_cache))
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    inner = (slice(8, -8), slice(8, -8))  # DIS is least sure at the frame edges
    for n in (1002, 1003):
        ch, kinds = _exr(out / f"v.{n}.exr")
        assert {kinds[c] for c in MOTION} == {"float"}
        back, fwd = _flow(ch, "backward")[inner], _flow(ch, "forward")[inner]
        assert abs(float(np.median(back[..., 0])) + 2.0) < 0.1 and abs(float(np.median(back[..., 1]))) < 0.1
        assert abs(float(np.median(fwd[..., 0])) - 2.0) < 0.1 and abs(float(np.median(fwd[..., 1]))) < 0.1
        assert ch["occlusion"][inner].mean() < 0.05
    first, _ = _exr(out / "v.1001.exr")
    assert not first["backward.u"].any() and not first["backward.v"].any() and first["occlusion"].min() == 1.0
    last, _ = _exr(out / "v.1004.exr")
    assert not last["forward.u"].any() and not last["forward.v"].any()


def test_cadence_frames_between_carry_their_cameras_vectors(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                           tmp_path) -> None:
    """With cadence 2 frames 1 and 3 are in-betweens: every frame, key or between, carries
    the vectors of its own camera (the camera moves frame by frame whatever was diffused)."""
    from chroma.shot import load_shot
    from render import motion

    text = SHOT_2D.replace('frames_scale = 500\n', 'frames_scale = 500\ncadence = 2\n')
    path = _shot(tmp_path, tiny_clip_in_cache, frames=5, steps=2, text=text)
    assert main(["render", str(path)]) == 0, capsys.readouterr().err
    shot = load_shot(path)
    for i in range(1, 5):
        ch, kinds = _exr(tmp_path / "out" / f"sh010.{1001 + i}.exr")
        assert all(kinds[n] == "float" for n in MOTION)
        np.testing.assert_allclose(_flow(ch, "backward"), motion.backward_2d(shot.frame(i).values, 64, 64), atol=1e-5)
        if i < 4:
            np.testing.assert_allclose(_flow(ch, "forward"), motion.forward_2d(shot.frame(i + 1).values, 64, 64),
                                       atol=1e-5)
