"""``chroma models``: the renderer's checkpoint cache (list, fetch, import, verify)."""

from __future__ import annotations

import argparse
import json
from typing import TYPE_CHECKING

from chroma.cli._core import EXIT_OK, EXIT_PARTIAL, arguments, command, note

if TYPE_CHECKING:  # pragma: no cover
    from chroma.progress import Progress

_DESCRIPTION = """\
Manage the renderer's checkpoint cache ($CHROMA_MODELS, else the platform cache,
e.g. ~/.cache/chroma/models). Downloads resume and are checked against the published
sha256; files are only ever loaded as plain weights.

examples:
  chroma models list
  chroma models fetch 512x512_diffusion_uncond_finetune_008100
  chroma models import /mnt/usb/secondary_model_imagenet_2.pth
  chroma models import my_finetune.pt --name my-finetune --config 256x256_diffusion_uncond
  chroma models verify
"""


def _models_args(p: argparse.ArgumentParser) -> None:
    sub = p.add_subparsers(dest="action", metavar="ACTION", required=True)
    ls = sub.add_parser("list", help="known checkpoints: family, size, cached, verified")
    ls.add_argument("--json", action="store_true", help="print JSON instead of a table")
    ls.add_argument("--hash", action="store_true", help="hash cached files not hashed before (slow for GB files)")
    fe = sub.add_parser("fetch", help="download a checkpoint into the cache (resumes; checks sha256)")
    fe.add_argument("name", metavar="NAME", help="registry name (see 'chroma models list')")
    fe.add_argument("--url", help="download from this URL (a mirror, or file://) instead of the registry's")
    fe.add_argument("--force", action="store_true", help="download again even if a verified copy is cached")
    im = sub.add_parser("import", help="copy a checkpoint file into the cache (air-gapped machines, custom models)")
    im.add_argument("path", metavar="PATH", help="the checkpoint file (a state_dict saved by torch.save)")
    im.add_argument("--name", help="registry name (default: found from the file name)")
    im.add_argument("--config", dest="model_config", metavar="CFG",
                    help="architecture of a custom model: a JSON file or a registered model with the same layout")
    im.add_argument("--family", choices=("unet", "secondary", "depth"), default="unet",
                    help="custom model family (default unet; depth: a transformers depth model, --config its config.json)")
    ve = sub.add_parser("verify", help="re-hash cached checkpoints and compare with their sha256")
    ve.add_argument("name", nargs="?", metavar="NAME", help="only this model")


def _bytes_bar(args: argparse.Namespace, label: str) -> Progress:
    """A bar of bytes (download, copy, hash) on stderr: on a terminal, unless --quiet."""
    from chroma.progress import Progress

    return Progress(None, label, enabled=False if getattr(args, "quiet", False) else None, unit="B", unit_scale=True)


def _size(n: int | None) -> str:
    if n is None:
        return "-"
    return f"{n / 1e9:.2f} GB" if n >= 1e8 else f"{n / 1e6:.1f} MB"


def _cached(v: bool) -> str:
    return "yes" if v else "no"


def _verified(v: bool | None) -> str:
    return {True: "yes", False: "NO", None: "-"}[v]


@command("models", "diffusion checkpoints for 'chroma render': list, fetch, import, verify", description=_DESCRIPTION)
@arguments(_models_args)
def cmd_models(args: argparse.Namespace) -> int:
    """Run ``chroma models``: list, fetch, import or verify checkpoints (``chroma models --help``).

    The work is done by :mod:`render.models`.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed options of ``chroma models``.

    Returns
    -------
    int
        The exit status: 0, or 1 when ``verify`` finds a checkpoint whose sha256 differs.

    Raises
    ------
    render.errors.RenderError
        An unknown model, a failed download or a checksum mismatch on fetch.
    """

    import importlib.util

    from render import models  # no torch: listing and fetching stay light

    if importlib.util.find_spec("torch") is None or importlib.util.find_spec("open_clip") is None:
        note("the renderer's extra is not installed (torch, open_clip): 'chroma render' needs "
             "pip install \"chroma-vfx[render]\"; the cache can still be managed")

    if args.action == "list":
        rows = models.list_models(hash_files=args.hash)
        if args.json:
            print(json.dumps({"cache": str(models.cache_dir()), "models": [
                {"name": r.name, "family": r.family, "path": str(r.path), "size": r.size, "cached": r.cached,
                 "verified": r.verified, "num_params": r.num_params, "custom": r.custom, "description": r.description}
                for r in rows]}, indent=2))
            return EXIT_OK
        print(f"cache: {models.cache_dir()}")
        width = max(len(r.name) for r in rows)
        print(f"{'NAME':<{width}}  {'FAMILY':<9}  {'SIZE':>9}  CACHED  VERIFIED")
        for r in rows:
            print(f"{r.name:<{width}}  {r.family:<9}  {_size(r.size):>9}  {_cached(r.cached):<6}  {_verified(r.verified)}")
        return EXIT_OK
    if args.action == "fetch":
        with _bytes_bar(args, args.name) as bar:
            path = models.fetch(args.name, url=args.url, force=args.force, progress=bar.update_to)
        print(f"{args.name}: {path} (sha256 verified)")
        return EXIT_OK
    if args.action == "import":
        with _bytes_bar(args, f"import {args.name or args.path}") as bar:
            path = models.import_(args.path, name=args.name, config=args.model_config, family=args.family,
                                  progress=bar.update_to)
        print(f"imported {args.path} -> {path}")
        return EXIT_OK
    names = [args.name] if args.name else [r.name for r in models.list_models() if r.cached]
    rows = []
    for name in names:  # a bar per file, named
        with _bytes_bar(args, f"verify {name}") as bar:
            rows += models.verify(name, progress=bar.update_to)
    bad = 0
    for r in rows:
        state = {True: "ok", False: "MISMATCH (re-fetch or re-import it)", None: "no published sha256"}[r.verified]
        bad += r.verified is False
        print(f"{r.name}: {state}")
    if not rows:
        print(f"no checkpoints cached in {models.cache_dir()}")
    return EXIT_PARTIAL if bad else EXIT_OK
