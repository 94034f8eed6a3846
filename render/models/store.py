"""Cache operations: list, locate, fetch (resumable), import, verify."""

from __future__ import annotations

import contextlib
import hashlib
import os
import urllib.error
import urllib.parse
import urllib.request
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Mapping

from render.atomic import atomic_path
from render.errors import ChecksumError, DownloadError, ModelError, ModelNotFoundError
from render.models.registry import (
    CHUNK_SIZE,
    DEPTH_HUB_URLS,
    REGISTRY,
    ByteProgress,
    ModelInfo,
    all_models,
    cache_dir,
    cached_sha256,
    check_sha256,
    get_info,
    remember_sha256,
    resolve_config,
    save_custom,
    sha256_file,
)


# -- status ------------------------------------------------------------------------------
@dataclass(frozen=True)
class ModelStatus:
    """One row of :func:`list_models` or :func:`verify`.

    Attributes
    ----------
    name : str
        Registry name.
    family : str
        ``"unet"``, ``"secondary"``, ``"lpips"`` or ``"depth"``.
    path : pathlib.Path
        Where the checkpoint is (or would be) in the cache.
    size : int or None
        File size in bytes, None when not cached.
    cached : bool
        Whether the file is in the cache.
    verified : bool or None
        True (sha256 matches), False (mismatch), or None (not cached, no published
        sha256, or not yet hashed).
    num_params : int or None
        Parameter count of the layout.
    description : str
        One line for listings.
    custom : bool
        A user-imported checkpoint.
    """

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

    Parameters
    ----------
    hash_files : bool, optional
        Compute missing digests (slow for GB files). Default False: only digests
        remembered from fetch/import/verify are used.

    Returns
    -------
    list of ModelStatus
        One row per published or custom entry.

    Raises
    ------
    render.errors.ModelError
        If the custom model list is unreadable.
    """
    rows = []
    for info in all_models().values():
        path = cache_dir() / info.filename
        cached = path.is_file()
        verified: bool | None = None
        size = None
        if cached:
            size = path.stat().st_size
            digest = cached_sha256(path, compute=hash_files)
            if digest is not None and info.sha256:
                verified = digest == info.sha256
        rows.append(
            ModelStatus(info.name, info.family, path, size, cached, verified, info.num_params, info.description, info.custom)
        )
    return rows


def model_path(name: str) -> Path:
    """Path of a cached checkpoint.

    Parameters
    ----------
    name : str
        Registry name (or file name, see :func:`render.models.get_info`).

    Returns
    -------
    pathlib.Path
        The file in the cache folder.

    Raises
    ------
    render.errors.ModelNotFoundError
        It is not in the cache; the message says where it is expected and how to get
        it (URL, ``chroma models fetch``/``import``).
    render.errors.ModelError
        Unknown name.
    """
    info = get_info(name)
    path = cache_dir() / info.filename
    if path.is_file():
        return path
    how = f"run `chroma models fetch {info.name}`"
    if info.urls:
        how += f" (downloads {info.urls[0]})"
    elif info.name in DEPTH_HUB_URLS:  # hub files all named pytorch_model.bin: fetched by hand
        how = f"download {DEPTH_HUB_URLS[info.name]} and run `chroma models import pytorch_model.bin --name {info.name}`"
    raise ModelNotFoundError(
        f"checkpoint {info.filename} for model {info.name!r} is missing: expected at {path}. "
        f"To get it, {how}; on a machine without network, copy the file over and run "
        f"`chroma models import PATH` (or set CHROMA_MODELS to the folder that holds it)"
    )


# -- fetch -------------------------------------------------------------------------------
def _callback(progress: ByteProgress | bool | None, caller: str) -> ByteProgress | None:
    """The callback of a ``progress`` argument; ``True``, the former "draw a bar", warns."""
    if progress is True:
        warnings.warn(
            f"render.models.{caller}(progress=True) is deprecated and draws nothing: render draws no bar of its own; "
            "pass a callback fn(done_bytes, total_bytes), e.g. chroma.progress.Progress(None, unit='B').update_to "
            f"(`chroma models {caller.rstrip('_')}` draws one)",
            DeprecationWarning,
            stacklevel=3,
        )
        return None
    return progress or None


def _copy_hashing(src: Path, dst: Path, progress: ByteProgress | None) -> str:
    """Copy ``src`` to ``dst`` in :data:`CHUNK_SIZE` chunks; the sha256 of the bytes copied."""
    h = hashlib.sha256()
    total = src.stat().st_size
    done = 0
    with open(src, "rb") as fin, open(dst, "wb") as fout:
        while chunk := fin.read(CHUNK_SIZE):
            h.update(chunk)
            fout.write(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return h.hexdigest()


def _download(url: str, dest: Path, progress: ByteProgress | None, timeout: float = 60.0) -> None:
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
            while chunk := fin.read(CHUNK_SIZE):
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
        expected: int | None = have + int(length) if length and length.isdigit() else None
        done = have
        with open(dest, "ab" if append else "wb") as f:
            while True:
                try:
                    chunk = resp.read(CHUNK_SIZE)
                except OSError as e:
                    raise DownloadError(f"{url}: interrupted after {done} bytes ({e}); run the fetch again to resume") from None
                if not chunk:
                    break
                f.write(chunk)
                done += len(chunk)
                if progress:
                    progress(done, expected)
    if expected is not None and done < expected:
        raise DownloadError(f"{url}: got {done} of {expected} bytes; run the fetch again to resume")


def fetch(
    name: str,
    url: str | None = None,
    progress: ByteProgress | bool | None = None,
    force: bool = False,
) -> Path:
    """Download a registered checkpoint into the cache and verify its sha256.

    An interrupted download leaves ``<file>.part`` in the cache; the next fetch resumes
    it (HTTP ``Range``). The finished file is renamed into place only after its digest
    matches.

    Parameters
    ----------
    name : str
        Registry name.
    url : str or None, optional
        A URL to use instead of the registry's (a mirror, or ``file://``). Default None.
    progress : ByteProgress or bool or None, optional
        ``fn(bytes_done, total_bytes_or_None)``, called as the download goes (e.g.
        ``chroma.progress.Progress(...).update_to``). Default None: no report. ``True``
        (formerly a bar drawn by render) is deprecated and reports nothing.
    force : bool, optional
        Download again even if a verified copy is cached. Default False.

    Returns
    -------
    pathlib.Path
        The cached path.

    Raises
    ------
    render.errors.DownloadError
        No URL, or every URL failed (the message says how to import by hand).
    render.errors.ChecksumError
        The downloaded file's (or the cached copy's) digest differs; a download is
        deleted.
    render.errors.ModelError
        Unknown name, or the cache folder cannot be created.
    """
    info = get_info(name)
    folder = cache_dir(create=True)
    dest = folder / info.filename
    if dest.is_file() and not force:
        check_sha256(info, dest, cached_sha256(dest) or "")
        return dest
    urls = (url,) if url else info.urls
    if not urls:
        raise DownloadError(f"model {info.name!r} has no download URL; import it with `chroma models import PATH --name {info.name}`")
    part = dest.with_name(dest.name + ".part")
    if force and part.exists():
        part.unlink()
    bar = _callback(progress, "fetch")
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
    remember_sha256(dest, digest)
    return dest


# -- import ------------------------------------------------------------------------------
def import_(
    path: str | os.PathLike[str],
    name: str | None = None,
    config: Mapping[str, Any] | str | None = None,
    family: str = "unet",
    sha256: str | None = None,
    progress: ByteProgress | None = None,
) -> Path:
    """Copy a checkpoint file into the cache (air-gapped studios, custom models).

    A file of a registered model (found by ``name`` or by its file name) must match the
    published sha256. Any other file becomes a *custom* model and needs its ``config``:
    a published-style UNet config dict, the name of a registered model with the same
    architecture, or a JSON file holding the dict. Custom models are remembered in
    ``custom.json`` in the cache with the digest taken now, so later loads verify it.

    Every file that is not the published one (by digest) is checked first, as the loader
    would check it (:func:`render.models.checks.check_checkpoint`): read as plain weights
    only (``torch.load(weights_only=True)``), the config built into the family's network
    and the file's parameter names and shapes matched to it. A file that fails is refused
    and nothing is written into the cache. This needs torch (the renderer's extra).

    The file is read once: copied to a temporary file in the cache (:func:`render.atomic.
    atomic_path`) while it is hashed, and renamed into place only when the checks pass.

    Parameters
    ----------
    path : str or os.PathLike
        The checkpoint file (a plain state_dict saved by ``torch.save``).
    name : str or None, optional
        Registry name. Default None: the registered model with this file name, or the
        file's stem for a custom model.
    config : Mapping[str, Any] or str or None, optional
        The architecture of a custom model (see
        :func:`render.models.registry.resolve_config`). Default None.
    family : str, optional
        ``"unet"`` (the default), ``"secondary"`` or ``"depth"`` (a ``transformers``
        depth model; ``config`` is then its ``config.json``) for a custom model.
    sha256 : str or None, optional
        For a custom model, the hex digest you expect (checked). Default None.
    progress : ByteProgress or None, optional
        ``fn(bytes_done, total_bytes)``, called as the file is copied (or, when it is
        already in the cache, hashed), ending at the file's size. Default None.

    Returns
    -------
    pathlib.Path
        The cached path.

    Raises
    ------
    render.errors.ModelNotFoundError
        ``path`` is not a file.
    render.errors.ModelError
        A custom model without ``config``, a custom name that is a published one, an
        unknown ``family``, a ``config`` that does not build the family's network,
        parameters that do not fit it, or torch is not installed.
    render.errors.ChecksumError
        The file's digest differs from the published or expected one (nothing is
        imported).
    render.errors.UnsafeCheckpointError
        The file is not plain weights (a pickle that could run code) or not a readable
        checkpoint (text, truncated); nothing is imported.
    """
    src = Path(path).expanduser()
    if not src.is_file():
        raise ModelNotFoundError(f"cannot import {src}: no such file")
    models = all_models()
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
        cfg = resolve_config(config)
        new_name = name or src.stem
        if new_name in REGISTRY:
            raise ModelError(f"{new_name!r} is a published model name; choose another --name for a custom checkpoint")
        if family not in ("unet", "secondary", "depth"):
            raise ModelError(f"family must be 'unet', 'secondary' or 'depth', got {family!r}")
        info = ModelInfo(new_name, family, f"{new_name}{src.suffix or '.pt'}", (), None, cfg, None,
                         f"custom checkpoint imported from {src}", True)
    new_folder = not cache_dir().is_dir()
    dest = cache_dir(create=True) / info.filename
    try:
        if src.resolve() == dest.resolve():
            digest = sha256_file(src, progress)
            _check_import(src, info, digest, sha256)
        else:
            with atomic_path(dest) as tmp:
                digest = _copy_hashing(src, tmp, progress)
                _check_import(src, info, digest, sha256)
    except BaseException:
        if new_folder:  # a refused import leaves no trace, not even the cache folder it made
            with contextlib.suppress(OSError):
                dest.parent.rmdir()
        raise
    remember_sha256(dest, digest)
    if info.custom:
        from dataclasses import replace

        save_custom(replace(info, sha256=digest))
    return dest


def _check_import(src: Path, info: ModelInfo, digest: str, sha256: str | None) -> None:
    """Refuse a file to import whose digest is not the published (or expected) one, or that
    is not the published file and does not load as its family's plain weights."""
    expected = info.sha256 or sha256
    if expected and digest != expected:
        raise ChecksumError(
            f"{src} does not match the sha256 of {info.name!r} (expected {expected}, got {digest}); "
            "it is corrupt or a different model, so it was not imported"
        )
    if not (info.sha256 and digest == info.sha256):
        # The published digest names the exact published bytes (plain weights, whose layout
        # tests/render/test_unet.py checks against the reference layouts); any other file is
        # read as weights only and matched to its family's layout before it enters the cache.
        from render.models.checks import check_checkpoint

        check_checkpoint(src, info)


