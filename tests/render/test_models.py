"""Checkpoint registry: cache, fetch (file:// and HTTP with resume), import, verify, safe loading."""

from __future__ import annotations

import hashlib
import http.server
import re
import shutil
import sys
import threading
from pathlib import Path

import pytest
import torch

from render import models
from render.errors import ChecksumError, ModelNotFoundError, RenderError, UnsafeCheckpointError
from render.models.registry import save_custom
from render.unet import UNetConfig, UNetModel

TINY_CFG = {
    "image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 1, "num_head_channels": -1,
    "attention_resolutions": "16", "resblock_updown": True, "use_scale_shift_norm": True,
    "learn_sigma": True, "channel_mult": "1,2", "dropout": 0.0,
}


def _sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture()
def tiny_checkpoint(tmp_path: Path) -> tuple[Path, UNetModel]:
    """A checkpoint in the published file format: a plain state_dict written by torch.save."""
    torch.manual_seed(1)
    model = UNetModel(UNetConfig.from_published(TINY_CFG)).eval()
    path = tmp_path / "src" / "tiny_unet.pt"
    path.parent.mkdir()
    torch.save(model.state_dict(), path)
    return path, model


@pytest.fixture()
def registered(tiny_checkpoint, monkeypatch, model_cache):
    """A registry entry for the tiny checkpoint, downloadable from a file:// URL."""
    path, model = tiny_checkpoint
    info = models.ModelInfo("tiny-test", "unet", "tiny_unet.pt", (path.as_uri(),), _sha(path), TINY_CFG, None, "test")
    monkeypatch.setitem(models.REGISTRY, info.name, info)
    return info, path, model


def _same_function(a: torch.nn.Module, b: torch.nn.Module) -> None:
    x = torch.randn(1, 3, 64, 64, generator=torch.Generator().manual_seed(0))
    t = torch.tensor([500.0])
    with torch.no_grad():
        torch.testing.assert_close(a(x, t), b(x, t), rtol=0, atol=0)


