"""The deprecated ``as_dict`` spellings: each warns, names its replacement and points at its caller."""

import warnings
from types import SimpleNamespace

import numpy as np
import pytest

from chroma.ambient.match import AmbientMatch
from chroma.charts import ChartResult
from chroma.lights.metrics import LightMetrics
from chroma.stops import ExposureStats

_RESULTS = [
    ExposureStats(min_stops=-3.0, median_stops=0.5, max_stops=4.0, valid_pixels=10, nonpositive_pixels=1,
                  nan_values=0, inf_values=2),
    AmbientMatch(from_kelvin=3200.0, from_tint=0.001, to_kelvin=6500.0, to_tint=-0.002, stops=0.25),
    LightMetrics(cct=5600.0, duv=0.002, cri_ra=95.0, cri_ri=(90.0, 91.0), cri_valid=True, tm30_rf=92.0,
                 tm30_rg=101.0, efficacy_lm_per_w=300.0, xy=(0.33, 0.34)),
    ChartResult(light=SimpleNamespace(name="D65"), names=("dark skin",), rgb=np.array([[0.1, 0.08, 0.06]]),
                xyz=np.array([[0.1, 0.09, 0.05]]), delta_e=np.array([1.5]), colorspace="ACEScg",
                white_balanced=False, reference="colour-science", chart="ColorChecker24"),
]


@pytest.mark.parametrize("result", _RESULTS, ids=lambda r: type(r).__name__)
def test_as_dict_warns_and_gives_to_dict(result):
    name = type(result).__name__
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        old = result.as_dict()
    assert [w.category for w in caught] == [DeprecationWarning]
    assert str(caught[0].message) == (f"{name}.as_dict is deprecated and will be removed in the next release; "
                                      f"use {name}.to_dict")
    assert caught[0].filename == __file__  # the warning points at the caller, not at chroma
    assert old == result.to_dict()
    assert result.as_dict.__name__ == "as_dict"
