"""GPU fixture: a healthy sm90_compile.py - the fake has a name of its own."""
import torch

from . import _qattn_sm90

QUALNAME = "sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf"


@torch.library.custom_op(QUALNAME, mutates_args=("output",), device_types="cuda")
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(query: torch.Tensor,
                                                       output: torch.Tensor) -> torch.Tensor:
    output.copy_(query * 2)
    return torch.ones(query.shape[0], dtype=torch.float32, device=query.device)


@torch.library.register_fake(QUALNAME)
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf_fake(query, output):
    return torch.empty(query.shape[0], dtype=torch.float32, device=query.device)
