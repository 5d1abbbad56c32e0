"""One scenario of the long-input repair against real torch (CPU) and the
stand-in extensions of tests/pieces (standin.cpp, built by torch's
cpp_extension as the real ones are), run by check_pieces with and without
the preload library:

    python3 scenario.py imports|attention|attention-one|split|quant|compile

It prints result lines ("equal 12 of 12", "wrapped ... yes") that
check_pieces asserts on.  The offset limits are lowered by
SAGESHIM_OFFSET_BITS (the stand-ins wrap at the same width) and CPU tensors
count as a device of SAGESHIM_TEST_CPU_ARCH, both set by check_pieces.
A reference result is the stand-in's own output at full width (the variable
set to 32 around the call of the original, unwrapped function)."""
import os
import sys
import types

import torch

import sageattention
from sageattention import core

BITS = os.environ.get('SAGESHIM_OFFSET_BITS', '32')
torch.manual_seed(0)


def full_width(function, *args):
    """`function` with the stand-ins' offsets at their real 32 bits."""
    os.environ['SAGESHIM_OFFSET_BITS'] = '32'
    try:
        return function(*args)
    finally:
        os.environ['SAGESHIM_OFFSET_BITS'] = BITS


def module(name):
    return sys.modules['sageattention.' + name]


def original(function):
    """The extension's own function under any wrapper the shim put on it."""
    while hasattr(function, '__wrapped__'):
        function = function.__wrapped__
    return function


OP_NAMES = {
    'sm90': ('_qattn_sm90', 'qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf'),
    'sm89': ('_qattn_sm89', 'qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf'),
    'sm80': ('_qattn_sm80', 'qk_int8_sv_f16_accum_f32_attn'),
}


