"""Batch norms folded into convolutions: the same CLIP function, gradients included."""

from __future__ import annotations

import copy
import json

import torch

from render.clip import fold_batch_norms

TINY_RESNET = {
    "embed_dim": 16,
    "vision_cfg": {"image_size": 64, "layers": [1, 1, 1, 1], "width": 8, "head_width": 8},
    "text_cfg": {"context_length": 77, "vocab_size": 49408, "width": 16, "heads": 2, "layers": 1},
}


def assert_same_function(model, changed, x: torch.Tensor, rtol: float, atol: float) -> None:
    """``changed`` gives ``model``'s outputs, and the same input gradient of a random projection."""
    xa, xb = x.clone().requires_grad_(), x.clone().requires_grad_()
    ya, yb = model(xa), changed(xb)
    torch.testing.assert_close(yb, ya, rtol=rtol, atol=atol)
    w = torch.randn_like(ya)
    (ga,) = torch.autograd.grad((ya * w).sum(), xa)
    (gb,) = torch.autograd.grad((yb * w).sum(), xb)
    torch.testing.assert_close(gb, ga, rtol=rtol, atol=1e-6 * ga.abs().max().item())


def test_folding_keeps_the_function_and_its_gradient(tmp_path) -> None:
    import open_clip

    path = tmp_path / "chroma-test-tiny-resnet.json"
    path.write_text(json.dumps(TINY_RESNET))
    open_clip.add_model_config(path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(0)
        model = open_clip.create_model("chroma-test-tiny-resnet", pretrained=None).visual
        # trained-like running statistics and affine parameters, so the fold has work to do
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.5)
                m.running_var.uniform_(0.5, 2.0)
                m.weight.data.uniform_(0.5, 1.5)
                m.bias.data.normal_(0, 0.2)
        x = torch.rand(3, 3, 64, 64)
    model.eval().requires_grad_(False)
    folded = copy.deepcopy(model)
    n_bn = sum(isinstance(m, torch.nn.BatchNorm2d) for m in model.modules())
    assert fold_batch_norms(folded) == n_bn  # every norm of the tower has its convolution
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    assert_same_function(model, folded, x, rtol=1e-4, atol=1e-5)


def test_one_query_attention_pool_keeps_the_function_and_its_gradient(tmp_path) -> None:
    """The pool's other queries are discarded by CLIP itself; dropping them changes nothing."""
    import open_clip

    from render.clip import pool_one_query

    path = tmp_path / "chroma-test-tiny-resnet-pool.json"
    cfg = json.loads(json.dumps(TINY_RESNET))
    cfg["vision_cfg"]["width"] = 16  # 2 heads of 8 in the pool (width 16 x 32 / 64)
    path.write_text(json.dumps(cfg))
    open_clip.add_model_config(path)
    with torch.random.fork_rng(devices=[]):
        torch.manual_seed(1)
        model = open_clip.create_model("chroma-test-tiny-resnet-pool", pretrained=None).visual
        pool = model.attnpool
        for p in (pool.positional_embedding, pool.q_proj.bias, pool.k_proj.bias, pool.v_proj.bias, pool.c_proj.bias):
            p.data.normal_(0, 0.5)  # open_clip starts biases at zero; make every term count
        x = torch.rand(3, 3, 64, 64)
    model.eval().requires_grad_(False)
    assert pool.num_heads > 1
    fast = copy.deepcopy(model)
    assert pool_one_query(fast) == 1
    assert pool_one_query(open_clip.create_model("ViT-B-32", pretrained=None).visual) == 0  # ViTs: untouched
    assert_same_function(model, fast, x, rtol=1e-5, atol=1e-6)
