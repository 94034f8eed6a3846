"""The collapse guard (chroma.guard): its measures against colour-science's OKLab and
analytic frames, and where it fires on synthetic sequences (tests/guard_sequences.py)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from chroma.guard import (
    CollapseGuard,
    GuardSettings,
    blend_noise,
    frame_measures,
    renoise_skip_steps,
    scan_sequence,
)
from tests import guard_sequences as seqs


def _oklab_colour(code: np.ndarray) -> np.ndarray:
    import colour

    return colour.XYZ_to_Oklab(colour.sRGB_to_XYZ(code))  # independent: colour-science's sRGB -> XYZ -> Oklab


def _box_mean(x: np.ndarray, w: int) -> np.ndarray:
    """The mean over a w x w window, edges repeated: numpy's sliding windows (independent of scipy)."""
    r = w // 2
    return np.lib.stride_tricks.sliding_window_view(np.pad(x, r, mode="edge"), (w, w)).mean((-2, -1))


def test_measures_equal_colour_sciences_oklab() -> None:
    frame = seqs.texture(5, 32)
    m = frame_measures(frame)
    lab = _oklab_colour(frame.astype(np.float64))
    L = lab[..., 0]
    assert m["lightness_spread"] == pytest.approx(L.std(), abs=1e-3)
    lit = np.maximum(L, 0.1)
    assert m["chroma_spread"] == pytest.approx(np.sqrt((lab[..., 1] / lit).var() + (lab[..., 2] / lit).var()), rel=2e-3)
    assert m["mean_L"] == pytest.approx(L.mean(), abs=1e-3)
    fine = L - _box_mean(L, 5)  # 32 / 8 = 4 -> the odd window 5
    grad = np.hypot(np.diff(fine, axis=1)[:-1], np.diff(fine, axis=0)[:, :-1]).mean()
    assert m["detail"] == pytest.approx(grad, rel=2e-3)


def test_measures_of_analytic_frames() -> None:
    flat = np.full((8, 8, 3), (0.8, 0.3, 0.1), np.float32)
    m = frame_measures(flat)
    assert m["lightness_spread"] == m["chroma_spread"] == m["detail"] == 0.0
    # black | white halves: L is 0 and 1 -> spread 0.5. Detail (3 x 3 window, edges repeated): a row's
    # L 0 0 0 0 1 1 1 1 has local means 0 0 0 1/3 2/3 1 1 1, fine structure 0 0 0 -1/3 1/3 0 0 0,
    # steps 1/3, 2/3, 1/3 among 7: 4/21
    half = np.zeros((8, 8, 3), np.float32)
    half[:, 4:] = 1.0
    m = frame_measures(half)
    assert m["lightness_spread"] == pytest.approx(0.5, abs=1e-4)
    assert m["chroma_spread"] == pytest.approx(0.0, abs=1e-4)
    assert m["detail"] == pytest.approx(4.0 / 21.0, abs=1e-4)
    # red | green halves: two chromaticities (a/L, b/L), half the pixels each -> half their distance
    rg = np.zeros((8, 8, 3), np.float32)
    rg[:, :4] = (1.0, 0.0, 0.0)
    rg[:, 4:] = (0.0, 1.0, 0.0)
    red, green = _oklab_colour(np.array([[1.0, 0.0, 0.0], [0.0, 1.0, 0.0]]))
    expected = np.hypot(*(red[1:] / red[0] - green[1:] / green[0])) / 2
    assert frame_measures(rg)["chroma_spread"] == pytest.approx(expected, rel=1e-3)


