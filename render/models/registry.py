"""The registry of published checkpoints, custom entries, the cache folder and digests."""

from __future__ import annotations

import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Mapping, Protocol

from render.atomic import atomic_path
from render.errors import ChecksumError, ModelError


class ByteProgress(Protocol):
    """How render reports the bytes of a download, a copy or a hash as they go.

    ``render`` never imports ``chroma`` and draws no bar itself: a caller passes a
    callback, e.g. ``chroma.progress.Progress(...).update_to`` (what ``chroma models``
    does), or any ``lambda done, total: ...``.
    """

    def __call__(self, done: int, total: int | None) -> None:
        """Report progress.

        Parameters
        ----------
        done : int
            Bytes done so far.
        total : int or None
            Bytes in all, or None while unknown (a download without a length).
        """
        ...


#: Former name of :class:`ByteProgress`.
ProgressFn = ByteProgress

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

    Attributes
    ----------
    name : str
        Registry name (``chroma models fetch NAME``).
    family : str
        ``"unet"`` (a guided-diffusion UNet), ``"secondary"``, ``"lpips"`` (the image
        network behind the LPIPS init and frame losses), or ``"depth"`` (a
        ``transformers`` depth model for 3D moves, see :mod:`render.models.depth`).
    filename : str
        The file name in the cache.
    urls : tuple of str
        Download URLs, tried in order. Default none.
    sha256 : str or None
        Expected hex digest (None: not published; the file is accepted unverified).
    config : Mapping[str, Any]
        UNet hyper-parameters (published-style dict), the secondary's, the LPIPS
        network's or the depth model's ``transformers`` configuration.
    num_params : int or None
        Parameter count of the layout.
    description : str
        One line for listings.
    custom : bool
        A user-imported checkpoint (kept in ``custom.json`` in the cache).
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
#: reference README; the UNets after them, the digests Disco Diffusion v5.x distributions
#: list; VGG16's, the digest of torchvision's file (its name carries the first 8 hex digits).
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
        ModelInfo(
            "vgg16_imagenet", "lpips", "vgg16-397923af.pth",
            ("https://download.pytorch.org/models/vgg16-397923af.pth",),
            "397923af8e79cdbb6a7127f12361acd7a2f83e06b05044ddf496e83de57a5bf0",
            {"net": "vgg"}, 138_357_544,
            "VGG16 ImageNet (torchvision): the LPIPS backbone of init_scale and frames_scale, as Disco Diffusion",
        ),
        # torchvision's RAFT port of raft-things.pth (Raft_Large_Weights.C_T_V1.url). Its full
        # sha256 is not published and could not be taken here (no network): the file name
        # carries its first 8 hex digits, 22a6c225, which render.flow.load_raft checks.
        ModelInfo(
            "raft_large_C_T_V1", "flow", "raft_large_C_T_V1-22a6c225.pth",
            ("https://download.pytorch.org/models/raft_large_C_T_V1-22a6c225.pth",),
            None, {"arch": "raft_large"}, 5_257_536,
            "RAFT large, Chairs+Things (torchvision's port of raft-things.pth): Disco Diffusion's video flow",
        ),
    ]
}

