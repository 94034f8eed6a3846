"""One guided sampling step on the CPU: ours beside Disco Diffusion's own, same weights.

Workload: a 128x128 image, the 256x256 UNet family built at 64 base channels (random
weights with guided-diffusion's zero-initialised residual outputs), DD's secondary model,
one CLIP model (RN50, random weights), Disco Diffusion v5's default guidance (cutn_batches
4, cut_overview ``[12]*400+[4]*600``, cut_innercut ``[4]*400+[12]*600``, augmentations on,
clip_guidance_scale 5000, range_scale 150, clamp_grad), one DDIM step (eta 0.8) of
``ddim25`` at timestep 800: 64 cutouts of 224x224 through RN50 forward and backward.

The peer is Disco Diffusion's own code, never part of this project: its ``cond_fn``,
``MakeCutoutsDango``, losses and secondary model are taken from ``disco.py`` at run time
(parsed with ``ast``, nothing else of the notebook runs) and sampled with DD's
guided-diffusion fork, on the same weights. Give it a folder outside the repository:

    git clone https://github.com/alembics/disco-diffusion /tmp/dd-peer/disco-diffusion
    git clone https://github.com/kostarion/guided-diffusion /tmp/dd-peer/guided-diffusion
    CHROMA_DD_PEER=/tmp/dd-peer pytest tests/benchmarks/test_guidance_bench.py --benchmark-enable

(``resize-right``, the package DD's cutouts use, must be installed; it is in the test
extra.) Without the peer its benchmark is skipped; ours still runs. As plain tests
(``--benchmark-disable``, the suite's default) each runs one step.
"""

from __future__ import annotations

import ast
import os
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("open_clip")

SIZE = 128
SPEC = "ddim25"
INDEX = 20  # respaced index of ddim25: original timestep 800 (12 overview + 4 inner cuts)
ETA = 0.8
PROMPTS = ["a lighthouse in a storm, matte painting:1", "blurry:-0.2"]
ROUNDS = int(os.environ.get("CHROMA_BENCH_ROUNDS", "3"))
# our step's precision: "auto" is fp32 on the CPU, like DD's; "bf16" autocasts CLIP, the secondary
# model and the UNet (fast on CPUs with AMX; DD's step stays fp32)
PRECISION = os.environ.get("CHROMA_BENCH_PRECISION", "auto")

DD_SETTINGS = dict(
    clip_guidance_scale=5000.0, tv_scale=0.0, range_scale=150.0, sat_scale=0.0,
    cutn_batches=int(os.environ.get("CHROMA_BENCH_CUTN_BATCHES", "1")),
    cut_overview="[12]*400+[4]*600", cut_innercut="[4]*400+[12]*600", cut_ic_pow="[1]*1000",
    cut_icgray_p="[0.2]*400+[0]*600", clamp_grad=True, clamp_max=0.05,
)

# what cond_fn needs from disco.py (functions and classes at the top level of the notebook)
DD_NAMES = (
    "MakeCutoutsDango", "spherical_dist_loss", "tv_loss", "range_loss", "append_dims", "expand_to_planes",
    "alpha_sigma_to_t", "t_to_alpha_sigma", "DiffusionOutput", "ConvBlock", "SkipBlock", "FourierFeatures",
    "SecondaryDiffusionImageNet2",
)
UNET_CONFIG = {  # DD's 256x256_diffusion_uncond config, at 64 base channels
    "attention_resolutions": "32, 16, 8", "class_cond": False, "diffusion_steps": 1000, "rescale_timesteps": True,
    "timestep_respacing": SPEC, "image_size": 256, "learn_sigma": True, "noise_schedule": "linear",
    "num_channels": 64, "num_head_channels": 64, "num_res_blocks": 2, "resblock_updown": True,
    "use_fp16": False, "use_scale_shift_norm": True, "use_checkpoint": True,
}


@pytest.fixture(scope="module")
def models() -> SimpleNamespace:
    """The same weights for both: our UNet, secondary model and RN50."""
    return build_models()


