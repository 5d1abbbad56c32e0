"""Fixture: the defect of SageAttention 2.2.0's sm90_compile.py - the fake is
defined under the op's own name, so the module ends up binding the fake."""
import torch

from . import _qattn_sm90


@torch.library.custom_op("sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf",
                         mutates_args=("output",))
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(q):
    return "op"


@torch.library.register_fake("sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf")
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(q):
    return "fake"


@torch.library.custom_op("sageattention_sm90::qk_int8_sv_f8_accum_f32_attn_inst_buf",
                         mutates_args=("output",))
def qk_int8_sv_f8_accum_f32_attn_inst_buf(q):
    return "op"


@torch.library.register_fake("sageattention_sm90::qk_int8_sv_f8_accum_f32_attn_inst_buf")
def qk_int8_sv_f8_accum_f32_attn_inst_buf_fake(q):
    return "fake"


def helper():
    """A plain function with no op of its name: never touched."""
    return "helper"
