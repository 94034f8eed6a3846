"""render.flow: flow direction and units, DIS on analytic motion, backward warping, the
forward-backward check, flow files and the RAFT weights through the model registry.

Expected values come from the construction of each case: a texture defined as a function
of the plane (a sum of sinusoids) sampled at x and at x - d is moved by exactly d pixels.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

pytest.importorskip("cv2")

from render import flow as fl
from render.errors import ChecksumError, ModelError, ModelNotFoundError, RenderError, SettingsError

H, W = 160, 224
MARGIN = 24  # pixels left out at the borders, where the moved texture enters or leaves


def _texture(h: int, w: int, dx: float = 0.0, dy: float = 0.0, seed: int = 3) -> np.ndarray:
    """T(x - dx, y - dy) for a smooth random texture T in [0, 1]: the texture moved by (dx, dy)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    x, y = x - dx, y - dy
    out = np.zeros((h, w))
    for _ in range(12):
        kx, ky = rng.uniform(-0.25, 0.25, 2)  # at most 1/4 cycle per pixel: well sampled
        out += np.cos(kx * x + ky * y + rng.uniform(0, 2 * np.pi))
    return ((out - out.min()) / (out.max() - out.min())).astype(np.float32)


def _inner(a: np.ndarray) -> np.ndarray:
    return a[MARGIN:-MARGIN, MARGIN:-MARGIN]


# -- direction and units --------------------------------------------------------------
@pytest.mark.parametrize("dx, dy", [(3.0, -2.0), (-5.0, 4.0), (2.5, 1.25)])
def test_dis_flow_of_a_translation_is_the_translation(dx: float, dy: float) -> None:
    a = _texture(H, W)
    b = _texture(H, W, dx, dy)  # b(x) = a(x - d): a moved by (dx, dy)
    flow = fl.estimate_flow(a, b)
    assert flow.shape == (H, W, 2) and flow.dtype == np.float32
    err = np.abs(_inner(flow) - np.array([dx, dy], np.float32))
    assert err.max() < 0.15, err.max()  # DIS medium on this texture: measured 0.075-0.105 px
    assert np.abs(_inner(flow).mean(axis=(0, 1)) - [dx, dy]).max() < 0.02


def test_warp_of_b_by_the_flow_from_a_to_b_gives_a() -> None:
    a = _texture(H, W)
    b = _texture(H, W, 3.0, -2.0)
    back = fl.warp(b, fl.estimate_flow(a, b))
    assert np.abs(_inner(back) - _inner(a)).max() < 0.01  # of a [0, 1] range; measured 0.003


def test_warp_samples_at_x_plus_flow() -> None:
    image = np.arange(6 * 8, dtype=np.float32).reshape(6, 8)
    flow = np.zeros((6, 8, 2), np.float32)
    flow[..., 0] = 1.0  # out(x, y) = image(x + 1, y)
    flow[..., 1] = 2.0  # ... at y + 2
    out = fl.warp(image, flow)
    np.testing.assert_array_equal(out[:-2, :-1], image[2:, 1:])


def test_warp_is_bilinear_and_zero_outside_by_default() -> None:
    image = np.arange(4 * 5 * 3, dtype=np.float32).reshape(4, 5, 3)
    flow = np.zeros((4, 5, 2), np.float32)
    flow[..., 0] = 0.5  # halfway between columns: the mean of the two (exact at 1/32 px)
    out = fl.warp(image, flow)
    np.testing.assert_allclose(out[:, :-1], 0.5 * (image[:, :-1] + image[:, 1:]), rtol=0, atol=1e-4)
    # the last column samples halfway to column 5, outside: half the edge and half zero
    np.testing.assert_allclose(out[:, -1], 0.5 * image[:, -1], rtol=0, atol=1e-4)
    flow[..., 0] = 7.0
    assert not fl.warp(image, flow).any()
    np.testing.assert_array_equal(fl.warp(image, flow, border="replicate"), np.repeat(image[:, -1:], 5, axis=1))


