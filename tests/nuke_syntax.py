"""Nuke script syntax and knob names, for the tests that check chroma's .nk files."""

from __future__ import annotations

import os
import re

# Knobs of Nuke's nodes as the Nuke Reference Guide documents them (Read: "file", "format",
# "first", "last", "origfirst", "origlast", "origset", "colorspace", "raw", "on_error";
# every node: "inputs", "name", "xpos", "ypos"; Root: "first_frame", "last_frame", "fps",
# "format", "colorManagement"; Viewer: "frame_range", "fps"; AudioRead: "file",
# "begintime" (time range), "filebegintime" (file time range); VectorBlur (class VectorBlur2
# in .nk files since Nuke 11, as scripts Nuke saves spell it): "channels", "uv" (the motion
# vector layer), and every node's "disable" and "label").
NUKE_KNOBS = {
    "Root": {"inputs", "first_frame", "last_frame", "fps", "format", "colorManagement", "OCIO_config", "customOCIOConfigPath"},
    "Read": {"inputs", "file", "format", "first", "last", "origfirst", "origlast", "origset", "colorspace", "raw",
             "on_error", "name", "xpos", "ypos"},
    "Viewer": {"inputs", "frame_range", "fps", "name", "xpos", "ypos"},
    "AudioRead": {"inputs", "file", "begintime", "filebegintime", "name", "xpos", "ypos"},
    "VectorBlur2": {"channels", "uv", "disable", "label", "name", "xpos", "ypos"},
}


def parse_nk(text: str) -> list[tuple[str, dict[str, str]]]:
    """A minimal reader of Nuke's script syntax: ``Class {`` knob lines ``}``; values in
    braces may hold spaces. Raises on anything else."""
    nodes, current = [], None
    for line in text.splitlines():
        if not line.strip() or line.startswith("#"):
            continue
        m = re.fullmatch(r"([A-Z][A-Za-z0-9]*) \{", line)
        if m and current is None:
            current = (m.group(1), {})
            continue
        if line == "}" and current is not None:
            nodes.append(current)
            current = None
            continue
        m = re.fullmatch(r" ([A-Za-z_][A-Za-z0-9_]*) (\{[^{}]*\}|[^\s{}]+)", line)
        assert m and current is not None, f"not Nuke syntax: {line!r}"
        current[1][m.group(1)] = m.group(2).strip("{}")
    assert current is None, "unclosed node"
    return nodes


def check_nuke_script(text: str, pattern: str, first: int, last: int) -> None:
    nodes = parse_nk(text)
    classes = [n for n, _ in nodes]
    if "VectorBlur2" in classes:  # the frames' motion blur, between the Read and the Viewer (its input)
        assert classes[:4] == ["Root", "Read", "VectorBlur2", "Viewer"]
        assert "inputs" not in dict(nodes)["VectorBlur2"] and dict(nodes)["VectorBlur2"]["disable"] == "true"
        classes.remove("VectorBlur2")
    assert classes[:3] == ["Root", "Read", "Viewer"]
    for cls, knobs in nodes:
        assert set(knobs) <= NUKE_KNOBS[cls], set(knobs) - NUKE_KNOBS[cls]
    read = dict(nodes)["Read"]
    assert read["file"] == pattern.replace(os.sep, "/")
    assert (int(read["first"]), int(read["last"]), int(read["origfirst"]), int(read["origlast"])) == (
        first, last, first, last)
    assert read["colorspace"] == "ACEScg" and read["raw"] == "false"
    root = dict(nodes)["Root"]
    assert (int(root["first_frame"]), int(root["last_frame"])) == (first, last)