@pytest.mark.parametrize("kind", ["ramp", "vignette"])
def test_one_hue_shaded_has_no_chroma_spread_and_little_detail(kind) -> None:
    # OKLab L, a, b are homogeneous of degree 1/3 in linear light: shading one colour per pixel
    # leaves a/L and b/L unchanged, so the chromaticity spread is 0 while the lightness spreads
    frame = seqs.shaded_fade(kind, n=1, start=-1, end=0)[0]
    m, textured = frame_measures(frame), frame_measures(seqs.texture(1, 48))
    assert m["chroma_spread"] == pytest.approx(0.0, abs=2e-3)
    # a gradient, not a flat frame: as much lightness spread as the texture, for much less detail
    assert m["lightness_spread"] / m["mean_L"] > 0.5 * textured["lightness_spread"] / textured["mean_L"]
    assert m["detail"] / m["mean_L"] < 0.1 * textured["detail"] / textured["mean_L"]


def test_fires_on_a_fade_to_one_colour_within_three_frames_of_the_collapse() -> None:
    # the texture fades from frame 12 and is one flat colour from frame 30
    g = CollapseGuard()
    events = [g.observe(i, f) for i, f in enumerate(seqs.fade(n=40, start=12, end=30))]
    first = g.fired_at[0]
    assert 20 <= first <= 30 + 3, g.fired_at
    assert events[first].fired and events[first].action == "warn"
    assert set(events[first].below) == {"lightness", "chroma", "detail"}
    assert all(not e.fired for e in events[:first])


@pytest.mark.parametrize("kind, colour", [
    ("ramp", (0.85, 0.45, 0.15)), ("vignette", (0.85, 0.45, 0.15)),
    ("ramp", (0.2, 0.5, 0.9)), ("vignette", (0.9, 0.9, 0.2)), ("ramp", (0.5, 0.5, 0.5)),
])
def test_fires_on_a_fade_to_one_hue_with_a_gradient_or_vignette(kind, colour) -> None:
    # #21 item 13: the end frame keeps its lightness spread (a gradient), yet has one hue and no detail
    g = CollapseGuard()
    events = [g.observe(i, f) for i, f in enumerate(seqs.shaded_fade(kind, n=40, start=12, end=30, colour=colour))]
    assert g.fired_at, [e.ratios for e in events[-3:]]
    first = g.fired_at[0]
    assert 20 <= first <= 30 + 3, g.fired_at
    assert {"chroma", "detail"} <= set(events[first].below)
    assert events[-1].ratios["lightness"] > 0.5  # the lightness did not collapse
    assert all(not e.fired for e in events[:first])


def test_decisive_measures() -> None:
    from chroma.guard import decisive

    assert decisive(["lightness", "chroma", "detail"]) == ["chroma", "detail"]
    assert decisive(["lightness", "detail"]) == ["lightness", "detail"]  # a monochrome shot
    assert decisive(["lightness", "chroma"]) == ["lightness", "chroma"]  # detail_ratio = 0
    assert decisive(["chroma"]) == ["chroma"] and decisive([]) == []


def _monochrome(frames: list) -> list:
    return [np.repeat(f.mean(-1, keepdims=True), 3, -1) for f in frames]


@pytest.mark.parametrize("name, frames", [
    ("varied", lambda: seqs.varied(40)),
    ("slow zoom", lambda: seqs.zoom(60)),
    ("monochrome slow zoom", lambda: _monochrome(seqs.zoom(60))),
    ("dark from the start", lambda: seqs.varied(40, gain=0.25)),
    ("getting darker, still detailed", lambda: seqs.darken(40, to=0.2)),
])
def test_stays_quiet(name, frames) -> None:
    g = CollapseGuard()
    events = [g.observe(i, f) for i, f in enumerate(frames())]
    assert g.fired_at == [], (name, [e.ratios for e in events if e.below])


def test_fires_after_n_low_frames_in_a_row_and_not_in_warmup() -> None:
    frames = seqs.fade(n=20, start=0, end=1)  # flat from frame 1
    g = CollapseGuard(GuardSettings(warmup=1, frames=4))
    events = [g.observe(i, f) for i, f in enumerate(frames)]
    assert g.fired_at[0] == 4 and [e.run for e in events[1:4]] == [1, 2, 3]
    g = CollapseGuard(GuardSettings(warmup=6, frames=1))
    [g.observe(i, f) for i, f in enumerate(seqs.fade(n=10, start=4, end=5))]
    assert g.fired_at[0] == 6  # frame 5 is flat but still in the warm-up (the reference: their median)


