"""An edit of three tiny-model shots with two OKLab crossfades, rendered on a Dask
LocalCluster (worker processes), gives the frames of rendering the shots one by one
(``chroma render``) and crossfading them by hand (:func:`chroma.oklab.mix_images` with
:func:`chroma.oklab.crossfade_weights`)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from chroma.cli import main

SHOT = """\
max_frames = {frames}
seed = {seed}
animation_mode = "{mode}"

[output]
pattern = "out/{name}.####.exr"
first_frame = 1001
preview = "none"

[render]
diffusion_model = "tiny-unet"
use_secondary_model = false
init_loss = "mse"                # LPIPS (the default, as DD) needs the VGG16 weights
clip_models = ["{clip}"]
steps = 3
skip_steps = 0
width_height = [64, 64]
cutn_batches = 1
cut_overview = "[2]*1000"
cut_innercut = "[1]*1000"

[animation]
zoom = "0: (1.05)"
translation_x = 2
frames_skip_steps = "50%"
frames_scale = 500

[prompts]
0 = ["{prompt}:1"]
"""

SHOTS = [("sh010", "2D", 5, 11, "a lighthouse in a storm"), ("sh020", "None", 6, 21, "a red barn"),
         ("sh030", "2D", 4, 31, "a canyon at dusk")]
FADE = 3

EDIT = f"""\
output = "cut/cut.####.exr"
first_frame = 1001
crossfade = {FADE}
curve = "smooth"
space = "oklab"
[[shots]]
file = "sh010.toml"
[[shots]]
file = "sh020.toml"
[[shots]]
file = "sh030.toml"
"""


def _write_shots(folder: Path, clip: str) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    for name, mode, frames, seed, prompt in SHOTS:
        (folder / f"{name}.toml").write_text(SHOT.format(frames=frames, seed=seed, mode=mode, name=name, clip=clip,
                                                         prompt=prompt))
    (folder / "edit.toml").write_text(EDIT)


def test_edit_on_a_local_cluster_equals_shots_rendered_one_by_one_and_crossfaded(
        capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    pytest.importorskip("distributed")
    from chroma import read
    from chroma.farm import Farm, load_edit, render_edit
    from chroma.oklab import crossfade_weights, mix_images

    hand, farmed = tmp_path / "hand", tmp_path / "farm"
    _write_shots(hand, tiny_clip_in_cache)
    _write_shots(farmed, tiny_clip_in_cache)
    for name, *_ in SHOTS:
        assert main(["render", str(hand / f"{name}.toml"), "--quiet"]) == 0, capsys.readouterr().err
    with Farm("local:2", env={"OMP_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}) as farm:
        failures = render_edit(farm, farmed / "edit.toml", quiet=True)
    assert failures == []

    def px(path: Path) -> np.ndarray:
        return read(path).pixels

    # the shots rendered on the workers are the shots rendered here, bit for bit
    for name, _mode, frames, *_ in SHOTS:
        for f in range(1001, 1001 + frames):
            assert np.array_equal(px(hand / "out" / f"{name}.{f}.exr"), px(farmed / "out" / f"{name}.{f}.exr")), \
                f"{name}.{f} differs"
    edit = load_edit(farmed / "edit.toml")
    assert edit.starts == [0, 2, 5] and edit.length == 9  # 5 + 6 + 4 frames, two 3-frame overlaps
    cut = sorted(p.name for p in (farmed / "cut").glob("cut.*.exr"))
    assert cut == [f"cut.{f}.exr" for f in range(1001, 1010)]

    # by hand: where each edit frame comes from
    w = crossfade_weights(FADE, "smooth")
    expected: dict[int, np.ndarray] = {}
    names = [s[0] for s in SHOTS]
    lengths = [s[2] for s in SHOTS]
    starts = [0, lengths[0] - FADE, lengths[0] + lengths[1] - 2 * FADE]
    for i, name in enumerate(names):
        for k in range(lengths[i]):
            expected.setdefault(starts[i] + k, px(hand / "out" / f"{name}.{1001 + k}.exr"))
    for i in (1, 2):
        a, b = names[i - 1], names[i]
        for k in range(FADE):
            ia = read(hand / "out" / f"{a}.{1001 + lengths[i - 1] - FADE + k}.exr")
            ib = read(hand / "out" / f"{b}.{1001 + k}.exr")
            mixed = mix_images(ia, ib, float(w[k]), "oklab", colorspace="ACEScg")
            expected[starts[i] + k] = mixed.pixels.astype(np.float16).astype(np.float32)
    for e in range(9):
        got = px(farmed / "cut" / f"cut.{1001 + e}.exr")
        assert np.array_equal(got, expected[e]), f"edit frame {1001 + e} differs"
    # the seams really blend: the middle of a seam is neither neighbour's frame
    mid = px(farmed / "cut" / "cut.1004.exr")
    assert not np.array_equal(mid, px(hand / "out" / "sh010.1004.exr"))
    assert not np.array_equal(mid, px(hand / "out" / "sh020.1002.exr"))
