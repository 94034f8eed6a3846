"""With only the "test" extra (no torch, no open_clip) the suite still collects: the
renderer's torch tests are left out with a note, the torch-free ones run."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def test_render_tests_skip_cleanly_without_torch(tmp_path):
    # a sitecustomize that makes torch and open_clip unimportable, as on a machine without
    # them (a finder that refuses them; nothing is put in sys.modules)
    (tmp_path / "sitecustomize.py").write_text(
        "import importlib.abc, sys\n"
        "class _NoRenderExtra(importlib.abc.MetaPathFinder):\n"
        "    def find_spec(self, name, path=None, target=None):\n"
        "        if name.split('.')[0] in ('torch', 'open_clip'):\n"
        "            raise ModuleNotFoundError(f'No module named {name!r}', name=name)\n"
        "        return None\n"
        "sys.meta_path.insert(0, _NoRenderExtra())\n"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(tmp_path), str(REPO)])}
    res = subprocess.run(
        [sys.executable, "-m", "pytest", "tests/render", "-q", "-p", "no:cacheprovider", "-x"],
        cwd=REPO, env=env, capture_output=True, text=True, timeout=600,
    )
    out = res.stdout + res.stderr
    assert res.returncode == 0, out[-3000:]
    assert "error" not in out.lower().split("passed")[-1]
    assert "left out, the render extra (torch, open_clip) is not installed" in out
    assert " passed" in out  # the torch-free tests (prompts, schedules) still ran
    for name in ("test_renderer.py", "test_unet.py", "test_clip.py"):
        assert name in out
