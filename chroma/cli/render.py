"""``chroma render``: CLIP-guided diffusion straight to a scene-linear EXR."""

from __future__ import annotations

import argparse
import os
import sys

from chroma.cli._core import EXIT_OK, add_config_option, add_output_options, arguments, command


def _render_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--prompt", action="append", required=True, metavar="TEXT[:WEIGHT]",
                   help="a text prompt with an optional weight (repeat for several; negative weights push away)")
    p.add_argument("-o", "--output", required=True, metavar="OUT.exr", help="the EXR to write")
    g = p.add_argument_group("sampling (Disco Diffusion's defaults)")
    g.add_argument("--steps", type=int, default=250, help="sampling steps (default 250)")
    g.add_argument("--width", type=int, default=1280, help="width in pixels, rounded to a multiple of 64 (default 1280)")
    g.add_argument("--height", type=int, default=768, help="height in pixels, rounded to a multiple of 64 (default 768)")
    g.add_argument("--seed", type=int, default=0, help="random seed (default 0)")
    g.add_argument("--model", default="512x512_diffusion_uncond_finetune_008100",
                   help="diffusion checkpoint (see 'chroma models list')")
    g.add_argument("--clip-models", nargs="+", metavar="NAME::PRETRAINED",
                   default=["ViT-B-32::openai", "ViT-B-16::openai", "RN50::openai"],
                   help="open_clip models guiding the render (default: ViT-B-32, ViT-B-16, RN50, openai weights)")
    g.add_argument("--no-secondary", action="store_true", help="estimate x0 with the UNet instead of the secondary model")
    g.add_argument("--sampler", choices=("ddim", "plms"), default="ddim", help="sampling method (default ddim)")
    g.add_argument("--skip-steps", type=int, default=10, help="noisiest steps to leave out (default 10)")
    g.add_argument("--clip-guidance-scale", type=float, default=5000.0, help="CLIP guidance strength (default 5000)")
    g.add_argument("--init", metavar="IMAGE", help="start from this image (read scene-linear, through the display view)")
    g.add_argument("--init-scale", type=float, default=1000.0, help="pull towards --init (default 1000)")
    g.add_argument("--device", help="torch device (default: cuda if available, else cpu)")
    g.add_argument("--precision", choices=("auto", "fp32", "fp16", "bf16"), default="auto",
                   help="autocast precision on the GPU (default auto: bf16 where supported)")
    c = p.add_argument_group("colour")
    c.add_argument("--to", dest="dst", default="ACEScg", metavar="CS", help="scene-linear colour space to write (default ACEScg)")
    c.add_argument("--display", help="the display the models' images are taken to be encoded for (default: config's default, sRGB)")
    c.add_argument("--view", help="view of --display whose inverse makes the frame scene-linear (default: its default view)")
    add_output_options(p)
    add_config_option(p)


@command("render", "CLIP-guided diffusion render (Disco Diffusion style) to a scene-linear EXR")
@arguments(_render_args)
def cmd_render(args: argparse.Namespace) -> int:
    """Render an image from text prompts with CLIP-guided diffusion and write it as a
    scene-linear EXR: the frame (display-referred, sRGB-like) goes through the inverse of
    the OCIO display view into ACEScg (or --to). Needs the render extra
    (pip install "chroma-vfx[render]") and the checkpoints in the cache
    ('chroma models fetch NAME' or 'chroma models import PATH').

    examples:
      chroma render --prompt "a lighthouse in a storm, matte painting:1" --prompt "blurry:-0.2" -o storm.exr
      chroma render --prompt "misty pine forest at dawn" --steps 100 --width 1024 --height 576 --seed 7 -o forest.exr
      chroma render --prompt "the same plate, painted" --init plate.1001.exr --skip-steps 120 -o painted.exr
    """
    from chroma.errors import ChromaError, ChromaIOError
    from chroma.cli._core import write_kwargs

    out_kwargs = write_kwargs(args)
    out_dir = os.path.dirname(os.path.abspath(args.output))
    if not os.path.isdir(out_dir):
        raise ChromaIOError(f"output folder {out_dir!r} does not exist; create it first")
    if os.path.exists(args.output) and not args.overwrite:
        raise ChromaIOError(f"{args.output!r} exists; pass --overwrite to replace it")
    try:
        import render  # noqa: F401  (torch and open_clip load only here)
        from render.renderer import Renderer, RenderSettings
    except ImportError as exc:
        raise ChromaError(
            f"the renderer is not installed ({exc.name or exc}); install it with: pip install \"chroma-vfx[render]\""
        ) from None

    from chroma import io, ocio, pipeline
    from chroma.progress import Progress

    init = None
    if args.init:
        import numpy as np
        import torch

        img = io.read(args.init, config=args.config)
        code = ocio.display_view(img.rgb, img.colorspace, args.display, args.view, config=args.config)
        init = torch.from_numpy(np.clip(code, 0.0, 1.0) * 2.0 - 1.0).permute(2, 0, 1).float()
    settings = RenderSettings(
        width_height=(args.width, args.height), steps=args.steps, skip_steps=args.skip_steps,
        diffusion_sampling_mode=args.sampler, diffusion_model=args.model, use_secondary_model=not args.no_secondary,
        clip_models=tuple(args.clip_models), clip_guidance_scale=args.clip_guidance_scale,
        init_scale=args.init_scale if init is not None else 0.0, device=args.device, precision=args.precision,
    )
    renderer = Renderer(settings)
    frame = None
    skipped = 0
    with Progress(args.steps - args.skip_steps, "rendering") as bar:
        for step in renderer.sample(args.prompt, seed=args.seed, init=init):
            if step.final:
                frame = step.image
            else:
                skipped += step.guidance_skipped
                bar.update()
    if skipped:
        print(f"chroma render: warning: guidance was skipped on {skipped} step(s) (non-finite gradient)", file=sys.stderr)
    meta = {
        "prompts": " | ".join(args.prompt), "seed": args.seed, "steps": args.steps, "model": args.model,
        "clip_models": " ".join(args.clip_models),
    }
    image = pipeline.frame_to_scene_linear(frame, args.dst, args.display, args.view, args.config, metadata=meta)
    path = io.write(image, args.output, **out_kwargs)
    print(f"rendered {settings.width}x{settings.height} -> {path} ({image.colorspace})")
    return EXIT_OK
