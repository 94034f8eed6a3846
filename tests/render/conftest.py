"""Shared fixtures for the renderer tests.

Reference data (goldens computed with the published implementations) lives in
``tests/data/reference`` (copied from the project's shared reference folder, README included); a
plain clone runs every golden, and a golden whose data is missing fails rather than skips.
"""

from __future__ import annotations

import ast
import functools
import importlib.util
import json
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[2]
REFERENCE = (REPO_ROOT / "tests" / "data" / "reference").resolve()

# ----------------------------------------------------------- without the render extra
# With only the "test" extra (no torch/open_clip), the test modules that import them --
# directly, or through a render module or helper that does at import time -- are left
# out of collection, and the run says how many; the torch-free ones still run.
HEAVY = ("torch", "open_clip")


def _available(name: str) -> bool:
    try:
        return importlib.util.find_spec(name) is not None
    except (ValueError, ImportError):  # blocked: sys.modules[name] is None, or a finder refuses it
        return False


HAVE_RENDER_EXTRA = all(_available(m) for m in HEAVY)
_LEFT_OUT: list[str] = []


def _module_file(name: str) -> Path | None:
    parts = name.split(".")
    if parts[0] not in ("render", "tests"):
        return None
    base = REPO_ROOT.joinpath(*parts)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@functools.cache
def _needs_render_extra(path: Path) -> bool:
    """Whether importing ``path`` imports torch or open_clip (module level, transitively
    through render/ and tests/ modules; imports inside functions do not count)."""
    if path in _SCANNING:  # an import circle inside a package: what it imports is being scanned already
        return False
    try:
        tree = ast.parse(path.read_text())
    except (OSError, SyntaxError):
        return False
    _SCANNING.add(path)
    try:
        for node in tree.body:
            names: list[str] = []
            if isinstance(node, ast.Import):
                names = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                names = [node.module] + [f"{node.module}.{a.name}" for a in node.names]
            for name in names:
                if name.split(".")[0] in HEAVY:
                    return True
                for i in range(1, len(name.split(".")) + 1):
                    sub = _module_file(".".join(name.split(".")[:i]))
                    if sub is not None and sub != path and _needs_render_extra(sub):
                        return True
        return False
    finally:
        _SCANNING.discard(path)


_SCANNING: set[Path] = set()


def pytest_ignore_collect(collection_path: Path, config) -> bool | None:
    if HAVE_RENDER_EXTRA or collection_path.suffix != ".py" or not collection_path.name.startswith("test_"):
        return None
    if _needs_render_extra(Path(collection_path)):
        _LEFT_OUT.append(collection_path.name)
        return True
    return None


def _skip_if_render_extra_missing(exc: BaseException) -> None:
    if not HAVE_RENDER_EXTRA and isinstance(exc, ImportError) and (exc.name or "").split(".")[0] in HEAVY:
        pytest.skip(f"needs the render extra ({exc.name} is not installed)")


@pytest.hookimpl(wrapper=True)
def pytest_fixture_setup(fixturedef, request):
    """A fixture that imports torch inside (a torch-free test module): skip, not error."""
    try:
        return (yield)
    except ImportError as exc:
        _skip_if_render_extra_missing(exc)
        raise


@pytest.hookimpl(wrapper=True)
def pytest_runtest_call(item):
    try:
        return (yield)
    except ImportError as exc:
        _skip_if_render_extra_missing(exc)
        raise


def pytest_terminal_summary(terminalreporter) -> None:
    if _LEFT_OUT:
        terminalreporter.write_line(
            f"tests/render: {len(_LEFT_OUT)} test file(s) left out, the render extra (torch, open_clip) is not "
            f"installed: {', '.join(sorted(_LEFT_OUT))}"
        )

