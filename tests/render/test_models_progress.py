"""Checkpoint fetch, import and verify report their bytes to the callback they are given:
chroma's Progress bar on the CLI's side, never a bar drawn by render (no torch needed)."""

from __future__ import annotations

import hashlib
import io
import os
import sys
from pathlib import Path
from types import ModuleType

import pytest

from chroma.cli import main
from chroma.progress import Progress


class _Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture()
def models() -> ModuleType:
    """render.models, imported here: tests/render/conftest.py's scan of module-level imports
    (does this file need torch?) does not end on render.models' package imports."""
    from render import models

    return models


@pytest.fixture()
def published(models: ModuleType, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
              model_cache: Path) -> tuple[object, Path]:
    """A registered model whose "published" file is a local file (3 MiB and a bit: four
    chunks) with its digest, downloadable from a file:// URL."""
    src = tmp_path / "src" / "weights.pth"
    src.parent.mkdir()
    src.write_bytes(os.urandom(3 * (1 << 20) + 12345))
    digest = hashlib.sha256(src.read_bytes()).hexdigest()
    info = models.ModelInfo("progress-test", "secondary", "weights.pth", (src.as_uri(),), digest, {}, None, "test")
    monkeypatch.setitem(models.REGISTRY, info.name, info)
    return info, src


def _bar() -> tuple[Progress, _Terminal]:
    term = _Terminal()
    return Progress(None, "bytes", stream=term, unit="B", unit_scale=True), term


def test_fetch_from_a_file_url_drives_the_progress_to_the_file_size(models, published) -> None:
    info, src = published
    bar, term = _bar()
    with bar:
        path = models.fetch(info.name, progress=bar.update_to)
    size = src.stat().st_size
    assert path.read_bytes() == src.read_bytes()
    assert (bar.done, bar.total) == (size, size)
    assert "3.16M/3.16M" in term.getvalue()  # tqdm drew it: 3,157,873 bytes, SI-scaled


def test_import_from_a_local_path_drives_the_progress_to_the_file_size(models, published) -> None:
    info, src = published
    seen: list[tuple[int, int | None]] = []
    bar, _ = _bar()

    def report(done: int, total: int | None) -> None:
        seen.append((done, total))
        bar.update_to(done, total)

    with bar:
        models.import_(src, progress=report)
    size = src.stat().st_size
    assert (bar.done, bar.total) == (size, size)
    assert seen[-1] == (size, size) and len(seen) == 4  # one report per 1 MiB chunk, one read of the file
    assert [d for d, _ in seen] == sorted(d for d, _ in seen)
    assert (models.cache_dir() / "weights.pth").read_bytes() == src.read_bytes()
    assert sorted(p.name for p in models.cache_dir().iterdir() if "chroma-tmp" in p.name) == []


def test_a_refused_import_leaves_no_temporary_file(models, published, monkeypatch) -> None:
    info, src = published
    monkeypatch.setitem(models.REGISTRY, info.name, models.ModelInfo(**{**info.__dict__, "sha256": "0" * 64}))
    with pytest.raises(models.registry.ChecksumError):
        models.import_(src)  # the whole file was copied, then refused
    assert not models.cache_dir().exists()  # not even the folder it made
    models.cache_dir(create=True)
    with pytest.raises(models.registry.ChecksumError):
        models.import_(src)
    assert list(models.cache_dir().iterdir()) == []  # no temporary file in a cache that was there


def test_verify_reports_each_file_and_progress_true_is_deprecated(models, published, capsys) -> None:
    info, src = published
    models.fetch(info.name)
    bar, _ = _bar()
    with bar:
        rows = models.verify(info.name, progress=bar.update_to)
    assert [r.verified for r in rows] == [True] and bar.done == bar.total == src.stat().st_size
    with pytest.warns(DeprecationWarning, match="draws nothing"):
        models.fetch(info.name, progress=True, force=True)
    assert capsys.readouterr().err == ""  # render draws no bar of its own


def test_chroma_models_fetch_draws_chroma_s_bar_on_a_terminal(models, published, monkeypatch, capsys) -> None:
    info, src = published
    term = _Terminal()
    monkeypatch.setattr(sys, "stderr", term)
    assert main(["models", "fetch", info.name]) == 0
    assert f"{info.name}: 100%" in term.getvalue() and "3.16M/3.16M" in term.getvalue()
    term.seek(0)
    term.truncate()
    assert main(["models", "--quiet", "verify"]) == 0
    assert "verify" not in term.getvalue()
    assert main(["models", "verify"]) == 0
    assert f"verify {info.name}: 100%" in term.getvalue()
