"""Fixture: SageAttention's quantization path in miniature - core.py binds
quant's functions by name right after quant.py (which imports _fused) ran,
then registers the fakes of its own ops."""
import torch

from .quant import per_block_int8


def attn_fake(q):
    return q


torch.library.register_fake("sageattention::qk_int8_sv_f16_accum_f16_attn")(attn_fake)
