"""CLIP specs and loading through open_clip (tiny random model: no download)."""

from __future__ import annotations

import pytest
import torch

from render.clip import load_clip, parse_clip_spec
from render.errors import RenderError


@pytest.mark.parametrize(
    "spec, expected",
    [
        ("ViT-B-32::openai", ("ViT-B-32", "openai")),
        ("ViT-B-16", ("ViT-B-16", "openai")),
        ("RN50::openai", ("RN50", "openai")),
        ("RN50::/studio/weights/rn50.pt", ("RN50", "/studio/weights/rn50.pt")),
        ("ViT-B-32::random", ("ViT-B-32", None)),
    ],
)
def test_parse_spec(spec, expected) -> None:
    assert parse_clip_spec(spec) == expected


@pytest.mark.parametrize("bad", ["", "::openai", "ViT-B-32::"])
def test_bad_spec(bad) -> None:
    with pytest.raises(RenderError):
        parse_clip_spec(bad)


def test_unknown_architecture_suggests_names() -> None:
    with pytest.raises(RenderError, match="did you mean.*ViT-B-32"):
        load_clip("ViT-B-33::openai")


def test_unreadable_weights_say_how_to_provide_them(tiny_clip_name, tmp_path) -> None:
    with pytest.raises(RenderError, match="::/path/to/weights.pt"):
        load_clip(f"{tiny_clip_name}::{tmp_path / 'absent.pt'}")


def test_tiny_model_embeds(tiny_clip) -> None:
    assert tiny_clip.input_size == 32
    text = tiny_clip.encode_text(["a red barn", "fog"])
    assert text.shape == (2, 32) and text.dtype == torch.float32
    img = torch.rand(3, 3, 32, 32, requires_grad=True)
    emb = tiny_clip.encode_image(img)
    emb.sum().backward()
    assert emb.shape == (3, 32) and img.grad is not None
    prompt = tiny_clip.embed_image_prompt(torch.rand(1, 3, 50, 70), cuts=4, generator=torch.Generator().manual_seed(0))
    assert prompt.shape == (5, 32)


def test_random_weights_are_the_same_every_time_and_leave_the_rng_alone(tiny_clip_name) -> None:
    import torch

    from render.clip import load_clip

    torch.manual_seed(123)
    state = torch.get_rng_state()
    a = load_clip(f"{tiny_clip_name}::random")
    assert torch.equal(torch.get_rng_state(), state)
    torch.rand(10)  # a different global state must not change them
    b = load_clip(f"{tiny_clip_name}::random")
    for (ka, va), (kb, vb) in zip(a.model.state_dict().items(), b.model.state_dict().items(), strict=True):
        assert ka == kb and torch.equal(va, vb), ka
