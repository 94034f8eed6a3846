"""Draw docs/img/motion_vectors.png: chroma's forward vectors over a frame of a 2D zoom+rotate
move and of a 3D move on a tilted plane (python docs/img/motion_vectors.py)."""

from __future__ import annotations

from pathlib import Path

import numpy as np


OUT = Path(__file__).with_name("motion_vectors.png")


def main(out: Path = OUT) -> Path:
    """Draw the figure."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    from render import motion

    h, w = 96, 128
    yy, xx = np.mgrid[0:h, 0:w].astype(np.float64)
    frame = 0.5 + 0.25 * np.sin(xx / 6.0) * np.cos(yy / 9.0)
    cases = [
        ("2D: zoom 1.04, angle 3 deg", motion.forward_2d({"zoom": 1.04, "angle": 3.0}, w, h)),
        ("3D: translation_z 10, rotation_3d_y -1, tilted plane",
         motion.forward_3d(1.0 + 0.8 * xx / (w - 1), {"translation_z": 10.0, "rotation_3d_y": -1.0})),
    ]
    fig, axes = plt.subplots(1, 2, figsize=(10, 4))
    step = 8
    for ax, (title, f) in zip(axes, cases):
        layers = motion.nuke_layers(f, None)
        u, v = layers["forward.u"], layers["forward.v"]  # Nuke's: v up
        ax.imshow(frame, cmap="gray", vmin=0, vmax=1, extent=(-0.5, w - 0.5, -0.5, h - 0.5), origin="upper")  # row 0 at the top
        ys, xs = np.mgrid[step // 2:h:step, step // 2:w:step]
        # image row r is Nuke's y = h - 1 - r; quiver draws (u, v) with y up, as Nuke reads them
        ax.quiver(xs, h - 1 - ys, u[ys, xs], v[ys, xs], color="tab:orange", angles="xy", scale_units="xy", scale=0.5)
        ax.set_title(title + "\nforward.u/v x2, pixels per frame, y up", fontsize=9)
        ax.set_xlim(-0.5, w - 0.5)
        ax.set_ylim(-0.5, h - 0.5)
    fig.tight_layout()
    fig.savefig(out, dpi=90)
    return out


if __name__ == "__main__":
    print(main())