# -- verify ------------------------------------------------------------------------------
def verify(name: str | None = None, progress: ByteProgress | bool | None = None) -> list[ModelStatus]:
    """Re-hash cached checkpoints (all, or ``name``) and compare with their sha256.

    Parameters
    ----------
    name : str or None, optional
        One registry name. Default None: every cached checkpoint.
    progress : ByteProgress or bool or None, optional
        ``fn(bytes_done, total_bytes)``, called as each file is hashed (from 0 again for
        each file). Default None: no report. ``True`` (formerly a bar drawn by render) is
        deprecated and reports nothing.

    Returns
    -------
    list of ModelStatus
        The rows of :func:`list_models` for the cached models checked, with
        ``verified`` freshly computed (None where no digest is published).

    Raises
    ------
    render.errors.ModelNotFoundError
        ``name`` is given and not cached.
    render.errors.ModelError
        Unknown ``name``.
    """
    infos = [get_info(name)] if name else list(all_models().values())
    bar = _callback(progress, "verify")
    rows = []
    for info in infos:
        path = cache_dir() / info.filename
        if not path.is_file():
            if name:
                model_path(info.name)  # raises the helpful error
            continue
        digest = sha256_file(path, bar)
        st = path.stat()
        try:
            remember_sha256(path, digest, st)
        except OSError:
            pass
        ok = (digest == info.sha256) if info.sha256 else None
        rows.append(ModelStatus(info.name, info.family, path, st.st_size, True, ok, info.num_params, info.description, info.custom))
    return rows

