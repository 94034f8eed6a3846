"""``chroma grade``."""

from __future__ import annotations

import argparse
import dataclasses
from typing import TYPE_CHECKING

from chroma.cli._core import (
    EXIT_OK,
    OVERWRITE_HINT,
    FrameJob,
    add_config_option,
    add_farm_option,
    add_output_options,
    arguments,
    check_outputs,
    command,
    plan_frame_job,
    report_failures,
    write_kwargs,
)

if TYPE_CHECKING:
    from chroma.cli._core import FramePlan
    from chroma.grade import Grade, Operation, SequenceGrade

# ---------------------------------------------------------------------------------- grade


def _grade_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("input", metavar="IN", nargs="?", help="image file or sequence pattern (plate.####.exr)")
    p.add_argument("-o", "--output", metavar="OUT", help="output file or pattern (e.g. graded/plate.####.exr)")
    g = p.add_argument_group("grade (applied in this order, in the working space, scene-linear ACEScg)")
    g.add_argument("--grade", metavar="FILE", help="start from a grade saved with --save-grade (TOML or JSON)")
    g.add_argument("--match-exposure", metavar="REF", help="first add the stops that bring the first frame's median luminance to REF's")
    g.add_argument("--exposure", type=float, metavar="STOPS", help="exposure in stops (+1 doubles the light)")
    g.add_argument("--white-balance", metavar="FROM_K[:TO_K]", help="white balance from a white in Kelvin to another (default 6504 K, D65)")
    g.add_argument("--tint", type=float, metavar="DUV", help="tint (Duv) of the FROM white: + green, - magenta")
    g.add_argument("--cat", default="CAT16", metavar="METHOD", help="chromatic adaptation: CAT16 (default), Bradford, CAT02, 'von Kries'")
    g.add_argument("--cdl", metavar="FILE", help="an ASC CDL file (.cc, .cdl, .ccc)")
    g.add_argument("--slope", metavar="R,G,B", help="ASC CDL slope")
    g.add_argument("--offset", metavar="R,G,B", help="ASC CDL offset")
    g.add_argument("--power", metavar="R,G,B", help="ASC CDL power")
    g.add_argument("--saturation", type=float, metavar="S",
                   help="saturation: the CDL's (Rec.709 luma) with --cdl/--slope/--offset/--power, else around the working space's luma")
    g.add_argument("--cdl-style", choices=("asc", "no_clamp"), default="asc",
                   help="asc: the spec's [0, 1] clamps (default); no_clamp: OCIO's default, negatives bypass the power")
    g.add_argument("--cdl-colorspace", default="color_timing", metavar="CS",
                   help="colour space the CDL applies in (default: the config's color_timing role, ACEScct)")
    g.add_argument("--contrast", type=float, metavar="C", help="contrast around 0.18 mid-grey, in stops (1 = none)")
    g.add_argument("--pivot", type=float, default=0.18, metavar="P", help="contrast pivot, scene-linear (default 0.18)")
    g.add_argument("--look", metavar="NAME", help="an OCIO look of the config")
    g.add_argument("--lut", metavar="FILE", help="a LUT file OCIO reads (.cube, .spi3d, .clf...), in the working space")
    p.add_argument("--colorspace", metavar="CS", help="output colour space (default: the input's)")
    p.add_argument("--frames", metavar="SET", help="frames of a sequence (default: all on disk)")
    p.add_argument("--jobs", type=int, metavar="N", help="frames graded in parallel processes (default: all cores)")
    p.add_argument("--skip-existing", action="store_true", help="leave outputs that already exist (finish an interrupted run)")
    p.add_argument("--save-grade", metavar="FILE", help="write the grade as TOML (.toml) or JSON (.json)")
    p.add_argument("--bake-lut", metavar="FILE", help="bake the grade to a .cube over an ACEScct shaper (see docs/grade.md)")
    p.add_argument("--export-cdl", metavar="FILE", help="write the grade as ASC CDL XML (.cc/.cdl/.ccc) when it is CDL-expressible")
    p.add_argument("--export-ctf", metavar="FILE", help="write the exact grade as an OCIO .ctf or .clf (a LUT only approximates it)")
    p.add_argument("--dry-run", action="store_true", help="print the plan (frames, inputs -> outputs, the grade) and write nothing")
    add_output_options(p)
    add_config_option(p)
    add_farm_option(p)