def test_warp_keeps_shape_and_dtype() -> None:
    flow = np.full((8, 8, 2), 1.0, np.float32)
    for image in (np.ones((8, 8), np.uint8), np.ones((8, 8, 1), np.float32), np.ones((8, 8, 5), np.float32)):
        out = fl.warp(image, flow, border="replicate")
        assert out.shape == image.shape and out.dtype == image.dtype
        assert (out == 1).all()


@pytest.mark.parametrize("bad", [np.zeros((8, 8, 3)), np.zeros((8, 9, 2)), np.zeros((8, 8))])
def test_warp_refuses_a_bad_flow(bad: np.ndarray) -> None:
    with pytest.raises(SettingsError):
        fl.warp(np.zeros((8, 8, 3), np.float32), bad)


def test_flows_refuse_frames_of_other_sizes() -> None:
    with pytest.raises(SettingsError, match="one size"):
        fl.estimate_flow(np.zeros((32, 32)), np.zeros((32, 40)))
    with pytest.raises(SettingsError):
        fl.estimate_flow(np.zeros((32, 32, 4)), np.zeros((32, 32, 4)))
    with pytest.raises(SettingsError):
        fl.estimate_flow(np.zeros((32, 32)), np.zeros((32, 32)), preset="slow")


# -- inputs -----------------------------------------------------------------------------
def test_grey_is_rec601_luma_of_8_bit_levels() -> None:
    rng = np.random.default_rng(0)
    rgb = rng.random((16, 16, 3)).astype(np.float32)
    levels = np.rint(rgb * 255)
    expected = levels @ np.array([0.299, 0.587, 0.114])
    grey = fl.to_grey8(rgb)
    assert grey.dtype == np.uint8 and grey.shape == (16, 16)
    assert np.abs(grey - expected).max() <= 0.51  # rounding only
    np.testing.assert_array_equal(fl.to_grey8(levels.astype(np.uint8)), grey)
    np.testing.assert_array_equal(fl.to_grey8(np.array([[-0.5, 2.0]])), [[0, 255]])  # floats are clipped


# -- the forward-backward check -----------------------------------------------------------
def test_consistency_mask_marks_what_a_moving_square_covers() -> None:
    """A 20x20 square moves 8 px right over a still background: in a, the background the
    square covers in b (8 columns right of it) has no match; everything else has one."""
    h, w, y0, x0, s, d = 48, 64, 14, 16, 20, 8
    forward = np.zeros((h, w, 2), np.float32)  # a -> b
    forward[y0:y0 + s, x0:x0 + s, 0] = d
    backward = np.zeros((h, w, 2), np.float32)  # b -> a
    backward[y0:y0 + s, x0 + d:x0 + d + s, 0] = -d
    expected = np.ones((h, w), bool)
    expected[y0:y0 + s, x0 + s:x0 + s + d] = False
    np.testing.assert_array_equal(fl.consistency_mask(forward, backward), expected)


def test_consistency_mask_thresholds_and_leaving_the_frame() -> None:
    forward = np.zeros((8, 8, 2), np.float32)
    backward = np.zeros((8, 8, 2), np.float32)
    backward[..., 0] = 0.7  # |f + b|^2 = 0.49: within Sundaram's constant 0.5
    assert fl.consistency_mask(forward, backward).all()
    backward[..., 0] = 0.72  # 0.5184 > 0.5 + 0.01 * 0.5184
    assert not fl.consistency_mask(forward, backward).any()
    assert fl.consistency_mask(forward, backward, alpha2=0.52).all()
    assert not fl.consistency_mask(forward, backward, alpha1=0.0, alpha2=0.51).any()
    forward[..., 0], backward[..., 0] = 3.0, -3.0
    mask = fl.consistency_mask(forward, backward)
    assert mask[:, :5].all() and not mask[:, 5:].any()  # x + 3 > 7 leaves the frame


def test_consistency_of_dis_flows_on_a_translation() -> None:
    a = _texture(H, W)
    b = _texture(H, W, 4.0, 0.0)
    mask = fl.consistency_mask(fl.estimate_flow(a, b), fl.estimate_flow(b, a))
    assert _inner(mask).all()
    assert not mask[:, -3:].any()  # the last 4 columns of a move out of b


