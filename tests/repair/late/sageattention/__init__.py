"""Fixture: the extension module is imported only after sm90_compile, so the
defect has already happened when the shim first sees the package."""
import torch

from . import sm90_compile
from . import _qattn_sm90


def call():
    """'op' when the real op ran, 'fake' when its fake did."""
    return sm90_compile.qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf("q")


def call_other():
    return sm90_compile.qk_int8_sv_f8_accum_f32_attn_inst_buf("q")
