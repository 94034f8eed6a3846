"""``chroma models import`` checks a file before it enters the cache (#21 item 10).

Each bad file is made here, small: a pickle whose ``__reduce__`` would run a command, a
text file, a truncated real checkpoint, a state_dict of the wrong shape or names, a
config that builds no network. Each is refused with one line (exit 2 in the CLI) and the
cache is left as it was; a correct tiny checkpoint is accepted and loads.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import torch

from chroma.cli import main
from render import models
from render.errors import ModelError, UnsafeCheckpointError
from render.models.checks import check_checkpoint, expected_layout, layout_problems
from render.secondary import SecondaryDiffusionImageNet2
from render.unet import UNetConfig, UNetModel

TINY_CFG = {
    "image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 1, "num_head_channels": -1,
    "attention_resolutions": "16", "resblock_updown": True, "use_scale_shift_norm": True,
    "learn_sigma": True, "channel_mult": "1,2", "dropout": 0.0,
}


def _tiny_state() -> dict[str, torch.Tensor]:
    torch.manual_seed(3)
    return UNetModel(UNetConfig.from_published(TINY_CFG)).state_dict()


class _Evil:
    """Unpickling this runs ``touch marker``."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def _cache_is_empty(cache: Path) -> bool:
    return not cache.exists() or not any(cache.iterdir())


def _cli_import(capsys, path: Path, *extra: str) -> tuple[int, str, str]:
    code = main(["models", "import", str(path), *extra])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture()