def build_models() -> SimpleNamespace:
    """Our UNet, secondary model and RN50 (random, seeded) and the step's input."""
    from render.clip import load_clip
    from render.models import REGISTRY
    from render.secondary import SecondaryDiffusionImageNet2
    from render.unet import UNetConfig, UNetModel
    from tests.benchmarks.render_work import zero_residual_outputs

    torch.manual_seed(0)
    cfg = dict(REGISTRY["256x256_diffusion_uncond"].config, num_channels=64)
    unet = UNetModel(UNetConfig.from_published(cfg)).eval().requires_grad_(False)
    zero_residual_outputs(unet)
    with torch.no_grad():  # a random but well-scaled last layer, so eps is not all zero
        unet.out[-1].weight.normal_(0, 0.02)
    secondary = SecondaryDiffusionImageNet2(64).eval().requires_grad_(False)
    rn50 = load_clip("RN50::random")  # batch norms folded (render.clip.fold_batch_norms)
    x = torch.randn(1, 3, SIZE, SIZE, generator=torch.Generator().manual_seed(1))
    return SimpleNamespace(unet=unet, secondary=secondary, clip=rn50, x=x)


def _rn50_as_dd_loads_it():
    """The same RN50 weights, as open_clip builds them (seed 0, as load_clip), unfolded."""
    import open_clip

    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        return open_clip.create_model("RN50", pretrained=None).eval().requires_grad_(False)


def _threads() -> int:
    return torch.get_num_threads()


def test_guided_step_ours(benchmark, models) -> None:
    from render.guidance import Guide
    from render.renderer import Renderer, RenderSettings

    settings = RenderSettings(width_height=(SIZE, SIZE), steps=25, clip_models=("RN50::random",), device="cpu",
                              eta=ETA, precision=PRECISION, **DD_SETTINGS)
    renderer = Renderer(settings, unet=models.unet, secondary=models.secondary, clip_models=[models.clip])
    gen = torch.Generator().manual_seed(0)
    targets = renderer._targets(PROMPTS, [], gen)
    guide = Guide(renderer.diffusion, renderer._model_fn, renderer.secondary, targets, settings.guidance_config(),
                  generator=gen, device_generator=gen, autocast_dtype=renderer.autocast_dtype)
    t = torch.tensor([INDEX])
    assert renderer.diffusion.original_timestep(INDEX) == 800

    def step():
        with torch.no_grad():
            return renderer.diffusion.ddim_step(renderer._model_fn, models.x, t, cond_fn=guide, eta=ETA, generator=gen)

    sample, _, skipped = benchmark.pedantic(step, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert not skipped and torch.isfinite(sample).all()
    benchmark.extra_info.update(threads=_threads(), cpu_count=os.cpu_count(), cutouts=64)


# -- Disco Diffusion's own step ---------------------------------------------------------------
def _peer_folder() -> Path:
    root = os.environ.get("CHROMA_DD_PEER")
    if not root:
        pytest.skip("Disco Diffusion peer: set CHROMA_DD_PEER to a folder with disco.py and guided_diffusion/ "
                    "(see this module's docstring)")
    root_path = Path(root)
    repo = Path(__file__).resolve().parents[2]
    if repo in root_path.resolve().parents or root_path.resolve() == repo:
        pytest.fail("CHROMA_DD_PEER must be outside the repository: Disco Diffusion's code never enters it")
    return root_path


def _find(root: Path, name: str) -> Path:
    for candidate in (root / name, *(p / name for p in sorted(root.iterdir()) if p.is_dir())):
        if candidate.exists():
            return candidate
    pytest.skip(f"Disco Diffusion peer: {name} not found under {root}")


def _disco_namespace(disco_py: Path) -> dict:
    """The functions and classes cond_fn needs, compiled from disco.py's own source."""
    import math
    from dataclasses import dataclass
    from functools import partial

    import torch.nn as nn
    import torch.nn.functional as F
    import torchvision.transforms as T
    import torchvision.transforms.functional as TF

    resize_right = pytest.importorskip("resize_right")
    tree = ast.parse(disco_py.read_text())
    nodes = [n for n in tree.body if isinstance(n, (ast.FunctionDef, ast.ClassDef)) and n.name in DD_NAMES]
    found = {n.name for n in nodes}
    cond = [n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef) and n.name == "cond_fn"]
    if found != set(DD_NAMES) or len(cond) != 1:
        pytest.skip(f"Disco Diffusion peer: disco.py lacks {sorted(set(DD_NAMES) - found) or 'cond_fn'}")
    ns: dict = dict(torch=torch, nn=nn, F=F, T=T, TF=TF, math=math, dataclass=dataclass, partial=partial,
                    resize=resize_right.resize, cutout_debug=False, padargs={}, is_colab=False, skip_augs=False)
    module = ast.Module(body=nodes + cond, type_ignores=[])
    exec(compile(module, str(disco_py), "exec"), ns)
    return ns


