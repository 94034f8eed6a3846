"""chroma's gamut mapping against CSS Color 4, 13.2.2 "Binary Search Gamut Mapping with
Local MINDE", implemented here independently from the spec's steps (scalar, one colour at
a time), with Ottosson's published OKLab matrices for linear sRGB
(https://bottosson.github.io/posts/oklab/) -- no chroma code."""

from __future__ import annotations

import math

import numpy as np
import pytest

from chroma import oklab

# Ottosson, "A perceptual color space for image processing" (2020, 2021 update)
M1 = np.array([[0.4122214708, 0.5363325363, 0.0514459929],
               [0.2119034982, 0.6806995451, 0.1073969566],
               [0.0883024619, 0.2817188376, 0.6299787005]])
M2 = np.array([[0.2104542553, 0.7936177850, -0.0040720468],
               [1.9779984951, -2.4285922050, 0.4505937099],
               [0.0259040371, 0.7827717662, -0.8086757660]])
M1_INV, M2_INV = np.linalg.inv(M1), np.linalg.inv(M2)


def lin_to_oklch(rgb):
    lms = M1 @ np.asarray(rgb, float)
    L, a, b = M2 @ np.cbrt(lms)
    return L, math.hypot(a, b), math.degrees(math.atan2(b, a))


def oklch_to_lin(L, C, h):
    a, b = C * math.cos(math.radians(h)), C * math.sin(math.radians(h))
    lms = (M2_INV @ np.array([L, a, b])) ** 3
    return M1_INV @ lms


def delta_eok(c1, c2):
    """CSS 13.3: Euclidean distance in OKLab, from OKLCh values."""
    def lab(c):
        L, C, h = c
        return np.array([L, C * math.cos(math.radians(h)), C * math.sin(math.radians(h))])
    return float(np.linalg.norm(lab(c1) - lab(c2)))


def css_gamut_map(origin):
    """CSS Color 4 13.2.2, step by step, destination linear sRGB ([0, 1] per channel)."""
    origin_oklch = lin_to_oklch(origin)  # step 2
    if origin_oklch[0] >= 1.0:  # step 3
        return np.ones(3)
    if origin_oklch[0] <= 0.0:  # step 4
        return np.zeros(3)

    def in_gamut(rgb):  # step 5
        return bool(np.all(rgb >= 0.0) and np.all(rgb <= 1.0))

    def clip(rgb):
        return np.clip(rgb, 0.0, 1.0)

    if in_gamut(np.asarray(origin, float)):  # step 6
        return np.asarray(origin, float)
    jnd, epsilon = 0.02, 0.0001  # steps 7, 8
    L, C, h = origin_oklch
    current = (L, C, h)  # step 9
    clipped = clip(oklch_to_lin(*current))  # step 10
    e = delta_eok(lin_to_oklch(clipped), current)  # step 11
    if e < jnd:  # step 12
        return clipped
    lo, hi, min_in_gamut = 0.0, C, True  # steps 13-15
    while hi - lo > epsilon:  # step 16
        chroma = (lo + hi) / 2
        current = (L, chroma, h)
        rgb = oklch_to_lin(*current)
        if min_in_gamut and in_gamut(rgb):
            lo = chroma
            continue
        clipped = clip(rgb)
        e = delta_eok(lin_to_oklch(clipped), current)
        if e < jnd:
            if jnd - e < epsilon:
                return clipped
            min_in_gamut = False
            lo = chroma
        else:
            hi = chroma
    return clipped  # step 17


def _out_of_gamut_colours(n, seed):
    rng = np.random.default_rng(seed)
    lch = np.stack([rng.uniform(0.05, 0.97, n), rng.uniform(0.02, 0.4, n), rng.uniform(0, 360, n)], -1)
    lin = np.array([oklch_to_lin(*c) for c in lch])
    bad = np.any((lin < 0) | (lin > 1), axis=1)
    return lin[bad]


def test_issue_example_matches_css():
    c = [-0.01042, -0.02608, 1.28431]
    want = css_gamut_map(c)
    np.testing.assert_allclose(want, [0.0, 0.0064, 1.0], atol=1e-4)  # the spec's answer, as the issue gives it
    got = oklab.gamut_map(np.array(c), "linear-sRGB", upper=1.0)
    np.testing.assert_allclose(got, want, atol=1e-5)


def test_gamut_map_follows_css_color_4():
    colours = _out_of_gamut_colours(800, 20261129)
    assert len(colours) > 300
    got = oklab.gamut_map(colours, "linear-sRGB", upper=1.0)
    want = np.array([css_gamut_map(c) for c in colours])
    de = np.array([delta_eok(lin_to_oklch(g), lin_to_oklch(w)) for g, w in zip(got, want)])
    # same algorithm, same constants: equal but for float rounding in the bisection
    assert np.percentile(de, 99) < 1e-6, np.sort(de)[-10:]
    assert de.max() < 2e-3


def test_restore_hue_is_an_option_not_the_default():
    colours = _out_of_gamut_colours(400, 7)
    default = oklab.gamut_map(colours, "linear-sRGB", upper=1.0)
    hue_kept = oklab.gamut_map(colours, "linear-sRGB", upper=1.0, restore_hue=True)
    assert not np.allclose(default, hue_kept)  # the option does something...
    want = np.array([css_gamut_map(c) for c in colours])
    np.testing.assert_allclose(default, want, atol=1e-3)  # ...and the default is CSS


@pytest.mark.parametrize("c", [[1.2, 1.1, 1.05], [-0.001, -0.002, -0.001]])
def test_white_and_black_rules(c):
    np.testing.assert_allclose(oklab.gamut_map(np.array(c), "linear-sRGB", upper=1.0), css_gamut_map(c), atol=1e-9)
