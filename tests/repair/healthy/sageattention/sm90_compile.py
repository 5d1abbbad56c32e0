"""Fixture: a healthy sm90_compile.py - each fake has a name of its own."""
import torch

from . import _qattn_sm90


@torch.library.custom_op("sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf",
                         mutates_args=("output",))
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(q):
    return "op"


@torch.library.register_fake("sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf")
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf_fake(q):
    return "fake"


@torch.library.custom_op("sageattention_sm90::qk_int8_sv_f8_accum_f32_attn_inst_buf",
                         mutates_args=("output",))
def qk_int8_sv_f8_accum_f32_attn_inst_buf(q):
    return "op"


@torch.library.register_fake("sageattention_sm90::qk_int8_sv_f8_accum_f32_attn_inst_buf")
def qk_int8_sv_f8_accum_f32_attn_inst_buf_fake(q):
    return "fake"


def helper():
    return "helper"
