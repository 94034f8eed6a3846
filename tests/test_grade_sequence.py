"""chroma.grade.grade_sequence: the API behind ``chroma grade IN -o OUT``, checked against
colour-science (CIE 1960 UCS Planckian locus by Ohno 2013, CIE D daylight, Bradford von Kries
adaptation, AP1 -> AP0 primaries) and a median of log2 luminance computed here."""

from __future__ import annotations

import warnings

import colour
import numpy as np
import pytest

from chroma import Image, read, write
from chroma import grade as G
from chroma.errors import ChromaError


@pytest.fixture
def frames(tmp_path):
    rng = np.random.default_rng(5)
    plan = []
    for f in (1001, 1002):
        px = rng.uniform(0.01, 2.0, (6, 8, 4)).astype(np.float32)
        write(Image(px, ["R", "G", "B", "A"], "ACEScg"), tmp_path / f"p.{f}.exr", dtype="float")
        plan.append((f, str(tmp_path / f"p.{f}.exr"), str(tmp_path / f"g.{f}.exr")))
    return plan


def _expected(rgb: np.ndarray, stops: float) -> np.ndarray:
    """Exposure, Bradford 3200 K (Planckian) -> 6504 K (CIE D) in ACEScg, then AP0, by colour-science."""
    acescg, ap0 = colour.RGB_COLOURSPACES["ACEScg"], colour.RGB_COLOURSPACES["ACES2065-1"]
    src = colour.xy_to_XYZ(colour.UCS_uv_to_xy(colour.temperature.CCT_to_uv_Ohno2013(np.array([3200.0, 0.0]))))
    dst = colour.xy_to_XYZ(colour.temperature.CCT_to_xy_CIE_D(6504.0))
    xyz = colour.RGB_to_XYZ(rgb * 2.0 ** stops, acescg, illuminant=acescg.whitepoint, chromatic_adaptation_transform=None)
    xyz = colour.chromatic_adaptation(xyz, src, dst, method="Von Kries", transform="Bradford")
    return colour.XYZ_to_RGB(xyz, ap0, illuminant=ap0.whitepoint, chromatic_adaptation_transform=None)


def test_grade_sequence_pixels_equal_colour_science(frames):
    grade = G.Grade([G.Exposure(0.75), G.WhiteBalance(3200, 6504, method="Bradford")])
    result = G.grade_sequence(frames, grade, "ACES2065-1", write_options={"dtype": "float"}, jobs=1)
    assert (result.total, result.written, result.failures, result.colorspace) == (2, 2, [], "ACES2065-1")
    for _f, src, dst in frames:
        a, b = read(src), read(dst)
        assert b.colorspace == "ACES2065-1"
        np.testing.assert_allclose(b.pixels[..., :3], _expected(a.pixels[..., :3].astype(np.float64), 0.75),
                                   rtol=2e-5, atol=1e-6)
        np.testing.assert_array_equal(b.pixels[..., 3], a.pixels[..., 3])  # alpha passes through


def test_grade_sequence_matches_exposure_to_a_reference(frames, tmp_path):
    ref = np.full((4, 4, 3), 0.36, np.float32) * np.array([1.0, 0.9, 0.8], np.float32)
    write(Image(ref, colorspace="ACEScg"), tmp_path / "ref.exr", dtype="float")
    grade = G.Grade([G.WhiteBalance(3200, 6504, method="Bradford")])
    result = G.grade_sequence(frames, grade, match_exposure=str(tmp_path / "ref.exr"),
                              write_options={"dtype": "float"}, jobs=1)
    # the median log2 luminance (AP1 luminance weights) of the graded first frame, computed here
    ap1 = colour.RGB_COLOURSPACES["ACEScg"]
    graded = _expected(read(frames[0][1]).pixels[..., :3].astype(np.float64), 0.0)
    graded = colour.RGB_to_RGB(graded, colour.RGB_COLOURSPACES["ACES2065-1"], ap1)
    y_frame = colour.RGB_luminance(graded, ap1.primaries, ap1.whitepoint)
    y_ref = colour.RGB_luminance(ref.astype(np.float64), ap1.primaries, ap1.whitepoint)
    shift = float(np.median(np.log2(y_ref)) - np.median(np.log2(y_frame)))
    assert result.exposure_shift == pytest.approx(shift, abs=2e-5)
    assert [op.to_dict()["type"] for op in result.grade.operations] == ["white_balance", "exposure"]
    for _f, src, dst in frames:  # every frame gets the same shift
        expect = _expected(read(src).pixels[..., :3].astype(np.float64), shift)
        expect = colour.RGB_to_RGB(expect, colour.RGB_COLOURSPACES["ACES2065-1"], ap1)
        np.testing.assert_allclose(read(dst).pixels[..., :3], expect, rtol=1e-4, atol=1e-6)


