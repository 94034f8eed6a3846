"""A Disco Diffusion run cut in two: DD's frames 0-1 imported, chroma renders frame 2 as DD did.

The ``2d`` case of ``loop_golden.npz`` (tests/data/reference/README.md) holds DD's own three
frames. Frames 0 and 1 are written as DD names them, beside DD's settings file, in a folder
(a Colab session that died after frame 1); ``chroma shot import FOLDER`` writes the shot and
the state after frame 1 (DD's PNG through the display view), ``chroma render --resume``
renders frame 2 only, and it is compared with DD's frame 2.

Bound: tests/render/test_dd_loop_golden.py's "previous frame through DD's PNG" test measured
0.149 mean 8-bit levels at frame 2 for the library; the CLI adds the EXR's half floats and the
view and its inverse (0.48 mean at frame 2 in tests/render/test_dd_import_golden.py, where the
previous frame is chroma's float one). Measured here: 0.35 mean, 4 max; held under 0.5 and 8.
Starting from frame 0's PNG in place of frame 1's fails it.
"""

from __future__ import annotations

import json

import numpy as np
import tomlkit
from PIL import Image

from chroma.cli import main
from tests.render.test_dd_import_golden import _dd_settings, _levels_off, golden_unet  # noqa: F401 (fixture)


def _save_dd_state_again(shot, folder) -> None:
    """Save the state from DD's PNG again for the edited shot (the library call the import makes)."""
    from chroma.cli.shot import resume_at
    from chroma.pipeline.ddresume import write_resume_state
    from chroma.shot import load_shot
    from chroma.shot.dd_frames import scan_dd_folder

    loaded, run = load_shot(shot), scan_dd_folder(folder)
    write_resume_state(loaded, run, resume_at(run, loaded))


def test_a_dd_run_cut_after_frame_1_continues_with_dds_frame_2(golden_unet, tmp_path, capsys, reference) -> None:  # noqa: F811
    data = np.load(reference / "loop_golden.npz")
    config = json.loads(bytes(data["meta_json"]).decode())["2d"]["config"]
    folder = tmp_path / "golden"
    folder.mkdir()
    (folder / "golden(0)_settings.txt").write_text(json.dumps(_dd_settings(config), indent=2))
    for i in (0, 1):
        Image.fromarray(data["2d/frames_u8"][i]).save(folder / f"golden(0)_{i:04}.png")
    shot = tmp_path / "sh.toml"
    assert main(["shot", "import", str(folder), "-o", str(shot), "--mode", "2D"]) == 0, capsys.readouterr().err
    err = capsys.readouterr().err
    assert "it continues at frame 2 with seed 9" in err, err
    doc = tomlkit.parse(shot.read_text())
    render = doc["render"]
    render["diffusion_model"] = golden_unet  # what the import cannot know: the golden's models and loss
    render["clip_models"] = ["RN50::random"]
    render["init_loss"] = "mse"
    shot.write_text(tomlkit.dumps(doc))
    # the state was saved with the shot as imported: the edited shot is refused, before models load
    assert main(["render", str(shot), "--resume"]) == 2
    assert "the state after frame 1 was saved" in capsys.readouterr().err
    _save_dd_state_again(shot, folder)
    assert main(["render", str(shot), "--resume"]) == 0, capsys.readouterr().err
    frames = sorted((tmp_path / "out").glob("*.exr"))
    assert [f.name for f in frames] == ["golden.0002.exr"], frames  # DD's numbering; frames 0-1 are DD's PNGs
    mean, mx = _levels_off(frames[0], data["2d/frames_u8"][2])
    assert mean < 0.5 and mx <= 8, (mean, mx)  # measured 0.35 mean, 4 max (CPU)