def attention_inputs(family, layout, batch, heads, kv_heads, rows, kv_rows, dim, gran):
    """Quantized operands as core.py hands them to the op."""
    def shaped(b, h, n):
        return (b, n, h, dim) if layout == 0 else (b, h, n, dim)
    q = torch.randint(-127, 128, shaped(batch, heads, rows), dtype=torch.int8)
    k = torch.randint(-127, 128, shaped(batch, kv_heads, kv_rows), dtype=torch.int8)
    cta_q, warp_q, cta_k = (64, 16, 128) if family == 'sm90' else (128, 32, 64)
    q_entries = -(-rows // cta_q) * (cta_q // warp_q) * (8 if gran == 3 else 1)
    k_entries = -(-kv_rows // cta_k) * (4 if gran == 3 else 1)
    q_scale = torch.rand(batch, heads, q_entries) * 0.01 + 0.001
    k_scale = torch.rand(batch, kv_heads, k_entries) * 0.01 + 0.001
    extra = []
    if family == 'sm80':
        v = torch.randn(shaped(batch, kv_heads, kv_rows)).to(torch.float16)
    else:
        padded = -(-kv_rows // cta_k) * cta_k
        shape = (batch, kv_heads, dim, padded) if layout == 1 else (batch, dim, kv_heads, padded)
        v = torch.randn(shape).to(torch.float8_e4m3fn)
        extra = [torch.rand(batch, kv_heads, dim) + 0.5]
    o = torch.empty(q.shape, dtype=torch.bfloat16)
    return [q, k, v, o, q_scale, k_scale] + extra


def run_attention(function, inputs, layout, causal, gran, return_lse):
    args = list(inputs)
    args[3] = torch.full(inputs[3].shape, float('nan'), dtype=torch.bfloat16)
    lse = function(*args, layout, causal, gran, 0.125, return_lse)
    return args[3], lse


def same(a, b):
    if a.shape != b.shape:
        return False
    return bool(torch.equal(a.view(torch.int16) if a.dtype == torch.bfloat16 else a,
                            b.view(torch.int16) if b.dtype == torch.bfloat16 else b))


# (family, layout, batch, heads, kv heads, rows, kv rows, dim, causal, gran,
# return_lse): every value of each dimension appears; with 14-bit offsets
# these need cuts by batch, head group and query range.
ATTENTION_CASES = [
    ('sm90', 0, 1, 2, 2, 600, 600, 16, 0, 3, 1),
    ('sm90', 1, 1, 2, 2, 600, 600, 16, 0, 2, 1),
    ('sm90', 0, 2, 4, 2, 333, 333, 16, 0, 3, 0),
    ('sm90', 1, 3, 4, 2, 300, 300, 16, 1, 2, 1),
    ('sm90', 0, 2, 2, 2, 330, 200, 16, 1, 3, 1),
    ('sm89', 0, 1, 2, 2, 600, 600, 16, 0, 2, 1),
    ('sm89', 1, 2, 4, 2, 333, 333, 16, 0, 3, 1),
    ('sm89', 1, 3, 2, 2, 300, 300, 16, 1, 3, 0),
    ('sm89', 0, 1, 4, 2, 391, 391, 16, 0, 3, 1),
    ('sm80', 0, 1, 2, 2, 600, 600, 16, 0, 3, 1),
    ('sm80', 1, 2, 4, 2, 333, 333, 16, 0, 2, 1),
    ('sm80', 0, 3, 2, 2, 300, 300, 16, 1, 2, 1),
    # Causal NHD whose output rows (all heads) pass the limit: through a
    # compact output buffer per head group, copied back.
    ('sm90', 0, 1, 4, 4, 300, 300, 16, 1, 2, 1),
    ('sm89', 0, 1, 4, 2, 300, 300, 16, 1, 3, 1),
]


def scenario_attention():
    equal = 0
    for case in ATTENTION_CASES:
        family, layout, batch, heads, kv_heads, rows, kv_rows, dim, causal, gran, lse = case
        inputs = attention_inputs(family, layout, batch, heads, kv_heads, rows, kv_rows, dim,
                                  gran)
        extension, name = OP_NAMES[family]
        real = original(getattr(module(extension), name))
        cut_o, cut_lse = run_attention(lambda *a: core.attention(family, *a), inputs, layout,
                                       causal, gran, lse)
        ref_o, ref_lse = full_width(run_attention, real, inputs, layout, causal, gran, lse)
        ok = same(cut_o, ref_o) and (not lse or same(cut_lse, ref_lse))
        equal += ok
        if not ok:
            print('differs %r' % (case,))
    print('attention equal %d of %d' % (equal, len(ATTENTION_CASES)))


def scenario_attention_one():
    """One sm89 call that needs cutting, through core: equal to the
    reference only when cut (without the shim the stand-in wraps)."""
    inputs = attention_inputs('sm89', 0, 1, 2, 2, 600, 600, 16, 2)
    real = original(getattr(module('_qattn_sm89'), OP_NAMES['sm89'][1]))
    cut_o, _ = run_attention(lambda *a: core.attention('sm89', *a), inputs, 0, 0, 2, 0)
    ref_o, _ = full_width(run_attention, real, inputs, 0, 0, 2, 0)
    print('attention-one %s' % ('equal' if same(cut_o, ref_o) else 'differs'))


def scenario_imports():
    fused = module('_fused')
    print('wrapped _fused %s' % ('yes' if hasattr(fused.quant_per_block_int8_cuda,
                                                    '__sageshim_split__') else 'no'))
    for family, (extension, name) in sorted(OP_NAMES.items()):
        function = getattr(module(extension), name)
        print('wrapped %s %s' % (extension, 'yes' if hasattr(function, '__sageshim_attention__')
                                 else 'no'))
    kernel = module('triton.quant_per_thread').quant_query_per_thread_int8_kernel
    print('wrapped triton %s' % ('yes' if hasattr(kernel, '__sageshim_kernel__') else 'no'))
    bound = getattr(sys.modules.get('sageattention.sm90_compile'),
                    OP_NAMES['sm90'][1], None)
    if bound is not None:
        print('sm90_compile binds %s' % ('the fake' if isinstance(bound, types.FunctionType)
                                         else 'the op'))


def scenario_split():
    """_fused with a batch of 2 whose batch stride does not fit the width."""
    heads, rows, dim = 2, 300, 16
    fused_qkv = torch.randn(2, rows, 3 * heads, dim)      # batch stride 28800 > 2^14
    x = fused_qkv[:, :, :heads, :]
    x_int8, scale = core.quantize_blocks(x, 'NHD')
    ref = [full_width(core.quantize_blocks, x[b:b + 1].contiguous(), 'NHD') for b in range(2)]
    ok = all(same(x_int8[b:b + 1], ref[b][0]) and same(scale[b:b + 1], ref[b][1])
             for b in range(2))
    print('split %s' % ('equal' if ok else 'differs'))


def scenario_quant():
    """The Triton per-thread quantizer on a fused-QKV view (NHD, sequence
    stride 3 * H * D) whose offsets pass 2^13."""
    heads, rows, dim = 2, 600, 16
    qkv = torch.randn(1, rows, 3, heads, dim).to(torch.bfloat16)
    q, k = qkv[:, :, 0], qkv[:, :, 1]
    try:
        got = core.quantize_qk(q, k, tensor_layout='NHD', BLKQ=64, WARPQ=16, BLKK=64, WARPK=64)
    except RuntimeError as error:
        print('quant error %s' % error)
        return
    ref = full_width(lambda: core.quantize_qk(q, k, tensor_layout='NHD', BLKQ=64, WARPQ=16,
                                              BLKK=64, WARPK=64))
    ok = all(same(a, b) for a, b in zip(got, ref))
    print('quant %s' % ('equal' if ok else 'differs'))


def scenario_triton_attention():
    """The Triton attention on int8 NHD q whose row offsets pass 2^13, with
    the LSE: bytes against the same kernel at full width."""
    heads, rows, kv, dim = 2, 300, 100, 16
    q = torch.randint(-40, 41, (2, rows, heads, dim), dtype=torch.int8)
    k = torch.randint(-40, 41, (2, kv, heads, dim), dtype=torch.int8)
    v = torch.randn(2, kv, heads, dim).half()
    q_scale = torch.rand(2, heads, -(-rows // 128)) * 0.02 + 0.01
    k_scale = torch.rand(2, heads, -(-kv // 64)) * 0.02 + 0.01
    try:
        o, lse = core.triton_attention(q, k, v, q_scale, k_scale, 'NHD', True)
    except RuntimeError as error:
        print('triton-attention error %s' % error)
        return
    ref_o, ref_lse = full_width(core.triton_attention, q, k, v, q_scale, k_scale, 'NHD', True)
    print('triton-attention %s' % ('equal' if same(o, ref_o) and same(lse, ref_lse)
                                   else 'differs'))


def scenario_compile():
    """sm90 attention through torch.compile (Dynamo, eager backend): the
    repaired op, cut into pieces."""
    inputs = attention_inputs('sm90', 0, 1, 2, 2, 600, 600, 16, 3)

    def call(q, k, v, o, qs, ks, vs):
        return core.attention('sm90', q, k, v, o, qs, ks, vs, 0, 0, 3, 0.125, 1)

    compiled = torch.compile(call, backend='eager')
    args = list(inputs)
    args[3] = torch.full(inputs[3].shape, float('nan'), dtype=torch.bfloat16)
    lse = compiled(*args)
    real = original(getattr(module('_qattn_sm90'), OP_NAMES['sm90'][1]))
    ref_o, ref_lse = full_width(run_attention, real, inputs, 0, 0, 3, 1)
    print('compile %s' % ('equal' if same(args[3], ref_o) and same(lse, ref_lse)
                          else 'differs'))


if __name__ == '__main__':
    globals()['scenario_' + sys.argv[1].replace('-', '_')]()