def test_state_round_trips_through_json() -> None:
    frames = seqs.fade(n=30, start=5, end=15)
    st = GuardSettings(action="renoise", warmup=4, frames=2)
    a = CollapseGuard(st)
    ea = [a.observe(i, f) for i, f in enumerate(frames)]
    b = CollapseGuard(st)
    eb = [b.observe(i, f) for i, f in enumerate(frames[:12])]
    b = CollapseGuard.from_dict(json.loads(json.dumps(b.to_dict())), st)
    eb += [b.observe(i, f) for i, f in enumerate(frames[12:], 12)]
    assert [e.to_dict() for e in ea] == [e.to_dict() for e in eb]
    assert a.fired_at == b.fired_at and a.fired_at


def test_renoise_eases_back_to_the_shots_values() -> None:
    g = CollapseGuard(GuardSettings(action="renoise", warmup=1, frames=1, renoise_frames=4, renoise_skip=0.5,
                                    renoise_scale=0.4, renoise_noise=0.2, strength=[1.0] * 5 + [0.5] * 20))
    for i, f in enumerate(seqs.fade(n=3, start=0, end=1)):
        g.observe(i, f)
    assert g.fired_at == [1]
    ovs = [g.renoise(i, seed=100 + i) for i in range(2, 8)]
    assert [round(o.strength, 6) if o else None for o in ovs] == [1.0, 0.75, 0.5, 0.125, None, None]
    assert ovs[0].skip_factor == pytest.approx(0.5) and ovs[0].scale_factor == pytest.approx(0.6)
    assert ovs[0].noise == pytest.approx(0.2) and ovs[0].noise_seed == 102
    assert renoise_skip_steps("60%", 0.5) == "30%" and renoise_skip_steps(150, 0.5) == 75
    x = np.zeros((1, 3, 8, 8), np.float32)
    assert np.array_equal(blend_noise(x, 0.3, 7), blend_noise(x, 0.3, 7))
    assert not np.array_equal(blend_noise(x, 0.3, 7), blend_noise(x, 0.3, 8))
    assert np.abs(blend_noise(x, 0.3, 7)).max() <= 1.0 and blend_noise(x, 0.3, 7).std() == pytest.approx(0.3, rel=0.1)



def test_blend_noise_is_the_stated_blend_clipped_to_the_models_range() -> None:
    """(1 - a) * init + a * n, clipped to [-1, 1]: with init 0.9 and a = 0.5 about 14% of the pixels would pass 1
    (n > 1.1) and must be clipped there; the others are the blend itself."""
    init = np.full((1, 3, 64, 64), 0.9, np.float32)
    out = blend_noise(init, 0.5, 11)
    n = np.random.default_rng(np.random.SeedSequence([11, 0x6775617264])).standard_normal(init.shape, dtype=np.float32)
    expected = 0.5 * init + np.float32(0.5) * n
    assert (expected > 1).mean() > 0.1  # the case the clip is for
    np.testing.assert_allclose(out, np.clip(expected, -1, 1), rtol=0, atol=1e-6)
    assert out.max() == 1.0 and out.dtype == np.float32


def test_scan_sequence_reads_png_frames(tmp_path) -> None:
    from chroma import Image, io

    for i, f in enumerate(seqs.fade(n=36, start=12, end=30, size=32)):
        io.write(Image(f, ["R", "G", "B"], "sRGB - Display", {}), tmp_path / f"frames.{i:04d}.png")
    out = scan_sequence(str(tmp_path / "frames.####.png"))
    assert 20 <= out["fired_at"] <= 33
    assert sorted(map(int, out["frames"])) == list(range(36))
    assert out["frames"]["0"]["lightness_ratio"] is None and out["frames"]["20"]["lightness_ratio"] > 0


BASE = """\
max_frames = 20

[output]
pattern = "out/sh.####.exr"

[prompts]
0 = ["x:1"]
"""