def _build_grade(args: argparse.Namespace) -> Grade:
    from chroma import grade as G
    from chroma.errors import ChromaValueError

    base = G.Grade.load(args.grade, args.config) if args.grade else G.Grade([], config=args.config)
    ops: list[Operation] = []
    if args.exposure is not None:
        ops.append(G.Exposure(args.exposure))
    if args.white_balance or args.tint is not None:
        text = args.white_balance or "6504"
        parts = text.split(":")
        try:
            from_k = float(parts[0].lower().rstrip("k"))
            to_k = float(parts[1].lower().rstrip("k")) if len(parts) > 1 and parts[1] else 6504.0
        except ValueError:
            raise ChromaValueError(f"--white-balance {text!r}: give Kelvin as FROM_K or FROM_K:TO_K, e.g. 3200:6504") from None
        if len(parts) > 2:
            raise ChromaValueError(f"--white-balance {text!r}: give FROM_K or FROM_K:TO_K")
        ops.append(G.WhiteBalance(from_k, to_k, args.tint or 0.0, 0.0, args.cat))
    sop = any(v is not None for v in (args.slope, args.offset, args.power))
    if args.cdl and sop:
        raise ChromaValueError("give either --cdl FILE or --slope/--offset/--power, not both")
    if args.cdl:
        cdl = G.CDL.from_file(args.cdl, style=args.cdl_style, colorspace=args.cdl_colorspace)
        if args.saturation is not None:
            cdl = dataclasses.replace(cdl, saturation=args.saturation)
        ops.append(cdl)
    elif sop:
        ops.append(G.CDL(args.slope or (1, 1, 1), args.offset or (0, 0, 0), args.power or (1, 1, 1),
                         1.0 if args.saturation is None else args.saturation, args.cdl_style, args.cdl_colorspace))
    if args.contrast is not None:
        ops.append(G.Contrast(args.contrast, args.pivot))
    if args.saturation is not None and not (args.cdl or sop):
        ops.append(G.Saturation(args.saturation))
    if args.look:
        look = G.Look(args.look)
        look.transforms(base.colorspace, args.config)  # unknown look -> error now
        ops.append(look)
    if args.lut:
        ops.append(G.LUT(args.lut))
    return base.then(*ops)


_GRADE_HELP = """\
Grade an image or a whole sequence in the scene-linear working space.

Exposure in stops, white balance in Kelvin (and tint), ASC CDL, contrast around
mid-grey, saturation, OCIO looks and LUTs, applied in that order. Exposure, white
balance and the colour-space change are composed into one matrix. Alpha, depth and
other layers pass through; the input's metadata is kept and the grade is added under
chroma/grade.
Frames are graded in parallel processes (--jobs, default all cores); a missing or
corrupt frame is reported at the end (exit 1) while the others finish; re-run with
--skip-existing to finish an interrupted run.

examples:
  chroma grade plate.####.exr -o graded/plate.####.exr --exposure 1.5
  chroma grade plate.1001.exr -o out.exr --white-balance 3200:6504 --tint 0.002
  chroma grade 'plate.####.exr' -o 'g/plate.####.exr' --slope 1.1,1,0.9 --power 1,1,1.05 --saturation 0.9
  chroma grade plate.####.exr -o g/plate.####.exr --match-exposure hero.exr --jobs 2
  chroma grade --exposure 0.5 --white-balance 5600 --save-grade shot.toml --bake-lut luts/shot.cube
  chroma grade --grade shot.toml --export-ctf shot.ctf     # exact; a .cube only approximates
  chroma grade plate.####.exr -o g/plate.####.exr --grade shot.toml --colorspace ACES2065-1 --dry-run
"""


@command("grade", "grade images or sequences: exposure in stops, white balance in Kelvin, CDL, contrast, looks, LUTs",
         description=_GRADE_HELP)
