"""GPU stand-in of core.py's call paths: the Triton quantizers bound at
import, `_qattn_sm90.<op>` looked up at call time, the Triton attention's
forward bound at import."""
from .triton.quant_per_thread import per_thread_int8 as per_thread_int8_triton  # noqa: F401
from .triton.attn_qk_int8_per_block import forward as attn_false
from . import _qattn_sm90


def sm90_attention(*args):
    return _qattn_sm90.qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(*args)


def triton_attention(q, k, v, q_scale, k_scale, tensor_layout, return_lse=False):
    return attn_false(q, k, v, q_scale, k_scale, tensor_layout=tensor_layout,
                      return_lse=return_lse)