def cfg_file(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.json"
    path.write_text(json.dumps(TINY_CFG))
    return path


def test_a_correct_tiny_checkpoint_is_accepted_and_loads(capsys, model_cache, tmp_path, cfg_file) -> None:
    src = tmp_path / "tiny.pt"
    state = _tiny_state()
    torch.save(state, src)
    code, out, err = _cli_import(capsys, src, "--name", "tiny", "--config", str(cfg_file))
    assert code == 0, err
    assert err == "" and str(model_cache / "tiny.pt") in out
    loaded = models.load_unet("tiny").state_dict()
    assert all(torch.equal(loaded[k], v) for k, v in state.items())


def _bad_files(tmp_path: Path) -> dict[str, tuple[Path, str]]:
    """name -> (file, what the one-line reason must say)."""
    files: dict[str, tuple[Path, str]] = {}
    marker = tmp_path / "pwned"
    evil = tmp_path / "evil.pt"
    torch.save({"time_embed.0.weight": torch.zeros(1), "payload": _Evil(marker)}, evil)
    files["pickle"] = (evil, "not a plain-weights checkpoint")
    text = tmp_path / "notes.pt"
    text.write_text("hello, this is a text file and not a checkpoint\n")
    files["text"] = (text, "cannot be read as a torch checkpoint")
    whole = tmp_path / "whole.pt"
    torch.save(_tiny_state(), whole)
    cut = tmp_path / "cut.pt"
    cut.write_bytes(whole.read_bytes()[: whole.stat().st_size // 2])
    files["truncated"] = (cut, "cannot be read as a torch checkpoint")
    wrong = _tiny_state()
    wrong["out.2.weight"] = torch.zeros(6, 32, 3, 3 + 1)  # one column too wide
    torch.save(wrong, tmp_path / "shape.pt")
    files["shape"] = (tmp_path / "shape.pt", "out.2.weight is [6, 32, 3, 4] not [6, 32, 3, 3]")
    fewer = _tiny_state()
    del fewer["time_embed.0.bias"]
    fewer["extra.weight"] = torch.zeros(2)
    torch.save(fewer, tmp_path / "names.pt")
    files["names"] = (tmp_path / "names.pt", "1 missing (time_embed.0.bias); 1 unexpected (extra.weight)")
    return files


@pytest.mark.parametrize("kind", ["pickle", "text", "truncated", "shape", "names"])
def test_bad_files_are_refused_in_one_line_and_nothing_is_cached(capsys, model_cache, tmp_path, cfg_file, kind) -> None:
    src, reason = _bad_files(tmp_path)[kind]
    code, out, err = _cli_import(capsys, src, "--name", "bad", "--config", str(cfg_file))
    assert code == 2 and out == ""
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("chroma models: error: ") and reason in lines[0], err
    assert "Traceback" not in err
    assert _cache_is_empty(model_cache)  # no file, no custom.json, no digest record
    assert not (tmp_path / "pwned").exists()  # the pickle's payload never ran
    with pytest.raises(ModelError):
        models.get_info("bad")


def test_library_import_raises_the_render_errors(model_cache, tmp_path) -> None:
    files = _bad_files(tmp_path)
    with pytest.raises(UnsafeCheckpointError):
        models.import_(files["pickle"][0], name="bad", config=TINY_CFG)
    with pytest.raises(UnsafeCheckpointError):
        models.import_(files["text"][0], name="bad", config=TINY_CFG)
    with pytest.raises(ModelError, match="does not fit the unet layout of 'bad'"):
        models.import_(files["shape"][0], name="bad", config=TINY_CFG)
    assert _cache_is_empty(model_cache)


@pytest.mark.parametrize(
    ("config", "reason"),
    [
        ({"num_channels": 32}, "KeyError"),  # no image_size
        (TINY_CFG | {"num_channels": "many"}, "ValueError"),
        (TINY_CFG | {"num_head_channels": 7}, "does not describe a unet model"),  # 32 channels in heads of 7
    ],
)
def test_a_config_that_builds_no_network_is_refused(capsys, model_cache, tmp_path, config, reason) -> None:
    src = tmp_path / "tiny.pt"
    torch.save(_tiny_state(), src)
    cfg = tmp_path / "cfg.json"
    cfg.write_text(json.dumps(config))
    code, _, err = _cli_import(capsys, src, "--name", "tiny", "--config", str(cfg))
    assert code == 2 and len(err.strip().splitlines()) == 1 and reason in err, err
    assert "does not describe a unet model" in err and _cache_is_empty(model_cache)


def test_the_weights_of_another_registered_architecture_are_refused(capsys, model_cache, tmp_path) -> None:
    src = tmp_path / "tiny.pt"
    torch.save(_tiny_state(), src)
    code, _, err = _cli_import(capsys, src, "--name", "mine", "--config", "256x256_diffusion_uncond")
    assert code == 2 and "does not fit the unet layout of 'mine'" in err and "of another shape" in err
    assert _cache_is_empty(model_cache)


def test_secondary_family_checks_its_own_layout(capsys, model_cache, tmp_path) -> None:
    torch.manual_seed(0)
    good = tmp_path / "sec.pth"
    torch.save(SecondaryDiffusionImageNet2(8).state_dict(), good)
    cfg = tmp_path / "sec.json"
    cfg.write_text(json.dumps({"base_channels": 8}))
    assert _cli_import(capsys, good, "--name", "sec", "--family", "secondary", "--config", str(cfg))[0] == 0
    assert isinstance(models.load_secondary("sec"), SecondaryDiffusionImageNet2)
    unet = tmp_path / "unet.pt"
    torch.save(_tiny_state(), unet)
    code, _, err = _cli_import(capsys, unet, "--name", "sec2", "--family", "secondary", "--config", str(cfg))
    assert code == 2 and "does not fit the secondary layout" in err and "missing" in err


def test_layouts_built_from_the_registry_are_the_published_ones(layouts: dict) -> None:
    """What import compares a file with is the published layout (reference data from the
    published implementations), for every UNet family and the secondary model."""
    by_params = {v["num_params"]: family for family, v in layouts.items()}
    checked = set()
    for info in models.REGISTRY.values():
        if info.family not in ("unet", "secondary"):
            continue
        layout, strict = expected_layout(info)
        family = by_params[info.num_params]
        published = [(k, tuple(s)) for k, s in layouts[family]["params"]]
        assert strict and list(layout.items()) == published, info.name
        checked.add(family)
    assert checked == set(layouts)


def test_lpips_trunk_layout_is_torchvision_vgg16_features() -> None:
    tv = pytest.importorskip("torchvision")
    with torch.device("meta"):
        vgg = tv.models.vgg16()
    published = {k: tuple(v.shape) for k, v in vgg.state_dict().items()}
    layout, strict = expected_layout(models.REGISTRY["vgg16_imagenet"])
    assert not strict and layout == {k: s for k, s in published.items() if k.startswith("features.")}
    assert sum(torch.Size(s).numel() for s in published.values()) == models.REGISTRY["vgg16_imagenet"].num_params
    assert layout_problems(vgg.state_dict(), layout, strict) == []  # the whole file (classifier too) fits


def test_depth_checkpoint_layout(model_cache, tmp_path) -> None:
    transformers = pytest.importorskip("transformers")
    cfg = dict(hidden_size=32, num_hidden_layers=4, num_attention_heads=2, intermediate_size=37, image_size=32,
               patch_size=16, backbone_out_indices=[0, 1, 2, 3], neck_hidden_sizes=[8, 16, 32, 32],
               fusion_hidden_size=16)
    torch.manual_seed(0)
    model = transformers.DPTForDepthEstimation(transformers.DPTConfig(**cfg))
    model.save_pretrained(tmp_path / "dpt")
    config = json.loads((tmp_path / "dpt" / "config.json").read_text())
    info = models.ModelInfo("d", "depth", "d.bin", config=config, custom=True)
    check_checkpoint(tmp_path / "dpt" / "model.safetensors", info)  # fits
    headless = {k: v for k, v in model.state_dict().items() if not k.startswith("head.")}
    torch.save(headless, tmp_path / "headless.bin")
    with pytest.raises(ModelError, match=r"does not fit the depth layout of 'd': \d+ missing \(head\."):
        check_checkpoint(tmp_path / "headless.bin", info)
    with pytest.raises(ModelError, match=r"unknown depth preprocess settings \[.nope.\]"):
        check_checkpoint(tmp_path / "dpt" / "model.safetensors",
                         models.ModelInfo("d", "depth", "d.bin", config=config | {"preprocess": {"nope": 1}}))
    with pytest.raises(ModelError, match="does not describe a depth model"):
        check_checkpoint(tmp_path / "dpt" / "model.safetensors",
                         models.ModelInfo("d", "depth", "d.bin", config=config | {"num_attention_heads": 5}))
    assert _cache_is_empty(model_cache)


def test_the_published_file_is_taken_on_its_digest(registered_secondary) -> None:
    """A file whose sha256 is the registry's is the published one: it is not loaded again."""
    info, src = registered_secondary
    assert models.import_(src) == models.cache_dir() / info.filename


@pytest.fixture()
def registered_secondary(tmp_path, monkeypatch, model_cache):
    src = tmp_path / "published.pth"
    torch.save({"w": torch.arange(3.0)}, src)  # stands in for a published file
    info = models.ModelInfo("pub-test", "secondary", "published.pth", (), models.sha256_file(src), {}, None, "t")
    monkeypatch.setitem(models.REGISTRY, info.name, info)
    return info, src