@arguments(_grade_args)
def cmd_grade(args: argparse.Namespace) -> int:
    """Run ``chroma grade``: grade an image or a whole sequence in the scene-linear working space.

    Parameters
    ----------
    args : argparse.Namespace
        The parsed command line (``chroma grade --help`` lists the options).

    Returns
    -------
    int
        The exit status: 0 done, 2 a user error (reported on one line), as the README's table.
    """
    from chroma import grade as G
    from chroma import ocio
    from chroma.errors import ChromaError as _E

    if args.jobs is not None and args.jobs < 1:
        raise _E(f"--jobs {args.jobs}: give 1 or more parallel frames")
    if args.input and not args.output:
        raise _E("give the output with -o OUT (a file, or a pattern like graded/plate.####.exr)")
    if args.output and not args.input:
        raise _E("give the input image or pattern before -o")
    if not args.input and not (args.save_grade or args.bake_lut or args.export_cdl or args.export_ctf):
        raise _E("give IN -o OUT to grade images, or --save-grade/--bake-lut/--export-cdl/--export-ctf to export the grade")
    if args.export_ctf and not args.export_ctf.lower().endswith((".ctf", ".clf")):
        raise _E(f"--export-ctf {args.export_ctf!r}: the file ends in .ctf or .clf")
    colorspace = args.colorspace and ocio.resolve_colorspace(args.colorspace, args.config)
    grade = _build_grade(args)
    exports = [p for p in (args.save_grade, args.bake_lut, args.export_cdl, args.export_ctf) if p]
    read_too = [p for p in (args.grade, args.cdl, args.lut, args.match_exposure) if p]
    plan = None
    if args.input:
        plan = plan_frame_job(args.input, args.output, args.frames, args.overwrite, args.skip_existing,
                           dry_run=args.dry_run, inputs=tuple(read_too + exports))
        inputs = [p for _, p, _ in plan] + read_too
    elif args.match_exposure:
        raise _E("--match-exposure needs an input to measure")
    else:
        inputs = read_too
    job = G.prepare_sequence(plan or [], grade, colorspace, match_exposure=args.match_exposure, config=args.config)
    exported = check_outputs(exports, inputs + ([t for _, _, t in plan] if plan else []),
                             overwrite=args.overwrite, dry_run=args.dry_run, images=False)
    G.warn_if_identity(job.grade, args.colorspace)
    if args.dry_run:
        _print_dry_run(args, job, plan, exported.refused)
        return EXIT_OK
    _write_exports(args, job.grade)
    if plan is None:
        return EXIT_OK
    if args.farm:  # chunks of frames on Dask workers (chroma.farm, docs/farm.md)
        from chroma.farm import FarmFrames

        result = job.run(write_kwargs(args), executor=FarmFrames(args.farm, args.chunk, "grading", "grade"))
        if plan:
            print(f"graded {result.written} of {result.total} image(s)")
        return report_failures(result.failures, result.total, "grade")
    with FrameJob(args, plan, "grading") as frames:
        job.run(write_kwargs(args), args.jobs, on_done=frames.ok, on_fail=frames.failed)
    return frames.finish("graded")


def _print_dry_run(args: argparse.Namespace, job: SequenceGrade, plan: FramePlan | None,
                   refused_exports: list[str]) -> None:
    """Print what the run would do: the grade, the frames, the files it would write or refuse."""
    print("grade:\n  " + job.grade.describe().replace("\n", "\n  "))
    print(f"output colour space: {job.colorspace or 'as each input'}")
    for _frame, path, target in plan or []:
        print(f"  {path} -> {target}")
    refused = (plan.refused if plan else []) + refused_exports
    if plan is not None:
        extra = [f"skipped {len(plan.skipped)} existing"] if plan.skipped else []
        extra += [f"{len(plan.missing)} missing: {plan.missing}"] if plan.missing else []
        print(f"{len(plan)} frame(s) would be graded" + "".join(f", {e}" for e in extra)
              + "; nothing written (--dry-run)")
    for what, path in (("grade", args.save_grade), ("LUT", args.bake_lut), ("CDL", args.export_cdl),
                       ("OCIO transform", args.export_ctf)):
        if path:
            print(f"would write the {what} to {path}")
    if refused:
        more = f" (and {len(refused) - 1} more)" if len(refused) > 1 else ""
        print(f"the real run would refuse: {refused[0]}{more} exists ({OVERWRITE_HINT})")
        for path in refused[1:]:
            print(f"  {path} exists")


def _write_exports(args: argparse.Namespace, grade: Grade) -> None:
    """Write the grade files asked for (--save-grade, --export-cdl, --export-ctf, --bake-lut)."""
    if args.save_grade:
        grade.save(args.save_grade)
        print(f"wrote grade {args.save_grade}")
    if args.export_cdl:
        grade.write_cdl(args.export_cdl)
        print(f"wrote ASC CDL {args.export_cdl}")
    if args.export_ctf:
        grade.write_ocio(args.export_ctf)
        print(f"wrote OCIO transform {args.export_ctf} (exact)")
    if args.bake_lut:
        grade.bake_lut(args.bake_lut)
        err = grade.last_lut_error
        assert err is not None  # bake_lut measured it
        print(f"wrote LUT {args.bake_lut} (ACEScct in and out; error vs the exact grade: max "
              f"{err.max_stops:.3f} stops, p99 {err.p99_stops:.3f}, max {err.max_stops_above:.3f} at "
              f"0.02 linear and above; see docs/grade.md)")
