"""The README's Python tour must run as written (on inputs the test makes)."""

import re
from pathlib import Path

import numpy as np

README = Path(__file__).resolve().parent.parent / "README.md"


def test_readme_python_tour_runs(tmp_path, monkeypatch):
    from chroma import Image, ambient, write

    monkeypatch.chdir(tmp_path)
    rng = np.random.default_rng(0)
    write(Image(rng.random((32, 48, 4)).astype(np.float32), ["R", "G", "B", "A"]), "plate.1001.exr")
    write(ambient.sky_hdri(128, 64), "sky.exr")
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(), flags=re.S)
    assert blocks, "the README has no Python example"
    namespace: dict = {}
    for block in blocks:
        exec(compile(block, "README.md", "exec"), namespace)
    assert (tmp_path / "plate_ap0.1001.exr").exists()
    assert namespace["graded"].channels == ["R", "G", "B", "A"]
    assert 60 < namespace["m"].cri_ra < 70  # FL2: CIE 15 Table T.8.1 gives Ra 64