def test_cache_dir_honours_chroma_models_then_xdg(monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("CHROMA_MODELS", str(tmp_path / "m"))
    assert models.cache_dir() == tmp_path / "m"
    monkeypatch.delenv("CHROMA_MODELS")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    if sys.platform.startswith("linux"):
        assert models.cache_dir() == tmp_path / "xdg" / "chroma" / "models"


def test_registry_sha256_matches_the_reference_readme(reference) -> None:
    readme = (reference / "README.md").read_text()
    published = dict(re.findall(r"\| (\S+) \(sha256 ([0-9a-f]{64})\)", readme))
    assert len(published) == 3
    for name, digest in published.items():
        assert models.REGISTRY[name].sha256 == digest


def test_registry_urls_are_the_public_ones() -> None:
    r = models.REGISTRY
    assert r["256x256_diffusion_uncond"].urls[0] == (
        "https://openaipublic.blob.core.windows.net/diffusion/jul-2021/256x256_diffusion_uncond.pt"
    )
    assert all(u.startswith("https://") and u.endswith(i.filename) for i in r.values() for u in i.urls)


def test_fetch_from_file_url_verifies_and_loads(registered) -> None:
    info, src, model = registered
    seen = []
    path = models.fetch("tiny-test", progress=lambda done, total: seen.append((done, total)))
    assert path == models.cache_dir() / "tiny_unet.pt"
    assert _sha(path) == info.sha256
    assert seen[-1] == (src.stat().st_size, src.stat().st_size)
    loaded = models.load_unet("tiny-test")
    _same_function(loaded, model)
    row = {r.name: r for r in models.list_models()}["tiny-test"]
    assert row.cached and row.verified is True and row.size == src.stat().st_size


def test_fetch_resumes_a_partial_download(registered) -> None:
    info, src, _ = registered
    data = src.read_bytes()
    cache = models.cache_dir(create=True)
    (cache / "tiny_unet.pt.part").write_bytes(data[: len(data) // 2])
    seen = []
    models.fetch("tiny-test", progress=lambda done, total: seen.append(done))
    assert seen[0] > len(data) // 2  # continued, did not start over
    assert (cache / "tiny_unet.pt").read_bytes() == data
    assert not (cache / "tiny_unet.pt.part").exists()


class _RangeHandler(http.server.BaseHTTPRequestHandler):
    payload = b""
    ranges: list = []

    def do_GET(self) -> None:
        rng = self.headers.get("Range")
        type(self).ranges.append(rng)
        start = int(rng.split("=")[1].split("-")[0]) if rng else 0
        body = self.payload[start:]
        self.send_response(206 if rng else 200)
        self.send_header("Content-Length", str(len(body)))
        if rng:
            self.send_header("Content-Range", f"bytes {start}-{len(self.payload) - 1}/{len(self.payload)}")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


def test_fetch_over_http_resumes_with_range(registered) -> None:
    info, src, model = registered
    data = src.read_bytes()
    _RangeHandler.payload, _RangeHandler.ranges = data, []
    server = http.server.HTTPServer(("127.0.0.1", 0), _RangeHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        cache = models.cache_dir(create=True)
        (cache / "tiny_unet.pt.part").write_bytes(data[:1000])
        url = f"http://127.0.0.1:{server.server_port}/tiny_unet.pt"
        path = models.fetch("tiny-test", url=url, progress=False)
    finally:
        server.shutdown()
    assert _RangeHandler.ranges == ["bytes=1000-"]
    assert path.read_bytes() == data
    _same_function(models.load_unet("tiny-test"), model)


def test_wrong_sha256_is_refused_and_nothing_is_cached(registered, monkeypatch) -> None:
    info, src, _ = registered
    monkeypatch.setitem(models.REGISTRY, "tiny-test", models.ModelInfo(**{**info.__dict__, "sha256": "0" * 64}))
    with pytest.raises(ChecksumError, match="sha256") as err:
        models.fetch("tiny-test", progress=False)
    assert isinstance(err.value, RenderError)
    assert not any(models.cache_dir().glob("tiny_unet.pt*"))
    with pytest.raises(ChecksumError, match="expected 0000"):
        models.import_(src, name="tiny-test")
    assert not (models.cache_dir() / "tiny_unet.pt").exists()


def test_import_from_a_path(registered, tmp_path) -> None:
    info, src, model = registered
    copy = tmp_path / "usb" / "tiny_unet.pt"  # found by file name
    copy.parent.mkdir()
    copy.write_bytes(src.read_bytes())
    path = models.import_(copy)
    assert path == models.cache_dir() / "tiny_unet.pt"
    _same_function(models.load_unet("tiny-test"), model)
    assert [r.verified for r in models.verify("tiny-test")] == [True]


def test_verify_notices_a_corrupted_file(registered) -> None:
    models.fetch("tiny-test", progress=False)
    path = models.cache_dir() / "tiny_unet.pt"
    data = bytearray(path.read_bytes())
    data[-10] ^= 0xFF
    path.write_bytes(bytes(data))
    assert [r.verified for r in models.verify("tiny-test")] == [False]
    with pytest.raises(ChecksumError):
        models.load_unet("tiny-test")


def test_custom_checkpoint_with_its_config(tiny_checkpoint, model_cache) -> None:
    src, model = tiny_checkpoint
    with pytest.raises(RenderError, match="config"):
        models.import_(src, name="my-unet")
    models.import_(src, name="my-unet", config=TINY_CFG)
    row = {r.name: r for r in models.list_models()}["my-unet"]
    assert row.custom and row.cached
    _same_function(models.load_unet("my-unet"), model)


class _Evil:
    """A pickle payload that would run a command when unpickled."""

    marker: Path

    def __reduce__(self):
        import os

        return (os.system, (f"touch {self.marker}",))


def test_a_pickle_that_is_not_plain_weights_is_refused(tmp_path, model_cache) -> None:
    marker = tmp_path / "pwned"
    evil = _Evil()
    evil.marker = marker
    path = tmp_path / "evil.pt"
    torch.save({"time_embed.0.weight": torch.zeros(1), "payload": evil}, path)
    with pytest.raises(UnsafeCheckpointError, match="not a plain-weights checkpoint") as err:
        models.load_state_dict(path)
    assert isinstance(err.value, RenderError)
    assert not marker.exists()


def test_missing_checkpoint_says_which_file_where_and_how(model_cache) -> None:
    name = "512x512_diffusion_uncond_finetune_008100"
    with pytest.raises(ModelNotFoundError) as err:
        models.model_path(name)
    msg = str(err.value)
    assert "\n" not in msg
    assert "512x512_diffusion_uncond_finetune_008100.pt" in msg
    assert str(model_cache / "512x512_diffusion_uncond_finetune_008100.pt") in msg
    assert models.REGISTRY[name].urls[0] in msg
    assert f"chroma models fetch {name}" in msg
    assert "chroma models import PATH" in msg


def test_list_reports_every_registered_model(model_cache) -> None:
    rows = models.list_models()
    assert {r.name for r in rows} >= set(models.REGISTRY)
    assert not any(r.cached for r in rows)
    assert all(r.verified is None for r in rows)


def test_unknown_model_name(model_cache) -> None:
    with pytest.raises(RenderError, match="unknown model 'nope'.*256x256_diffusion_uncond"):
        models.fetch("nope")


def test_fetch_failure_explains_the_air_gapped_route(registered, tmp_path) -> None:
    with pytest.raises(RenderError, match="chroma models import PATH"):
        models.fetch("tiny-test", url=(tmp_path / "absent.pt").as_uri(), progress=False)


def test_error_detail_is_one_line_of_at_most_300_characters() -> None:
    from render.models.loading import error_detail

    assert error_detail(RuntimeError("size mismatch for\n\tinput_blocks.0.0.weight:  copying")) == (
        "size mismatch for input_blocks.0.0.weight: copying")
    assert error_detail(RuntimeError("x" * 299)) == "x" * 299
    assert error_detail(RuntimeError("x" * 300)) == "x" * 300 + " ..."
    assert error_detail(RuntimeError("ab " * 200), limit=5) == "ab ab ..."


def test_weights_of_another_architecture_are_refused_in_one_line(tiny_checkpoint, model_cache) -> None:
    src, _ = tiny_checkpoint
    # a file that was in the cache before imports were checked (copied by hand, say)
    save_custom(models.ModelInfo("wider", "unet", "wider.pt", (), None, TINY_CFG | {"num_channels": 64}, None, "", True))
    shutil.copyfile(src, model_cache / "wider.pt")
    with pytest.raises(RenderError, match="do not fit its configured architecture") as caught:
        models.load_unet("wider")
    message = str(caught.value)
    assert "\n" not in message and "size mismatch" in message and " ...); " in message
    assert message.endswith("for a custom model, re-import it with the right --config")


def test_atomic_path_replaces_on_success_and_leaves_nothing_on_failure(tmp_path) -> None:
    from render.models.registry import atomic_path, atomic_write_text

    target = tmp_path / "custom.json"
    atomic_write_text(target, "old")
    with pytest.raises(OSError, match="disk full"):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise OSError("disk full")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["custom.json"]
    with atomic_path(target) as tmp:
        assert tmp.parent == tmp_path and tmp != target
        tmp.write_text("new")
    assert target.read_text() == "new" and sorted(p.name for p in tmp_path.iterdir()) == ["custom.json"]