def test_consistency_of_dis_flows_finds_a_synthetic_occlusion() -> None:
    """A 48 px textured square moves 8 px right over another, still texture: the DIS flows
    fail the check on much of the background the square covers, and pass it far from the
    square's edges (DIS medium measured: 66% of the strip flagged, 100% of the rest kept)."""
    bg, fg = _texture(H, W, seed=5), _texture(H, W, seed=9)
    y0, x0, s, d = 50, 60, 48, 8
    a, b = bg.copy(), bg.copy()
    a[y0:y0 + s, x0:x0 + s] = fg[y0:y0 + s, x0:x0 + s]
    b[y0:y0 + s, x0 + d:x0 + d + s] = fg[y0:y0 + s, x0:x0 + s]
    mask = fl.consistency_mask(fl.estimate_flow(a, b), fl.estimate_flow(b, a))
    assert (~mask[y0:y0 + s, x0 + s:x0 + s + d]).mean() > 0.5
    assert mask[y0 + 6:y0 + s - 6, x0 + 6:x0 + s - 6].all()  # the square's own texture
    far = np.zeros((H, W), bool)
    far[16:-16, 16:-16] = True
    far[y0 - 6:y0 + s + 6, x0 - 6:x0 + s + d + 6] = False
    assert mask[far].mean() > 0.99


# -- DD's blend --------------------------------------------------------------------------
def test_flow_blend_is_dd_warp_blend() -> None:
    rng = np.random.default_rng(1)
    plate = rng.random((8, 8, 3)).astype(np.float32)
    previous = rng.random((8, 8, 3)).astype(np.float32)
    flow = np.zeros((8, 8, 2), np.float32)
    flow[..., 1] = 1.0
    shifted = np.zeros_like(previous)
    shifted[:-1] = previous[1:]  # previous(x, y + 1), zero past the last row as DD's cv2.remap
    np.testing.assert_allclose(fl.flow_blend(plate, previous, flow, 0.999),
                               0.001 * plate + 0.999 * shifted, rtol=0, atol=1e-6)
    reliable = np.ones((8, 8), bool)
    reliable[2] = False
    out = fl.flow_blend(plate, previous, flow, 0.5, reliable)
    np.testing.assert_array_equal(out[2], plate[2])
    np.testing.assert_allclose(out[3], 0.5 * (plate[3] + previous[4]), rtol=0, atol=1e-6)


# -- files -----------------------------------------------------------------------------
def test_save_and_load_flow_are_lossless(tmp_path: Path) -> None:
    flow = np.random.default_rng(2).normal(0, 30, (12, 20, 2)).astype(np.float32)
    fl.save_flow(tmp_path / "f.npz", flow)
    back = fl.load_flow(tmp_path / "f.npz")
    assert back.dtype == np.float32
    np.testing.assert_array_equal(back, flow)


def test_load_flow_refuses_what_is_not_a_flow(tmp_path: Path) -> None:
    with pytest.raises(RenderError, match="cannot read"):
        fl.load_flow(tmp_path / "missing.npz")
    np.savez(tmp_path / "bad.npz", flow=np.zeros((4, 4, 3), np.float32))
    with pytest.raises(RenderError, match="no \\(H, W, 2\\)"):
        fl.load_flow(tmp_path / "bad.npz")


# -- methods and the RAFT weights ---------------------------------------------------------
def test_registry_entry_is_torchvisions_file() -> None:
    from torchvision.models.optical_flow import Raft_Large_Weights

    from render.models import REGISTRY

    info = REGISTRY[fl.RAFT_MODEL]
    assert info.family == "flow"
    assert info.urls == (Raft_Large_Weights.C_T_V1.url,)
    assert info.filename == Raft_Large_Weights.C_T_V1.url.rsplit("/", 1)[1]
    assert info.num_params == Raft_Large_Weights.C_T_V1.meta["num_params"]


