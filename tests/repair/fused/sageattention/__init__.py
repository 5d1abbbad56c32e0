"""Fixture: SageAttention's quantization path in miniature - core.py binds
quant's functions by name right after quant.py (which imports _fused) ran."""
import torch

from .quant import per_block_int8
