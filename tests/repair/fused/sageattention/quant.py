"""Fixture: quant.py's shape - `from . import _fused` first, entry points
looked up on the module at call time."""
import torch

from . import _fused


def per_block_int8(q):
    q_int8 = torch.Tensor(q.size())
    q_scale = torch.Tensor((q.size(0), q.size(2), 1))
    _fused.quant_per_block_int8_cuda(q, q_int8, q_scale, 0.5, 128, 1)
    return q_int8, q_scale