def test_grade_sequence_reports_a_failed_frame_and_warns_on_identity(frames, tmp_path):
    with open(frames[1][1], "wb") as fh:
        fh.write(b"not an exr")
    seen: list[str] = []
    with pytest.warns(UserWarning, match="no operation"):
        result = G.grade_sequence(frames, G.Grade(), write_options={"dtype": "float"}, jobs=1,
                                  on_done=seen.append, on_fail=lambda p, why: None)
    assert result.written == 1 and [p for p, _ in result.failures] == [frames[1][1]]
    assert seen == [frames[0][1]]
    np.testing.assert_array_equal(read(frames[0][2]).pixels, read(frames[0][1]).pixels)


def test_match_exposure_without_a_frame_on_disk(tmp_path):
    write(Image(np.full((2, 2, 3), 0.18, np.float32)), tmp_path / "ref.exr")
    with pytest.raises(ChromaError, match="input frame"):
        G.prepare_sequence([(1, str(tmp_path / "none.exr"), str(tmp_path / "o.exr"))], G.Grade([G.Exposure(1)]),
                           match_exposure=str(tmp_path / "ref.exr"))


def test_identity_warning_only_without_operation_or_colour_space_change():
    with pytest.warns(UserWarning, match="identity copy"):
        assert G.warn_if_identity(G.Grade()) is True
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert G.warn_if_identity(G.Grade(), "ACES2065-1") is False
        assert G.warn_if_identity(G.Grade([G.Exposure(0.5)])) is False


def _spawned_children(proc) -> list:
    """The multiprocessing workers (and helpers) ``proc`` has spawned so far."""
    return [c for c in proc.children(recursive=True)
            if any("multiprocessing" in part for part in c.cmdline())]


def test_workers_end_when_the_parent_is_killed(tmp_path):
    """#21 item 6: SIGKILL of a ``chroma grade --jobs 2`` parent must not leave its workers running."""
    import os
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    if not sys.platform.startswith("linux"):
        pytest.skip("SIGKILL and /proc semantics checked on Linux")
    px = np.random.default_rng(1).uniform(0.0, 1.0, (256, 256, 3)).astype(np.float32)
    write(Image(px, colorspace="ACEScg"), tmp_path / "p.0001.exr", dtype="float")
    for f in range(2, 1001):  # a sequence far longer than the test waits: links of one frame
        os.link(tmp_path / "p.0001.exr", tmp_path / f"p.{f:04d}.exr")
    out = tmp_path / "out"
    out.mkdir()
    cmd = [sys.executable, "-m", "chroma", "grade", str(tmp_path / "p.####.exr"), "-o", str(out / "g.####.exr"),
           "--exposure", "0.5", "--jobs", "2", "-q"]
    parent = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    proc = psutil.Process(parent.pid)
    workers: list = []
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and parent.poll() is None:
            workers = _spawned_children(proc)
            if len(workers) >= 2 and len(os.listdir(out)) >= 2:  # both workers are grading
                break
            time.sleep(0.05)
        assert parent.poll() is None and len(workers) >= 2, "the grade ended before it could be killed"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs(workers, timeout=5)
        assert alive == [], f"workers still running 5 s after their parent was killed: {alive}"
        assert not [n for n in os.listdir(out) if "chroma-tmp" in n], "a killed worker left its temporary file"
    finally:
        for w in workers:  # the processes this test started, by id
            try:
                w.kill()
            except psutil.NoSuchProcess:
                pass
        if parent.poll() is None:
            parent.kill()
            parent.wait()


def test_end_with_parent_fallback_thread_without_prctl(tmp_path):
    """Where prctl is unavailable (not Linux), a thread watching os.getppid() ends the worker."""
    import signal
    import subprocess
    import sys
    import time

    psutil = pytest.importorskip("psutil")
    if not hasattr(signal, "SIGKILL"):
        pytest.skip("needs POSIX signals")
    child = ("import sys, time; sys.platform = 'darwin'; from chroma.grade.frames import end_with_parent; "
             "print(end_with_parent(interval=0.1), flush=True); time.sleep(120)")
    parent_code = ("import subprocess, sys, time; "
                   f"c = subprocess.Popen([sys.executable, '-c', {child!r}], stdout=open({str(tmp_path / 'how')!r}, 'w')); "
                   "print(c.pid, flush=True); time.sleep(120)")
    parent = subprocess.Popen([sys.executable, "-c", parent_code], stdout=subprocess.PIPE, text=True)
    worker = None
    try:
        assert parent.stdout is not None
        worker = psutil.Process(int(parent.stdout.readline()))
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not (tmp_path / "how").read_text():
            time.sleep(0.05)
        assert (tmp_path / "how").read_text().strip() == "thread"
        parent.send_signal(signal.SIGKILL)
        parent.wait()
        gone, alive = psutil.wait_procs([worker], timeout=5)
        assert alive == [], "the worker outlived its parent"
    finally:
        if parent.stdout is not None:
            parent.stdout.close()
        if worker is not None and worker.is_running():
            worker.kill()
        if parent.poll() is None:
            parent.kill()
            parent.wait()
