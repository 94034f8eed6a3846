"""A saved state is continued from only when the shot's settings for its frame are the ones
it was saved with (issue #23: a shot edited after its states were saved, or after a DD
import, no longer resumes silently from them).

Expected messages and frames are worked out by hand from the rule in docs/shots.md
("Resuming"): the earliest saved state up to the one continued from whose hash differs
is named, with the command that renders again from the newest state before it."""

from __future__ import annotations

import hashlib
import re

import numpy as np
import pytest

from chroma.cli import main
from chroma.pipeline.plan import check_settings, same_settings
from chroma.shot import ShotError
from tests.render.test_shot_runner import SHOT_2D, _shot

_A = hashlib.sha256(b"a").hexdigest()
_B = hashlib.sha256(b"b").hexdigest()


def test_a_16_digit_hash_of_earlier_versions_compares_as_its_prefix() -> None:
    assert same_settings(_A, _A) and not same_settings(_B, _A)
    assert same_settings(_A[:16], _A) and not same_settings(_B[:16], _A)
    assert not same_settings(_A[:15], _A)  # only the 16 digits earlier versions wrote
    assert same_settings(None, _A)  # a state without a hash (none written before the hash existed)


def test_the_earliest_changed_state_is_named_with_the_command_from_the_state_before_it() -> None:
    saved = {0: _A, 3: _A, 6: _B, 9: _B}
    check_settings(3, [0, 3, 6, 9], saved.get, lambda i: _A, 1001, 12)  # up to 3: unchanged
    check_settings(-1, [0, 3, 6, 9], saved.get, lambda i: _B, 1001, 12)  # from the first frame: nothing compared
    with pytest.raises(ShotError) as e:
        check_settings(9, [0, 3, 6, 9], saved.get, lambda i: _A, 1001, 12)
    assert "the state after frame 1007 was saved" in str(e.value)  # index 6, the earliest that differs
    assert "--frames 1005-1012 --overwrite" in str(e.value)  # after the state of index 3 (file 1004)
    with pytest.raises(ShotError, match="render again from frame 1001 with --frames 1001-1012 --overwrite"):
        check_settings(0, [0, 3], {0: _B}.get, lambda i: _A, 1001, 12)


def test_resume_after_an_edit_exits_2_naming_the_frame_and_the_suggested_command_renders(
        capsys, tiny_unet_model, tiny_clip_in_cache, tmp_path) -> None:
    text = SHOT_2D.replace("frames_scale = 500", "frames_scale = 500\nstate_every = 2")
    shot = _shot(tmp_path, tiny_clip_in_cache, frames=6, steps=2, text=text)
    assert main(["render", str(shot), "--frames", "1001-1005"]) == 0
    capsys.readouterr()
    out = tmp_path / "out"
    before = {n: (out / f"sh010.{n}.exr").read_bytes() for n in range(1001, 1006)}
    # a prompt change from frame 1004 (shot index 3) on: the states after 1001 and 1003 stay valid
    shot.write_text(shot.read_text().replace('2 = ["a lighthouse at dawn:1"]',
                                             '2 = ["a lighthouse at dawn:1"]\n3 = ["a harbour at night:1"]'))
    assert main(["render", str(shot), "--resume"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "Traceback" not in err[0], err
    assert "the state after frame 1005 was saved" in err[0] and "--frames 1004-1006 --overwrite" in err[0], err
    assert not (out / "sh010.1006.exr").exists()  # refused before anything rendered
    assert main(["render", str(shot), "--frames", "1001-1006", "--resume"]) == 2  # resume reads the same states
    capsys.readouterr()
    assert main(["render", str(shot), "--resume", "--settings-changed", "--dry-run"]) == 0  # on purpose: planned
    assert "would render frames 1006 of" in capsys.readouterr().out

    assert main(["render", str(shot), "--frames", "1004-1006", "--overwrite"]) == 0
    printed = capsys.readouterr().out
    assert [int(n) for n in re.findall(r"^frame (\d+) ", printed, re.M)] == [1004, 1005, 1006]  # from the state after 1003
    assert all((out / f"sh010.{n}.exr").read_bytes() == before[n] for n in (1001, 1002, 1003))
    # the states after 1004 and 1005 were saved again with the shot's settings: 1006 from the one after 1005
    assert main(["render", str(shot), "--frames", "1006", "--overwrite"]) == 0, capsys.readouterr().err
    assert [int(n) for n in re.findall(r"^frame (\d+) ", capsys.readouterr().out, re.M)] == [1006]


def test_a_state_with_the_16_digits_of_earlier_versions_resumes(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                 tmp_path) -> None:
    from chroma.pipeline.statefile import read_state_file, write_state_file

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2)
    assert main(["render", str(shot), "--frames", "1001-1002"]) == 0
    state = tmp_path / "out" / "sh010.state" / "state.000001.npz"
    meta, arrays = read_state_file(state)
    with open(state, "wb") as fh:
        write_state_file(fh, {**meta, "settings_hash": meta["settings_hash"][:16]}, arrays)
    assert main(["render", str(shot), "--resume"]) == 0, capsys.readouterr().err
    assert (tmp_path / "out" / "sh010.1003.exr").exists()
    with open(state, "wb") as fh:  # a wrong 16-digit hash is refused
        write_state_file(fh, {**meta, "settings_hash": "0" * 16}, arrays)
    assert main(["render", str(shot), "--frames", "1003", "--overwrite"]) == 2
    assert "the state after frame 1002 was saved" in capsys.readouterr().err
    assert np.isfinite(arrays["prev"]).all()