@pytest.mark.parametrize("section, message", [
    ('[guard]\nacton = "stop"\n', r"sh\.toml:10: guard\.acton: unknown key; did you mean 'action'\?"),
    ('[guard]\naction = "explode"\n', r"sh\.toml:10: guard\.action: must be one of warn, renoise, stop"),
    ('[guard]\nstrength = "0: (1), 30: (0)"\n', r"sh\.toml:10: guard\.strength: .*30"),
    ('[guard]\nframes = 0\n', r"sh\.toml:10: guard\.frames: must be at least 1"),
    ('[coherence]\nreference = 25\n', r"sh\.toml:10: coherence\.reference: frame 25 is outside the shot \(0-19\)"),
    ('[coherence]\nreference = "plate"\n', r"coherence\.reference: \"plate\" needs a plate"),
    ('[coherence]\nmode = "hist"\n', r"sh\.toml:10: coherence\.mode: must be one of stats, histogram"),
    ('[coherence]\nstrenght = 1\n', r"did you mean 'strength'\?"),
])
def test_shot_sections_are_validated_with_lines(tmp_path, section, message) -> None:
    from chroma.shot import ShotError, load_shot

    path = tmp_path / "sh.toml"
    path.write_text(BASE + "\n" + section)
    with pytest.raises(ShotError, match=message):
        load_shot(path)


def test_shot_sections_parse(tmp_path) -> None:
    from chroma.shot import load_shot

    path = tmp_path / "sh.toml"
    path.write_text(BASE + '\n[guard]\naction = "renoise"\nstrength = "0: (1), 19: (0)"\ndetail_ratio = 0\n'
                    '\n[coherence]\nreference = 3\nmode = "histogram"\nstrength = 0.5\n')
    shot = load_shot(path)
    assert shot.guard.action == "renoise" and shot.guard.strength_at(19) == 0.0
    assert shot.guard.strength_at(10) == pytest.approx(1 - 10 / 19)
    assert shot.guard.ratios == {"lightness": 0.35, "chroma": 0.35, "detail": 0.0}
    assert shot.coherence.reference == 3 and shot.coherence.mode == "histogram" and shot.coherence.strength_at(7) == 0.5
    path.write_text(BASE + "\n[guard]\nenabled = false\n")
    assert load_shot(path).guard is None and load_shot(path).coherence is None


def test_cli_guard_json(capsys, tmp_path) -> None:
    from chroma import Image, io
    from chroma.cli import main

    for i, f in enumerate(seqs.fade(n=20, start=4, end=12, size=24)):
        io.write(Image(f, ["R", "G", "B"], "sRGB - Display", {}), tmp_path / f"dd.{1001 + i}.png")
    assert main(["shot", "guard", str(tmp_path / "dd.####.png"), "--json", "--warmup", "3"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"fired_at", "frames"} and 1008 <= data["fired_at"] <= 1015
    assert data["frames"]["1001"]["lightness_ratio"] is None
    assert data["frames"]["1019"]["lightness_spread"] == 0.0
    assert main(["shot", "guard", str(tmp_path / "dd.####.png")]) == 0
    assert "would have fired at frame 10" in capsys.readouterr().out
    assert main(["shot", "guard", str(tmp_path / "nothing.####.png")]) == 2


def test_schedule_at_is_a_constant_or_the_frame_value_clamped():
    from chroma.coherence import CoherenceSettings
    from chroma.guard import schedule_at

    assert schedule_at(0.25, -3) == 0.25 and schedule_at(1, 99) == 1.0
    values = [0.0, 0.5, 0.75]
    assert [schedule_at(values, i) for i in (-1, 0, 1, 2, 3, 40)] == [0.0, 0.0, 0.5, 0.75, 0.75, 0.75]
    assert schedule_at(np.array([0.1, 0.2]), 1) == pytest.approx(0.2)
    assert GuardSettings(strength=values).strength_at(5) == 0.75
    assert CoherenceSettings(strength=values).strength_at(1) == 0.5
