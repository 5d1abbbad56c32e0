"""GPU fixture: the defect of SageAttention 2.2.0's sm90_compile.py.  The op
writes its output on the GPU (a kernel launched through torch); its fake is
defined under the op's own name, so the module binds the fake and, without
the repair, nothing ever writes the output."""
import torch

from . import _qattn_sm90

QUALNAME = "sageattention_sm90::qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf"


@torch.library.custom_op(QUALNAME, mutates_args=("output",), device_types="cuda")
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(query: torch.Tensor,
                                                       output: torch.Tensor) -> torch.Tensor:
    output.copy_(query * 2)
    return torch.ones(query.shape[0], dtype=torch.float32, device=query.device)


@torch.library.register_fake(QUALNAME)
def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(query, output):
    return torch.empty(query.shape[0], dtype=torch.float32, device=query.device)
