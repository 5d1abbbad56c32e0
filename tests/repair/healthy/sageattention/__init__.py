"""Fixture: the fixed SageAttention import order, in miniature."""
import torch  # upstream's core.py imports torch before the *_compile modules

from . import sm90_compile


def call():
    """'op' when the real op ran, 'fake' when its fake did."""
    return sm90_compile.qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf("q")


def call_other():
    """An op whose fake has a name of its own (never shadowed)."""
    return sm90_compile.qk_int8_sv_f8_accum_f32_attn_inst_buf("q")
