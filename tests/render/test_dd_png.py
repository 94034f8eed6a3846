"""DD-named 8-bit PNGs beside the EXRs (issue #23 item 7): ``[output] dd_png``, ``chroma render
--dd-png`` and ``chroma shot import --dd-png``.

The 8-bit conversion is checked against torchvision's own ``to_pil_image`` (what Disco
Diffusion calls), and the files against DD's own PNGs of the golden ``2d`` case
(``loop_golden.npz``, tests/data/reference/README.md)."""

from __future__ import annotations

import json

import numpy as np
import pytest
import tomlkit
import torch

from chroma.cli import main
from chroma.pipeline.writer import dd_png_u8
from tests.render.test_dd_import_golden import _dd_settings, golden_unet  # noqa: F401 (fixture)


def test_the_8_bit_frame_is_torchvisions_to_pil_image_as_dd_calls_it() -> None:
    from torchvision.transforms import functional as TF

    g = torch.Generator().manual_seed(3)
    image = torch.rand(1, 3, 17, 23, generator=g) * 2.4 - 1.2  # outside [-1, 1] too (clamped)
    image[0, 0, 0, :6] = torch.tensor([-1.0, 1.0, 0.0, 1 / 255 - 1, 2 / 255 - 1 - 1e-6, 0.999])
    dd = np.array(TF.to_pil_image(image[0].add(1).div(2).clamp(0, 1)))  # disco.py do_run, then image.save
    ours = dd_png_u8(image)
    assert ours.dtype == np.uint8 and ours.shape == (17, 23, 3)
    assert np.array_equal(ours, dd)
    assert list(ours[0, :6, 0]) == [0, 255, 127, 0, 0, 254]  # truncation: 127.5 -> 127, 1.0 of a level -> 0 or 1


def _golden_shot(tmp_path, capsys, golden_unet, reference, *import_args: str):  # noqa: F811
    data = np.load(reference / "loop_golden.npz")
    config = json.loads(bytes(data["meta_json"]).decode())["2d"]["config"]
    folder = tmp_path / "golden"
    folder.mkdir()
    (folder / "golden(0)_settings.txt").write_text(json.dumps(_dd_settings(config), indent=2))
    shot = tmp_path / "sh.toml"
    assert main(["shot", "import", str(folder / "golden(0)_settings.txt"), "-o", str(shot), "--mode", "2D",
                 *import_args]) == 0, capsys.readouterr().err
    doc = tomlkit.parse(shot.read_text())
    render = doc["render"]
    render["diffusion_model"] = golden_unet
    render["clip_models"] = ["RN50::random"]
    render["init_loss"] = "mse"
    shot.write_text(tomlkit.dumps(doc))
    return shot, data, doc


@pytest.mark.slow  # about 40 s on 2 cores (the golden's RN50 made three times)
def test_import_with_dd_png_writes_dds_pngs_named_as_dd_names_them(golden_unet, tmp_path, capsys,  # noqa: F811
                                                                    reference) -> None:
    shot, data, doc = _golden_shot(tmp_path, capsys, golden_unet, reference, "--dd-png")
    assert doc["output"]["dd_png"] is True  # from a settings file alone: the sequence's name with (0)
    assert main(["render", str(shot)]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    pngs = sorted(p.name for p in out.glob("*.png"))
    assert pngs == ["golden(0)_0000.png", "golden(0)_0001.png", "golden(0)_0002.png"], pngs
    from PIL import Image

    off = []
    for i, name in enumerate(pngs):
        ours = np.array(Image.open(out / name))
        assert ours.dtype == np.uint8 and ours.shape == data["2d/frames_u8"][i].shape
        diff = np.abs(ours.astype(np.int16) - data["2d/frames_u8"][i].astype(np.int16))
        off.append((float(diff.mean()), int(diff.max())))
    # measured (CPU) mean / max levels from DD's own PNGs: 0.020 / 14, 0.146 / 6, 0.253 / 7 (the EXRs through the
    # view and made 8-bit, tests/render/test_dd_import_golden.py: 0.26 / 14, 0.37 / 6, 0.48 / 7)
    assert all(m < 0.3 and mx <= 16 for m, mx in off), off

    # the one output check: a PNG there (DD's own, say) is refused unless --overwrite, before models load
    for exr in out.glob("*.exr"):
        exr.unlink()
    before = (out / "golden(0)_0001.png").read_bytes()
    assert main(["render", str(shot)]) == 2
    err = capsys.readouterr().err
    assert "golden(0)_0000.png" in err and "(and 2 more) exists; pass --resume" in err, err
    assert (out / "golden(0)_0001.png").read_bytes() == before
    assert main(["render", str(shot), "--frames", "1002", "--overwrite"]) == 0, capsys.readouterr().err
    assert (out / "retained" / "golden(0)_0001.png").read_bytes() == before  # kept, never lost
    assert (out / "golden(0)_0001.png").read_bytes() == before  # the same frame again, bit for bit


@pytest.mark.slow
def test_render_dd_png_flag_and_a_bad_name(golden_unet, tmp_path, capsys, reference) -> None:  # noqa: F811
    shot, data, doc = _golden_shot(tmp_path, capsys, golden_unet, reference)
    assert "dd_png" not in doc["output"]
    assert main(["render", str(shot), "--frames", "1001", "--dd-png", "TimeToDisco(4)"]) == 0, capsys.readouterr().err
    assert [p.name for p in (tmp_path / "out").glob("*.png")] == ["TimeToDisco(4)_0000.png"]
    assert main(["render", str(shot), "--frames", "1002", "--dd-png", "../x(1)"]) == 2
    assert "is not a Disco Diffusion run name" in capsys.readouterr().err
    doc["output"]["dd_png"] = "golden"
    shot.write_text(tomlkit.dumps(doc))
    assert main(["render", str(shot), "--frames", "1002"]) == 2
    err = capsys.readouterr().err
    assert "output.dd_png" in err and "<batch_name>(<n>)" in err, err


def test_a_tiny_shot_writes_each_frame_as_the_loop_holds_it_made_8_bit(capsys, tiny_unet_model, tiny_clip_in_cache,
                                                                       tmp_path) -> None:
    """Without turbo the written frame is the one the loop holds (its saved state's ``prev``):
    the PNG is that frame through DD's conversion, bit for bit, and the EXR is untouched by it."""
    from PIL import Image

    from chroma.pipeline.statefile import read_state_file
    from tests.render.test_shot_runner import _shot

    shot = _shot(tmp_path, tiny_clip_in_cache, frames=3, steps=2)
    assert main(["render", str(shot), "--dd-png", "--frames", "1001-1002"]) == 0, capsys.readouterr().err
    out = tmp_path / "out"
    assert sorted(p.name for p in out.glob("*.png")) == ["sh010(0)_0000.png", "sh010(0)_0001.png"]  # DD numbers from 0
    _, arrays = read_state_file(out / "sh010.state" / "state.000001.npz")
    png = np.array(Image.open(out / "sh010(0)_0001.png"))
    assert np.array_equal(png, dd_png_u8(torch.from_numpy(arrays["prev"])))


@pytest.mark.parametrize("value", [False, True])
def test_no_dd_png_unless_asked(value: bool) -> None:
    from chroma.shot.output import dd_run_name

    assert dd_run_name(value, "out/sh010.") == ("sh010(0)" if value else "")