# Depth models for 3D camera moves (render.depth, optional extra "depth"): the weights of the
# Hugging Face ports of MiDaS v3 (Intel/dpt-*), built from these transformers configs
# (the values of transformers' DPT conversion script: models/dpt/convert_dpt*_to_pytorch.py).
# The hub publishes no sha256 beside the files, so none is listed (the digest of the file
# taken at import is remembered in the cache and checked at every load after that).
# The hub names every weights file pytorch_model.bin, so its URL cannot end with a cache file
# name of its own as the registry's URLs do: the entries carry no URL, and the files are
# downloaded by hand from DEPTH_HUB_URLS and brought in with `chroma models import`.
# The cache file stems are Disco Diffusion's midas_depth_model names ("dpt_large",
# "dpt_hybrid"), which get_info accepts too, so DD settings name these entries as they are.
DEPTH_HUB_URLS = {
    "dpt_hybrid_midas": "https://huggingface.co/Intel/dpt-hybrid-midas/resolve/main/pytorch_model.bin",
    "dpt_large": "https://huggingface.co/Intel/dpt-large/resolve/main/pytorch_model.bin",
}
_DPT_HYBRID_MIDAS = {
    "model_type": "dpt", "is_hybrid": True, "hidden_size": 768, "num_hidden_layers": 12,
    "num_attention_heads": 12, "intermediate_size": 3072, "patch_size": 16, "image_size": 384,
    "backbone_out_indices": [2, 5, 8, 11], "reassemble_factors": [1, 1, 1, 0.5],
    "neck_hidden_sizes": [256, 512, 768, 768], "readout_type": "project",
    "use_batch_norm_in_fusion_residual": False, "backbone_featmap_shape": [1, 1024, 24, 24],
    "neck_ignore_stages": [0, 1],
    "backbone_config": {
        "model_type": "bit", "global_padding": "same", "layer_type": "bottleneck", "depths": [3, 4, 9],
        "out_features": ["stage1", "stage2", "stage3"], "embedding_dynamic_padding": True,
    },
}
_DPT_LARGE = {
    "model_type": "dpt", "hidden_size": 1024, "num_hidden_layers": 24, "num_attention_heads": 16,
    "intermediate_size": 4096, "patch_size": 16, "image_size": 384, "backbone_out_indices": [5, 11, 17, 23],
    "reassemble_factors": [4, 2, 1, 0.5], "neck_hidden_sizes": [256, 512, 1024, 1024], "readout_type": "project",
}
REGISTRY.update(
    {
        m.name: m
        for m in [
            ModelInfo(
                "dpt_hybrid_midas", "depth", "dpt_hybrid.bin", (), None, _DPT_HYBRID_MIDAS, 122_377_985,
                "MiDaS v3 DPT-Hybrid depth for 3D moves (pytorch_model.bin of huggingface.co/Intel/dpt-hybrid-midas, "
                "then `chroma models import pytorch_model.bin --name dpt_hybrid_midas`); needs the 'depth' extra",
            ),
            ModelInfo(
                "dpt_large", "depth", "dpt_large.bin", (), None, _DPT_LARGE, 343_030_465,
                "MiDaS v3 DPT-Large depth, Disco Diffusion's default (pytorch_model.bin of huggingface.co/Intel/dpt-large, "
                "then `chroma models import pytorch_model.bin --name dpt_large`); needs the 'depth' extra",
            ),
        ]
    }
)

_CUSTOM_FILE = "custom.json"
_HASH_SUFFIX = ".sha256.json"
#: Bytes read at a time when hashing, copying or downloading a checkpoint (1 MiB).
CHUNK_SIZE = 1 << 20

# -- the cache -------------------------------------------------------------------------
def cache_dir(create: bool = False) -> Path:
    """The checkpoint cache folder.

    ``$CHROMA_MODELS`` when set, else ``%LOCALAPPDATA%/chroma/models`` (Windows),
    ``~/Library/Caches/chroma/models`` (macOS) or ``$XDG_CACHE_HOME/chroma/models``
    (default ``~/.cache``).

    Parameters
    ----------
    create : bool, optional
        Create the folder (and its parents) if missing. Default False.

    Returns
    -------
    pathlib.Path
        The folder.

    Raises
    ------
    render.errors.ModelError
        If ``create`` and the folder cannot be created.
    """
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


def save_custom(info: ModelInfo) -> None:
    """Add or replace a custom entry in ``custom.json`` in the cache.

    Parameters
    ----------
    info : ModelInfo
        The entry; its ``custom`` flag is not stored (every entry of the file is
        custom).
    """
    path = cache_dir(create=True) / _CUSTOM_FILE
    raw = {}
    if path.is_file():
        raw = json.loads(path.read_text())
    d = asdict(info)
    d["config"] = dict(info.config)
    d.pop("custom", None)
    raw[info.name] = d
    atomic_write_text(path, json.dumps(raw, indent=2, sort_keys=True))


def atomic_write_text(path: Path, text: str) -> None:
    """Write a text file whole or not at all, through :func:`atomic_path`.

    Parameters
    ----------
    path : pathlib.Path
        The file; its folder must exist.
    text : str
        The content, written in the platform's default encoding.
    """
    with atomic_path(path) as tmp, open(tmp, "w") as f:
        f.write(text)


