"""The old name of :mod:`chroma.shot.dd_import` (Disco Diffusion and Deforum settings -> a shot).

Kept so that ``from chroma.shot_import import shot_from_dd_settings`` keeps working; new code
imports :mod:`chroma.shot.dd_import`.
"""

from __future__ import annotations

from chroma.shot.dd_import import is_deforum, output_pattern, safe_name, shot_from_dd_settings, shot_from_deforum

__all__ = ["is_deforum", "shot_from_dd_settings", "shot_from_deforum", "output_pattern", "safe_name"]