def test_methods_resolve_without_loading(model_cache: Path) -> None:
    assert fl.resolve_method("dis") == ("dis", None)
    method, note = fl.resolve_method("auto")
    assert method == "dis" and note and "DIS" in note and "chroma models fetch raft_large_C_T_V1" in note
    assert "\n" not in note
    with pytest.raises(ModelNotFoundError) as e:
        fl.resolve_method("raft")
    assert "\n" not in str(e.value) and "chroma models fetch raft_large_C_T_V1" in str(e.value)
    with pytest.raises(ModelNotFoundError):
        fl.FlowEstimator("raft")
    with pytest.raises(SettingsError, match="flow method"):
        fl.resolve_method("farneback")
    estimator = fl.FlowEstimator()
    assert estimator.resolved == "dis" and estimator.note


@pytest.fixture()
def random_raft(tmp_path: Path) -> tuple[Path, dict]:
    """A randomly initialised raft_large state_dict, saved as a plain checkpoint."""
    import torch
    from torchvision.models.optical_flow import raft_large

    torch.manual_seed(0)
    state = raft_large(weights=None).state_dict()
    path = tmp_path / "raft_large_C_T_V1-22a6c225.pth"
    torch.save(state, path)
    return path, state


def test_offline_import_and_the_hub_hash_check(model_cache: Path, random_raft) -> None:
    from render import models

    path, _ = random_raft
    cached = models.import_(path)  # found by its file name, checked against raft_large's layout
    assert cached == model_cache / "raft_large_C_T_V1-22a6c225.pth"
    assert fl.resolve_method("auto") == ("raft", None)
    with pytest.raises(ChecksumError, match="22a6c225"):  # not torchvision's bytes
        fl.load_raft()


def test_import_refuses_another_network(model_cache: Path, tmp_path: Path) -> None:
    import torch
    from torchvision.models.optical_flow import raft_small

    from render import models

    path = tmp_path / "raft_large_C_T_V1-22a6c225.pth"
    torch.save(raft_small(weights=None).state_dict(), path)
    with pytest.raises(ModelError, match="does not fit the flow layout"):
        models.import_(path)
    assert not (model_cache / path.name).exists()


def test_raft_loads_and_estimates(model_cache: Path, random_raft,
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import torch

    from render import models
    from render.models import registry

    path, state = random_raft
    entry = replace(registry.REGISTRY[fl.RAFT_MODEL], filename="raft_test.pth")  # no hub hash to check
    monkeypatch.setitem(registry.REGISTRY, fl.RAFT_MODEL, entry)
    models.import_(path, name=fl.RAFT_MODEL)
    model = fl.load_raft()
    assert all(torch.equal(model.state_dict()[k], v) for k, v in state.items())
    with pytest.raises(ModelError, match="not an optical-flow model"):
        fl.load_raft("vgg16_imagenet")
    estimator = fl.FlowEstimator("raft", iterations=1)
    estimator.__dict__["_raft"] = model  # the loaded network, not a second load
    a = _texture(130, 141)  # not multiples of 8: padded for RAFT and cropped back
    flow = estimator(a, _texture(130, 141, 1.0, 0.0))
    assert flow.shape == (130, 141, 2) and flow.dtype == np.float32 and np.isfinite(flow).all()
    with pytest.raises(SettingsError, match="128x128"):
        estimator(np.zeros((64, 200)), np.zeros((64, 200)))


def test_the_docs_example_runs(model_cache: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """docs/flow.md's example runs as written (DIS here: the model cache is empty)."""
    import re

    text = (Path(__file__).resolve().parents[2] / "docs" / "flow.md").read_text()
    (block,) = re.findall(r"```python\n(.*?)```", text, flags=re.S)
    scope: dict[str, object] = {}
    exec(compile(block, "docs/flow.md", "exec"), scope)
    flow = scope["flow"]
    assert isinstance(flow, np.ndarray)
    np.testing.assert_allclose(np.median(flow[32:-32, 32:-32].reshape(-1, 2), axis=0), [-2, -1], atol=0.05)
    assert "DIS" in capsys.readouterr().out
