"""Animation modes and the camera keys each one acts on (Disco Diffusion's rules)."""

from __future__ import annotations

__all__ = ["ANIMATION_MODES", "MODE_ALIASES", "SPLINES", "SEED_RULES", "CAMERA_KEYS", "MODE_CAMERA_KEYS", "inactive_keys"]

#: The animation modes, Disco Diffusion's names.
ANIMATION_MODES = ("None", "2D", "3D", "Video")

#: Spellings a shot or a settings file may use for a mode (lower case) -> the mode.
MODE_ALIASES = {"none": "None", "2d": "2D", "3d": "3D", "video": "Video", "video input": "Video"}

#: Keyframe interpolations (``interp_spline``).
SPLINES = ("Linear", "Quadratic", "Cubic")

#: How frames are seeded: ``"dd"`` (seed + frame index) or ``"fixed"``.
SEED_RULES = ("dd", "fixed")

# The camera moves, Disco Diffusion's names and units (docs/shots.md).
CAMERA_KEYS = ("angle", "zoom", "translation_x", "translation_y", "translation_z",
               "rotation_3d_x", "rotation_3d_y", "rotation_3d_z")
#: A frame's camera as the frame loop takes it (render.animation.FrameInput.camera): the
#: move and the lens.
CAMERA_SETTINGS = (*CAMERA_KEYS, "fov", "near_plane", "far_plane")

# The camera keys each animation mode acts on, as Disco Diffusion: 2D warps the previous frame by
# angle, zoom and translation_x/y; 3D moves a camera by translation_x/y/z and rotation_3d_*, with
# fov, near_plane and far_plane; Video and None move no camera.
MODE_CAMERA_KEYS: dict[str, tuple[str, ...]] = {
    "None": (),
    "2D": ("angle", "zoom", "translation_x", "translation_y"),
    "3D": ("translation_x", "translation_y", "translation_z", "rotation_3d_x", "rotation_3d_y", "rotation_3d_z",
           "fov", "near_plane", "far_plane"),
    "Video": (),
}


def inactive_keys(mode: str) -> tuple[str, ...]:
    """Return the camera keys that do nothing in an animation mode.

    Parameters
    ----------
    mode : str
        One of :data:`ANIMATION_MODES`.

    Returns
    -------
    tuple of str
        The keys of :data:`CAMERA_KEYS` (and fov, near_plane, far_plane) that ``mode`` ignores:
        zoom and angle in 3D, translation_z and rotation_3d_* in 2D, every one in Video and None.
    """
    acting = MODE_CAMERA_KEYS[mode]
    return tuple(k for k in CAMERA_SETTINGS if k not in acting)