def test_guided_step_disco_diffusion(benchmark, models) -> None:
    root = _peer_folder()
    disco_py = _find(root, "disco.py")
    gd_parent = _find(root, "guided_diffusion").parent
    sys.path.insert(0, str(gd_parent))
    try:
        from guided_diffusion.script_util import create_model_and_diffusion, model_and_diffusion_defaults
    finally:
        sys.path.remove(str(gd_parent))
    ns = _disco_namespace(disco_py)

    config = model_and_diffusion_defaults()
    config.update(UNET_CONFIG)
    model, diffusion = create_model_and_diffusion(**config)
    model.load_state_dict(models.unet.state_dict(), strict=True)
    model.eval().requires_grad_(False)
    secondary = ns["SecondaryDiffusionImageNet2"]()
    secondary.load_state_dict(models.secondary.state_dict(), strict=True)
    secondary.eval().requires_grad_(False)

    from render.prompts import normalize_weights, parse_prompt
    from render.schedules import parse_schedule

    clip = models.clip
    parsed = [parse_prompt(p) for p in PROMPTS]
    weights = torch.tensor(normalize_weights([p.weight for p in parsed]))
    # DD embeds the raw "text:weight" strings; the cost is the same either way
    stats = [{"clip_model": _rn50_as_dd_loads_it(), "target_embeds": clip.encode_text(PROMPTS), "weights": weights}]
    sched = {k: [parse_schedule(DD_SETTINGS[k]).values[i] for i in range(1000)]
             for k in ("cut_overview", "cut_innercut", "cut_ic_pow", "cut_icgray_p")}
    sched["cut_overview"] = [int(v) for v in sched["cut_overview"]]
    sched["cut_innercut"] = [int(v) for v in sched["cut_innercut"]]
    args = SimpleNamespace(animation_mode="None", cutn_batches=DD_SETTINGS["cutn_batches"],
                           clamp_grad=DD_SETTINGS["clamp_grad"], clamp_max=DD_SETTINGS["clamp_max"], **sched)
    import torchvision.transforms as T

    ns.update(
        args=args, model_stats=stats, diffusion=diffusion, model=model, secondary_model=secondary,
        use_secondary_model=True, cur_t=INDEX, device=torch.device("cpu"), loss_values=[],
        clip_guidance_scale=DD_SETTINGS["clip_guidance_scale"], cutn_batches=DD_SETTINGS["cutn_batches"],
        tv_scale=DD_SETTINGS["tv_scale"], range_scale=DD_SETTINGS["range_scale"], sat_scale=DD_SETTINGS["sat_scale"],
        init=None, init_scale=0, lpips_model=None,
        normalize=T.Normalize(mean=[0.48145466, 0.4578275, 0.40821073], std=[0.26862954, 0.26130258, 0.27577711]),
    )
    t = torch.tensor([INDEX])

    def step():
        with torch.no_grad():
            return diffusion.ddim_sample(model, models.x, t, clip_denoised=False, cond_fn=ns["cond_fn"], eta=ETA,
                                         model_kwargs={})

    out = benchmark.pedantic(step, rounds=ROUNDS, iterations=1, warmup_rounds=1)
    assert torch.isfinite(out["sample"]).all() and len(ns["loss_values"]) > 0
    benchmark.extra_info.update(threads=_threads(), cpu_count=os.cpu_count(), cutouts=64)