def all_models() -> dict[str, ModelInfo]:
    """Every known entry: the published :data:`REGISTRY` and the custom ones.

    Returns
    -------
    dict of str to ModelInfo
        Name to entry; a custom entry replaces a published one of the same name.

    Raises
    ------
    render.errors.ModelError
        If ``custom.json`` in the cache is unreadable.
    """
    models = dict(REGISTRY)
    models.update(_custom_registry())
    return models


def get_info(name: str) -> ModelInfo:
    """The registry entry for a name (published or custom).

    Parameters
    ----------
    name : str
        Registry name, or the entry's cache file name or its stem (e.g. DD's
        ``"dpt_large"``).

    Returns
    -------
    ModelInfo
        The entry.

    Raises
    ------
    render.errors.ModelError
        Unknown name (the message lists the known ones), or an unreadable custom list.
    """
    models = all_models()
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
def sha256_file(path: str | os.PathLike[str], progress: ByteProgress | None = None) -> str:
    """The sha256 hex digest of a file, read in 1 MiB chunks.

    Parameters
    ----------
    path : str or os.PathLike
        The file.
    progress : ByteProgress or None, optional
        Called as ``progress(bytes_read, total_bytes)`` after each chunk. Default None.

    Returns
    -------
    str
        64 lowercase hex digits.
    """
    h = hashlib.sha256()
    total = os.path.getsize(path)
    done = 0
    with open(path, "rb") as f:
        while chunk := f.read(CHUNK_SIZE):
            h.update(chunk)
            done += len(chunk)
            if progress:
                progress(done, total)
    return h.hexdigest()


def _hash_record(path: Path) -> Path:
    return path.with_name(path.name + _HASH_SUFFIX)


def remember_sha256(path: Path, digest: str, stat: os.stat_result | None = None) -> None:
    """Record a file's digest beside it (``<file>.sha256.json``) with its size and mtime.

    :func:`cached_sha256` trusts the record while the file's size and mtime are unchanged.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    digest : str
        Its sha256 hex digest.
    stat : os.stat_result or None, optional
        The file's status when it was hashed. Default None: ``path.stat()`` now.
    """
    st = path.stat() if stat is None else stat
    atomic_write_text(_hash_record(path), json.dumps({"sha256": digest, "size": st.st_size, "mtime_ns": st.st_mtime_ns}))


def cached_sha256(path: Path, compute: bool = True) -> str | None:
    """The sha256 of a file, remembered beside it while its size and mtime are unchanged.

    Parameters
    ----------
    path : pathlib.Path
        The file.
    compute : bool, optional
        Hash the file (and remember the digest, where the folder is writable) when no
        valid record exists. Default True.

    Returns
    -------
    str or None
        64 lowercase hex digits, or None when there is no valid record and ``compute``
        is False.
    """
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
        remember_sha256(path, digest, st)
    except OSError:
        pass
    return digest


def check_sha256(info: ModelInfo, path: Path, digest: str) -> None:
    """Refuse a file whose digest differs from its entry's published sha256.

    Parameters
    ----------
    info : ModelInfo
        The entry; an entry without ``sha256`` accepts any digest.
    path : pathlib.Path
        The file, named in the message.
    digest : str
        The file's sha256 hex digest.

    Raises
    ------
    render.errors.ChecksumError
        If ``info.sha256`` is set and differs from ``digest``.
    """
    if info.sha256 and digest != info.sha256:
        raise ChecksumError(
            f"{path} does not match the published sha256 of {info.name!r} "
            f"(expected {info.sha256}, got {digest}); the file is corrupt or a different model. "
            f"Delete it and run `chroma models fetch {info.name}`, or import the right file"
        )


def resolve_config(config: Mapping[str, Any] | str) -> dict[str, Any]:
    """The architecture config of a custom checkpoint, from a dict, a model name or a file.

    Parameters
    ----------
    config : Mapping[str, Any] or str
        A config dict (copied), the name of a published model with the same layout,
        or the path of a JSON file holding the dict.

    Returns
    -------
    dict of str to Any
        The config.

    Raises
    ------
    render.errors.ModelError
        If a file is not valid JSON, or the string is neither a published name nor a
        file.
    """
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

