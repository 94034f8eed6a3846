"""Registry of diffusion checkpoints: names, URLs, sha256, the cache, fetch/import/verify.

The published checkpoints are plain ``state_dict`` files written by ``torch.save``. They
live in one cache folder:

1. ``$CHROMA_MODELS`` if set;
2. otherwise the platform cache: ``$XDG_CACHE_HOME/chroma/models`` or
   ``~/.cache/chroma/models`` (Linux), ``~/Library/Caches/chroma/models`` (macOS),
   ``%LOCALAPPDATA%\\chroma\\models`` (Windows).

:func:`fetch` downloads with a progress bar, resumes an interrupted download (HTTP
``Range``; ``file://`` URLs resume too) and checks the sha256. :func:`import_` copies a
file that was carried over by hand (air-gapped studios) and checks it. Loading always
goes through ``torch.load(..., weights_only=True)`` after the sha256 check, so a file
holding anything but tensors is refused rather than executed.

Every function here is plain Python that a CLI can call; torch is imported only when a
checkpoint is loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable, Mapping

from render.errors import (
    ChecksumError,
    DownloadError,
    ModelError,
    ModelNotFoundError,
    UnsafeCheckpointError,
)

__all__ = [
    "ModelInfo",
    "ModelStatus",
    "REGISTRY",
    "cache_dir",
    "get_info",
    "list_models",
    "fetch",
    "import_",
    "verify",
    "model_path",
    "sha256_file",
    "load_state_dict",
    "load_unet",
    "load_secondary",
]

ProgressFn = Callable[[int, "int | None"], None]

# UNet hyper-parameters of the published families (as in checkpoint_layouts.json).
_ADM_512 = {
    "image_size": 512, "num_channels": 256, "num_res_blocks": 2, "num_heads": 4,
    "num_head_channels": 64, "attention_resolutions": "32, 16, 8", "resblock_updown": True,
    "use_scale_shift_norm": True, "learn_sigma": True, "channel_mult": "", "dropout": 0.0,
    "use_new_attention_order": False,
}
_ADM_256 = dict(_ADM_512, image_size=256)
_PORTRAIT = dict(_ADM_512, num_channels=128, num_head_channels=-1)
_PIXEL_ART = {
    "image_size": 256, "num_channels": 128, "num_res_blocks": 2, "num_heads": 1,
    "num_head_channels": -1, "attention_resolutions": "16", "resblock_updown": False,
    "use_scale_shift_norm": False, "learn_sigma": True, "channel_mult": "", "dropout": 0.0,
    "use_new_attention_order": False,
}


@dataclass(frozen=True)
class ModelInfo:
    """A checkpoint the renderer knows.

    Attributes:
        name: registry name (``chroma models fetch NAME``).
        family: ``"unet"`` (a guided-diffusion UNet) or ``"secondary"``.
        filename: the file name in the cache.
        urls: download URLs, tried in order.
        sha256: expected digest (``None``: not published; the file is accepted unverified).
        config: UNet hyper-parameters (published-style dict) or the secondary's.
        num_params: parameter count of the layout.
        description: one line for listings.
        custom: a user-imported checkpoint (kept in ``custom.json`` in the cache).
    """

    name: str
    family: str
    filename: str
    urls: tuple[str, ...] = ()
    sha256: str | None = None
    config: Mapping[str, Any] = field(default_factory=dict)
    num_params: int | None = None
    description: str = ""
    custom: bool = False


#: The published checkpoints. sha256 for the first three are those of the project's
#: reference README; the others are the digests Disco Diffusion v5.x distributions list.
REGISTRY: dict[str, ModelInfo] = {
    m.name: m
    for m in [
        ModelInfo(
            "512x512_diffusion_uncond_finetune_008100", "unet",
            "512x512_diffusion_uncond_finetune_008100.pt",
            (
                "https://huggingface.co/lowlevelware/512x512_diffusion_unconditional_ImageNet/resolve/main/512x512_diffusion_uncond_finetune_008100.pt",
                "https://v-diffusion.s3.us-west-2.amazonaws.com/512x512_diffusion_uncond_finetune_008100.pt",
            ),
            "9c111ab89e214862b76e1fa6a1b3f1d329b1a88281885943d2cdbe357ad57648",
            _ADM_512, 557_973_638,
            "OpenAI ImageNet 512 unconditional (Katherine Crowson fine-tune); Disco Diffusion's default",
        ),
        ModelInfo(
            "256x256_diffusion_uncond", "unet", "256x256_diffusion_uncond.pt",
            ("https://openaipublic.blob.core.windows.net/diffusion/jul-2021/256x256_diffusion_uncond.pt",),
            "a37c32fffd316cd494cf3f35b339936debdc1576dad13fe57c42399a5dbc78b1",
            _ADM_256, 552_814_086, "OpenAI ImageNet 256 unconditional (guided-diffusion)",
        ),
        ModelInfo(
            "secondary_model_imagenet_2", "secondary", "secondary_model_imagenet_2.pth",
            (
                "https://v-diffusion.s3.us-west-2.amazonaws.com/secondary_model_imagenet_2.pth",
                "https://the-eye.eu/public/AI/models/v-diffusion/secondary_model_imagenet_2.pth",
            ),
            "983e3de6f95c88c81b2ca7ebb2c217933be1973b1ff058776b970f901584613a",
            {"base_channels": 64}, 13_841_547, "Disco Diffusion's secondary model (fast x0 estimate for guidance)",
        ),
        ModelInfo(
            "portrait_generator_v001", "unet", "portrait_generator_v001_ema_0.9999_1MM.pt",
            ("https://huggingface.co/felipe3dartist/portrait_generator_v001/resolve/main/portrait_generator_v001_ema_0.9999_1MM.pt",),
            "b7e8c747af880d4480b6707006f1ace000b058dd0eac5bb13558ba3752d9b5b9",
            _PORTRAIT, 139_579_462, "Portrait generator v001 (felipe3dartist), 512 family at 128 channels",
        ),
        ModelInfo(
            "pixel_art_diffusion_hard_256", "unet", "pixel_art_diffusion_hard_256.pt",
            ("https://huggingface.co/KaliYuga/pixel_art_diffusion_hard_256/resolve/main/pixel_art_diffusion_hard_256.pt",),
            "be4a9de943ec06eef32c65a1008c60ad017723a4d35dc13169c66bb322234161",
            _PIXEL_ART, 113_676_678, "Pixel art diffusion, hard edges (KaliYuga family)",
        ),
        ModelInfo(
            "pixel_art_diffusion_soft_256", "unet", "pixel_art_diffusion_soft_256.pt",
            ("https://huggingface.co/KaliYuga/pixel_art_diffusion_soft_256/resolve/main/pixel_art_diffusion_soft_256.pt",),
            "d321590e46b679bf6def1f1914b47c89e762c76f19ab3e3392c8ca07c791039c",
            _PIXEL_ART, 113_676_678, "Pixel art diffusion, soft edges (KaliYuga family)",
        ),
    ]
}

_CUSTOM_FILE = "custom.json"
_HASH_SUFFIX = ".sha256.json"
_CHUNK = 1 << 20


# -- the cache -------------------------------------------------------------------------
def cache_dir(create: bool = False) -> Path:
    """The checkpoint cache folder (``$CHROMA_MODELS`` or the platform cache, see module doc)."""
    env = os.environ.get("CHROMA_MODELS")
    if env:
        path = Path(env).expanduser()
    elif sys.platform == "win32":
        base = os.environ.get("LOCALAPPDATA") or str(Path.home() / "AppData" / "Local")
        path = Path(base) / "chroma" / "models"
    elif sys.platform == "darwin":
        path = Path.home() / "Library" / "Caches" / "chroma" / "models"
    else:
        base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
        path = Path(base) / "chroma" / "models"
    if create:
        try:
            path.mkdir(parents=True, exist_ok=True)
        except OSError as e:
            raise ModelError(f"cannot create the model cache {path}: {e.strerror}; set CHROMA_MODELS to a writable folder") from None
    return path


def _custom_registry() -> dict[str, ModelInfo]:
    path = cache_dir() / _CUSTOM_FILE
    if not path.is_file():
        return {}
    try:
        raw = json.loads(path.read_text())
    except (OSError, ValueError) as e:
        raise ModelError(f"the custom model list {path} is unreadable ({e}); fix or delete it") from None
    out = {}
    for name, d in raw.items():
        d = dict(d)
        d["urls"] = tuple(d.get("urls", ()))
        d["custom"] = True
        out[name] = ModelInfo(**d)
    return out


def _save_custom(info: ModelInfo) -> None:
    path = cache_dir(create=True) / _CUSTOM_FILE
    raw = {}
    if path.is_file():
        raw = json.loads(path.read_text())
    d = asdict(info)
    d["config"] = dict(info.config)
    d.pop("custom", None)
    raw[info.name] = d
    _atomic_write_text(path, json.dumps(raw, indent=2, sort_keys=True))


def _atomic_write_text(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".tmp")
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


def _all_models() -> dict[str, ModelInfo]:
    models = dict(REGISTRY)
    models.update(_custom_registry())
    return models


def get_info(name: str) -> ModelInfo:
    """The registry entry for ``name`` (published or custom).

    Raises:
        ModelError: unknown name (the message lists the known ones).
    """
    models = _all_models()
    if name in models:
        return models[name]
    # allow the file name too
    for m in models.values():
        if m.filename == name or Path(m.filename).stem == name:
            return m
    known = ", ".join(sorted(models))
    raise ModelError(
        f"unknown model {name!r}; known models: {known}. "
        "Add your own with `chroma models import PATH --name NAME` (and its config)"
    )


# -- hashing ---------------------------------------------------------------------------
def sha256_file(path: str | os.PathLike[str], progress: ProgressFn | None = None) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    total = os.path.getsize(path)
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return h.hexdigest()


def _hash_record(path: Path) -> Path:
    return path.with_name(path.name + _HASH_SUFFIX)


def _cached_sha256(path: Path, compute: bool = True) -> str | None:
    """sha256 of ``path``, remembered beside it while its size and mtime are unchanged."""
    rec = _hash_record(path)
    st = path.stat()
    if rec.is_file():
        try:
            d = json.loads(rec.read_text())
            if d.get("size") == st.st_size and d.get("mtime_ns") == st.st_mtime_ns:
                return str(d["sha256"])
        except (OSError, ValueError, KeyError):
            pass
    if not compute:
        return None
    digest = sha256_file(path)
    try:
        _atomic_write_text(rec, json.dumps({"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    except OSError:
        pass
    return digest


def _check_sha(info: ModelInfo, path: Path, digest: str) -> None:
    if info.sha256 and digest != info.sha256:
        raise ChecksumError(
            f"{path} does not match the published sha256 of {info.name!r} "
            f"(expected {info.sha256}, got {digest}); the file is corrupt or a different model. "
            f"Delete it and run `chroma models fetch {info.name}`, or import the right file"
        )


# -- status ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelStatus:
    """One row of :func:`list_models`: ``verified`` is True (sha256 matches), False
    (mismatch), or None (not cached, no published sha256, or not yet hashed)."""

    name: str
    family: str
    path: Path
    size: int | None
    cached: bool
    verified: bool | None
    num_params: int | None
    description: str
    custom: bool = False


def list_models(hash_files: bool = False) -> list[ModelStatus]:
    """All known checkpoints with their cache state.

    Args:
        hash_files: compute missing digests (slow for GB files); otherwise only digests
            remembered from fetch/import/verify are used.
    """
    rows = []
    for info in _all_models().values():
        path = cache_dir() / info.filename
        cached = path.is_file()
        verified: bool | None = None
        size = None
        if cached:
            size = path.stat().st_size
            digest = _cached_sha256(path, compute=hash_files)
            if digest is not None and info.sha256:
                verified = digest == info.sha256
        rows.append(
            ModelStatus(info.name, info.family, path, size, cached, verified, info.num_params, info.description, info.custom)
        )
    return rows


def model_path(name: str) -> Path:
    """Path of a cached checkpoint.

    Raises:
        ModelNotFoundError: it is not in the cache; the message says where it is
            expected and how to get it (URL, ``chroma models fetch``/``import``).
    """
    info = get_info(name)
    path = cache_dir() / info.filename
    if path.is_file():
        return path
    how = f"run `chroma models fetch {info.name}`"
    if info.urls:
        how += f" (downloads {info.urls[0]})"
    raise ModelNotFoundError(
        f"checkpoint {info.filename} for model {info.name!r} is missing: expected at {path}. "
        f"To get it, {how}; on a machine without network, copy the file over and run "
        f"`chroma models import PATH` (or set CHROMA_MODELS to the folder that holds it)"
    )


# -- fetch -------------------------------------------------------------------------------
class _Bar:
    """A one-line progress bar on stderr."""

    def __init__(self, label: str, stream: Any = None):
        self.label = label
        self.stream = stream or sys.stderr
        self.t0 = time.monotonic()
        self.last = 0.0

    def __call__(self, done: int, total: int | None) -> None:
        now = time.monotonic()
        if now - self.last < 0.2 and (total is None or done < total):
            return
        self.last = now
        rate = done / max(now - self.t0, 1e-6) / 1e6
        if total:
            frac = min(done / total, 1.0)
            bar = "#" * int(frac * 30)
            msg = f"\r{self.label} [{bar:<30}] {frac * 100:5.1f}% {done / 1e6:.1f}/{total / 1e6:.1f} MB {rate:.1f} MB/s"
        else:
            msg = f"\r{self.label} {done / 1e6:.1f} MB {rate:.1f} MB/s"
        self.stream.write(msg)
        if total and done >= total:
            self.stream.write("\n")
        self.stream.flush()


def _download(url: str, dest: Path, progress: ProgressFn | None, timeout: float = 60.0) -> None:
    """Download ``url`` to ``dest``, resuming from ``dest`` if it holds a partial file."""
    have = dest.stat().st_size if dest.exists() else 0
    parsed = urllib.parse.urlparse(url)
    if parsed.scheme == "file":
        src = Path(urllib.request.url2pathname(parsed.path))
        if parsed.netloc and parsed.netloc != "localhost":
            src = Path(f"//{parsed.netloc}") / src
        if not src.is_file():
            raise DownloadError(f"{url}: no such file {src}")
        total = src.stat().st_size
        if have > total:
            have = 0
        with open(src, "rb") as fin, open(dest, "ab" if have else "wb") as fout:
            fin.seek(have)
            done = have
            while chunk := fin.read(_CHUNK):
                fout.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
        return
    if parsed.scheme not in ("http", "https"):
        raise DownloadError(f"unsupported URL scheme in {url!r}; use https:// or file://")
    req = urllib.request.Request(url, headers={"User-Agent": "chroma-render"})
    if have:
        req.add_header("Range", f"bytes={have}-")
    try:
        resp = urllib.request.urlopen(req, timeout=timeout)
    except urllib.error.HTTPError as e:
        if e.code == 416 and have:  # already complete
            return
        raise DownloadError(f"{url}: HTTP {e.code} {e.reason}") from None
    except (urllib.error.URLError, OSError) as e:
        reason = getattr(e, "reason", e)
        raise DownloadError(f"{url}: {reason}") from None
    with resp:
        status = getattr(resp, "status", 200)
        append = have and status == 206
        if not append:
            have = 0
        length = resp.headers.get("Content-Length")
        total = have + int(length) if length and length.isdigit() else None
        done = have
        with open(dest, "ab" if append else "wb") as f:
            while True:
                try:
                    chunk = resp.read(_CHUNK)
                except OSError as e:
                    raise DownloadError(f"{url}: interrupted after {done} bytes ({e}); run the fetch again to resume") from None
                if not chunk:
                    break
                f.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, total)
    if total is not None and done < total:
        raise DownloadError(f"{url}: got {done} of {total} bytes; run the fetch again to resume")


def fetch(
    name: str,
    url: str | None = None,
    progress: bool | ProgressFn = True,
    force: bool = False,
) -> Path:
    """Download a registered checkpoint into the cache and verify its sha256.

    An interrupted download leaves ``<file>.part`` in the cache; the next fetch resumes
    it (HTTP ``Range``). The finished file is renamed into place only after its digest
    matches.

    Args:
        name: registry name.
        url: a URL to use instead of the registry's (a mirror, or ``file://``).
        progress: True for a bar on stderr, False for none, or ``fn(done, total)``.
        force: download again even if a verified copy is cached.

    Returns:
        The cached path.

    Raises:
        DownloadError: every URL failed (the message says how to import by hand).
        ChecksumError: the downloaded file's digest differs (it is deleted).
    """
    info = get_info(name)
    folder = cache_dir(create=True)
    dest = folder / info.filename
    if dest.is_file() and not force:
        _check_sha(info, dest, _cached_sha256(dest) or "")
        return dest
    urls = (url,) if url else info.urls
    if not urls:
        raise DownloadError(f"model {info.name!r} has no download URL; import it with `chroma models import PATH --name {info.name}`")
    part = dest.with_name(dest.name + ".part")
    if force and part.exists():
        part.unlink()
    bar: ProgressFn | None
    if progress is True:
        bar = _Bar(info.name)
    elif progress is False:
        bar = None
    else:
        bar = progress
    errors = []
    for u in urls:
        try:
            _download(u, part, bar)
            break
        except DownloadError as e:
            errors.append(str(e))
    else:
        raise DownloadError(
            f"could not download {info.name!r}: " + "; ".join(errors)
            + f". On a machine without network, copy {info.filename} over and run `chroma models import PATH`"
        )
    digest = sha256_file(part)
    if info.sha256 and digest != info.sha256:
        part.unlink()
        raise ChecksumError(
            f"the download of {info.name!r} does not match its published sha256 "
            f"(expected {info.sha256}, got {digest}); it was deleted. Try again or use another mirror (--url)"
        )
    os.replace(part, dest)
    st = dest.stat()
    _atomic_write_text(
        _hash_record(dest), json.dumps({"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns})
    )
    return dest


# -- import ------------------------------------------------------------------------------
def import_(
    path: str | os.PathLike[str],
    name: str | None = None,
    config: Mapping[str, Any] | str | None = None,
    family: str = "unet",
    sha256: str | None = None,
) -> Path:
    """Copy a checkpoint file into the cache (air-gapped studios, custom models).

    A file of a registered model (found by ``name`` or by its file name) must match the
    published sha256. Any other file becomes a *custom* model and needs its ``config``:
    a published-style UNet config dict, the name of a registered model with the same
    architecture, or a JSON file holding the dict. Custom models are remembered in
    ``custom.json`` in the cache with the digest taken now, so later loads verify it.

    Args:
        path: the checkpoint file (a plain state_dict saved by ``torch.save``).
        name: registry name; default: the registered model with this file name, or
            the file's stem for a custom model.
        config: the architecture of a custom model.
        family: ``"unet"`` or ``"secondary"`` for a custom model.
        sha256: for a custom model, the digest you expect (checked).

    Returns:
        The cached path.
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise ModelNotFoundError(f"cannot import {src}: no such file")
    models = _all_models()
    info = None
    if name and name in models:
        info = models[name]
    elif not name:
        for m in models.values():
            if m.filename == src.name:
                info = m
                break
    if info is None or (info.custom and config is not None):
        if config is None:
            raise ModelError(
                f"{src.name} is not a registered checkpoint ({', '.join(sorted(REGISTRY))}); to import it as a custom "
                "model give its architecture: config=<published-style dict, JSON file, or the name of a registered "
                "model with the same layout> (CLI: --config)"
            )
        cfg = _resolve_config(config)
        new_name = name or src.stem
        if new_name in REGISTRY:
            raise ModelError(f"{new_name!r} is a published model name; choose another --name for a custom checkpoint")
        if family not in ("unet", "secondary"):
            raise ModelError(f"family must be 'unet' or 'secondary', got {family!r}")
        info = ModelInfo(new_name, family, f"{new_name}{src.suffix or '.pt'}", (), None, cfg, None,
                         f"custom checkpoint imported from {src}", True)
    folder = cache_dir(create=True)
    dest = folder / info.filename
    digest = sha256_file(src)
    expected = info.sha256 or sha256
    if expected and digest != expected:
        raise ChecksumError(
            f"{src} does not match the sha256 of {info.name!r} (expected {expected}, got {digest}); "
            "it is corrupt or a different model, so it was not imported"
        )
    if src.resolve() != dest.resolve():
        fd, tmp = tempfile.mkstemp(dir=folder, prefix=dest.name, suffix=".tmp")
        os.close(fd)
        try:
            shutil.copyfile(src, tmp)
            os.replace(tmp, dest)
        finally:
            if os.path.exists(tmp):
                os.unlink(tmp)
    st = dest.stat()
    _atomic_write_text(_hash_record(dest), json.dumps({"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
    if info.custom:
        from dataclasses import replace

        _save_custom(replace(info, sha256=digest))
    return dest


def _resolve_config(config: Mapping[str, Any] | str) -> dict[str, Any]:
    if isinstance(config, Mapping):
        return dict(config)
    if config in REGISTRY:
        return dict(REGISTRY[config].config)
    p = Path(config).expanduser()
    if p.is_file():
        try:
            return dict(json.loads(p.read_text()))
        except ValueError as e:
            raise ModelError(f"config file {p} is not valid JSON: {e}") from None
    raise ModelError(f"config {config!r} is neither a registered model name nor a JSON file")


# -- verify ------------------------------------------------------------------------------
def verify(name: str | None = None, progress: bool | ProgressFn = False) -> list[ModelStatus]:
    """Re-hash cached checkpoints (all, or ``name``) and compare with their sha256.

    Returns the rows of :func:`list_models` for the checked models, with ``verified``
    freshly computed (None where no digest is known).
    """
    infos = [get_info(name)] if name else list(_all_models().values())
    rows = []
    for info in infos:
        path = cache_dir() / info.filename
        if not path.is_file():
            if name:
                model_path(info.name)  # raises the helpful error
            continue
        bar = _Bar(f"verify {info.name}") if progress is True else (progress or None)
        digest = sha256_file(path, bar)
        st = path.stat()
        try:
            _atomic_write_text(_hash_record(path), json.dumps({"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))
        except OSError:
            pass
        ok = (digest == info.sha256) if info.sha256 else None
        rows.append(ModelStatus(info.name, info.family, path, st.st_size, True, ok, info.num_params, info.description, info.custom))
    return rows


# -- loading -----------------------------------------------------------------------------
def load_state_dict(path: str | os.PathLike[str], expected_sha256: str | None = None) -> dict[str, Any]:
    """Load a plain state_dict with ``torch.load(weights_only=True)`` onto the CPU.

    Args:
        path: the checkpoint.
        expected_sha256: checked first if given.

    Raises:
        ChecksumError: digest mismatch.
        UnsafeCheckpointError: the file holds objects other than tensors and plain
            containers (a pickle that could run code), or is not a checkpoint at all.
    """
    import pickle

    import torch

    p = Path(path)
    if expected_sha256:
        digest = _cached_sha256(p) if p.parent == cache_dir() else sha256_file(p)
        if digest != expected_sha256:
            raise ChecksumError(
                f"{p} does not match its sha256 (expected {expected_sha256}, got {digest}); "
                "re-fetch or re-import the file"
            )
    try:
        try:
            sd = torch.load(p, map_location="cpu", weights_only=True, mmap=True)
        except RuntimeError as e:  # legacy (non-zip) files cannot be memory-mapped
            if "mmap" not in str(e):
                raise
            sd = torch.load(p, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise UnsafeCheckpointError(
            f"{p} is not a plain-weights checkpoint and was refused (weights_only loading: {first}). "
            "Only state_dicts saved with torch.save(model.state_dict()) are accepted"
        ) from None
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise UnsafeCheckpointError(f"{p} cannot be read as a torch checkpoint ({e}); re-fetch or re-import it") from None
    if isinstance(sd, dict) and "state_dict" in sd and isinstance(sd["state_dict"], dict):
        sd = sd["state_dict"]
    if not isinstance(sd, dict) or not all(isinstance(v, torch.Tensor) for v in sd.values()):
        raise UnsafeCheckpointError(f"{p} does not hold a state_dict (a mapping of names to tensors)")
    return sd


def _load_verified(name: str) -> tuple[ModelInfo, dict[str, Any]]:
    info = get_info(name)
    path = model_path(info.name)
    digest = _cached_sha256(path)
    _check_sha(info, path, digest or "")
    return info, load_state_dict(path)


def load_unet(name: str, use_checkpoint: bool = False) -> Any:
    """Build the registered UNet ``name`` and load its verified weights (CPU, float32).

    Raises:
        ModelNotFoundError: not cached (message says where and how to get it).
        ModelError: the weights do not fit the registered architecture.
    """
    from render.unet import UNetConfig, UNetModel

    info, sd = _load_verified(name)
    if info.family != "unet":
        raise ModelError(f"{info.name!r} is a {info.family} model, not a diffusion UNet")
    model = UNetModel(UNetConfig.from_published(info.config), use_checkpoint=use_checkpoint)
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def load_secondary(name: str = "secondary_model_imagenet_2") -> Any:
    """Build Disco Diffusion's secondary model and load its verified weights."""
    from render.secondary import SecondaryDiffusionImageNet2

    info, sd = _load_verified(name)
    if info.family != "secondary":
        raise ModelError(f"{info.name!r} is a {info.family} model, not the secondary model")
    model = SecondaryDiffusionImageNet2(int(info.config.get("base_channels", 64)))
    _load_into(model, sd, info)
    return model.eval().requires_grad_(False)


def _load_into(model: Any, sd: Mapping[str, Any], info: ModelInfo) -> None:
    try:
        model.load_state_dict(sd, strict=True)
    except RuntimeError as e:
        detail = " ".join(str(e).split())
        detail = detail if len(detail) < 300 else detail[:300] + " ..."
        raise ModelError(
            f"the weights of {info.name!r} do not fit its configured architecture ({detail}); "
            "for a custom model, re-import it with the right --config"
        ) from None