# A tiny open_clip architecture (random weights, no download): registered at runtime.
TINY_CLIP = "chroma-test-tiny"
TINY_CLIP_CONFIG = {
    "embed_dim": 32,
    "vision_cfg": {"image_size": 32, "layers": 1, "width": 32, "head_width": 16, "patch_size": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 32, "heads": 2, "layers": 1},
}


@pytest.fixture(scope="session", autouse=True)
def _one_torch_thread():
    """Run the tiny test models on one thread.

    Their ops are too small to gain from intra-op threads, and on a loaded 2-core
    machine OpenMP's spin-waiting made a 64x64 UNet forward 20x slower (0.7 s vs 30 ms).
    """
    if not HAVE_RENDER_EXTRA:
        yield
        return
    import torch

    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)


@pytest.fixture(scope="session")
def reference() -> Path:
    """The reference folder (tests/data/reference). A golden never skips: without its data it fails."""
    if not REFERENCE.is_dir():
        pytest.fail(f"reference data not found at {REFERENCE}; it is part of the repository (git checkout tests/data)")
    return REFERENCE


@pytest.fixture(scope="session")
def load_reference(reference: Path):
    """``load_reference(name)``: a reference ``.pt`` file, loaded with ``weights_only=True``."""
    import torch

    cache: dict = {}

    def load(name: str):
        if name not in cache:
            cache[name] = torch.load(reference / name, weights_only=True)
        return cache[name]

    return load


@pytest.fixture(scope="session")
def layouts(reference: Path) -> dict:
    return json.loads((reference / "checkpoint_layouts.json").read_text())


@pytest.fixture(scope="session")
def tiny_clip_name(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Register the tiny open_clip config once per session; returns its name."""
    import open_clip

    folder = tmp_path_factory.mktemp("open_clip_cfg")
    path = folder / f"{TINY_CLIP}.json"
    path.write_text(json.dumps(TINY_CLIP_CONFIG))
    open_clip.add_model_config(path)
    return TINY_CLIP


@pytest.fixture(scope="session")
def tiny_clip(tiny_clip_name: str):
    import torch

    from render.clip import load_clip

    torch.manual_seed(0)
    return load_clip(f"{tiny_clip_name}::random")


@pytest.fixture()
def model_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty model cache (CHROMA_MODELS) private to the test."""
    cache = tmp_path / "models"
    monkeypatch.setenv("CHROMA_MODELS", str(cache))
    return cache


TINY_UNET_CFG = {"image_size": 64, "num_channels": 32, "num_res_blocks": 1, "num_heads": 1, "num_head_channels": -1,
                 "attention_resolutions": "16", "channel_mult": "1,2", "resblock_updown": False,
                 "use_scale_shift_norm": False, "learn_sigma": True}


@pytest.fixture()
def tiny_unet_model(capsys, model_cache, tmp_path) -> str:
    """A tiny UNet imported into the (private) model cache as 'tiny-unet' (through the CLI,
    as a studio imports a checkpoint)."""
    import torch

    from chroma.cli import main
    from render.unet import UNetConfig, UNetModel

    torch.manual_seed(0)
    ckpt = tmp_path / "tiny_unet.pt"
    torch.save(UNetModel(UNetConfig.from_published(TINY_UNET_CFG)).state_dict(), ckpt)
    (tmp_path / "tiny.json").write_text(json.dumps(TINY_UNET_CFG))
    code = main(["models", "import", str(ckpt), "--name", "tiny-unet", "--config", str(tmp_path / "tiny.json")])
    err = capsys.readouterr().err
    assert code == 0, err
    return "tiny-unet"


@pytest.fixture()
def tiny_clip_in_cache(model_cache: Path) -> str:
    """The tiny CLIP architecture as a config in the model cache's open_clip/ folder, where
    any process (a subprocess render too) finds it; returns the spec with random weights."""
    folder = model_cache / "open_clip"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / f"{TINY_CLIP}.json").write_text(json.dumps(TINY_CLIP_CONFIG))
    return f"{TINY_CLIP}::random"
