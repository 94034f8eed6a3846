"""The Nuke script of a shot is written when the run starts (a crash hours later still
leaves one) and rewritten when it ends, however it ends, with the OCIO config pinned."""

from __future__ import annotations

import pytest

from tests.render.test_shot_runner import _config, _shot
from tests.test_nuke import check_pinned_script


def test_the_script_is_there_from_the_start_and_follows_the_frames(tiny_unet_model, tiny_clip_in_cache,
                                                                    tmp_path) -> None:
    from chroma.pipeline import ShotRunner

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=5, steps=2)
    runner = ShotRunner.from_file(shot)
    nk, pattern = runner.nuke_script_path(), str(tmp_path / "out" / "sh010.####.exr")
    seen: list[str] = []

    def on_step(step) -> None:  # during the first frame: the script already reads the planned range
        if not seen:
            seen.append(nk.read_text())

    def on_frame(report) -> None:
        if report.file_frame == 1002:
            raise KeyboardInterrupt  # Ctrl-C after the second frame

    runner.on_step, runner.on_frame = on_step, on_frame
    with pytest.raises(KeyboardInterrupt):
        runner.run(runner.plan())
    assert len(seen) == 1
    check_pinned_script(seen[0], pattern, 1001, 1005, _config())
    check_pinned_script(nk.read_text(), pattern, 1001, 1002, _config())  # what is on disk after the interruption


def test_a_crash_while_the_models_load_leaves_a_script(monkeypatch, tiny_unet_model, tiny_clip_in_cache,
                                                       tmp_path) -> None:
    from chroma.pipeline import ShotRunner

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=4, steps=2)
    runner = ShotRunner.from_file(shot)

    def out_of_memory(self):
        raise MemoryError("loading the models")

    monkeypatch.setattr(ShotRunner, "renderer", out_of_memory)
    with pytest.raises(MemoryError):
        runner.run(runner.plan("1002-1003"))
    check_pinned_script(runner.nuke_script_path().read_text(), str(tmp_path / "out" / "sh010.####.exr"), 1002, 1003,
                        _config())
