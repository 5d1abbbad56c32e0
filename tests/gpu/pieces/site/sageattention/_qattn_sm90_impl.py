"""GPU stand-in of SageAttention's `_qattn_sm90` attention op, with the
upstream host's and kernel's arithmetic (sageattention-long.md, section 2;
our own code, written from those expressions):

- the host reads every size and stride into a 32-bit `int`; q, k and v are
  read through tensor maps built from those ints (64-bit addressing, so
  modelled here as 64-bit loads with the int strides), and a stride the int
  makes negative makes the map fail: upstream's assert aborts the process;
- the kernel writes the output at `O + batch * stride_bz_o + head *
  stride_h_o + row * stride_seq_o + column` and the LSE at `batch * (qo_len
  * heads) + head * qo_len + row`, both in unsigned 32-bit arithmetic;
- the host checks what upstream's checks: last-dimension contiguity, scale
  contiguity and exact scale shapes (CTA_Q = 64, CTA_K = 128).

Attention itself is a plain Triton flash loop over int8 Q/K (per-warp or
per-thread scales) and fp8 V (per-channel scales), in the layouts upstream's
quantizers make.  forward_ext.c builds `sageattention._qattn_sm90` (multi-
phase init) whose functions are the ones OPS names.
"""
import os

import torch
import triton
import triton.language as tl

OPS = ('qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf',)
CTA_Q, CTA_K = 64, 128


def host_int(value):
    """What `int x = value` keeps."""
    return (value + (1 << 31)) % (1 << 32) - (1 << 31)


@triton.jit
def standin_sm90_kernel(Q, K, V, O, Lse, QS, KS, VS,
                        sqb, sqh, sqn, skb, skh, skn, svb, svh, svd, sob, soh, son,
                        qo_len, kv_len, heads, kv_group, q_entries, k_entries, sm_scale,
                        GRAN: tl.constexpr, CAUSAL: tl.constexpr, RETURN_LSE: tl.constexpr,
                        D: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr):
    bx = tl.program_id(0)
    h = tl.program_id(1).to(tl.int64)
    b = tl.program_id(2).to(tl.int64)
    g = h // kv_group
    rows = bx * BLOCK_M + tl.arange(0, BLOCK_M)
    rmask = rows < qo_len
    d = tl.arange(0, D)
    q = tl.load(Q + b * sqb + h * sqh + rows.to(tl.int64)[:, None] * sqn + d[None, :],
                mask=rmask[:, None], other=0)
    warp = (rows % 64) // 16
    if GRAN == 3:
        qsi = bx * 32 + warp * 8 + rows % 8
    else:
        qsi = bx * 4 + warp
    qs = tl.load(QS + (b * heads + h) * q_entries + qsi, mask=rmask, other=0.)
    m = tl.full([BLOCK_M], float('-inf'), tl.float32)
    l = tl.zeros([BLOCK_M], tl.float32)
    acc = tl.zeros([BLOCK_M, D], tl.float32)
    kv_heads = heads // kv_group
    for block in range(0, tl.cdiv(kv_len, BLOCK_N)):
        cols = block * BLOCK_N + tl.arange(0, BLOCK_N)
        cmask = cols < kv_len
        k = tl.load(K + b * skb + g * skh + cols.to(tl.int64)[None, :] * skn + d[:, None],
                    mask=cmask[None, :], other=0)
        s = tl.dot(q, k).to(tl.float32)
        if GRAN == 3:
            ksi = (cols // 128) * 4 + cols % 4
        else:
            ksi = cols // 128
        ks = tl.load(KS + (b * kv_heads + g) * k_entries + ksi, mask=cmask, other=0.)
        s = s * qs[:, None] * ks[None, :] * (sm_scale * 1.44269504)
        valid = cmask[None, :] & rmask[:, None]
        if CAUSAL:
            valid = valid & (cols[None, :] <= rows[:, None])
        s = tl.where(valid, s, float('-inf'))
        m_new = tl.maximum(m, tl.max(s, 1))
        m_safe = tl.where(m_new == float('-inf'), 0., m_new)
        p = tl.where(valid, tl.math.exp2(s - m_safe[:, None]), 0.)
        alpha = tl.where(m == float('-inf'), 0., tl.math.exp2(m - m_safe))
        l = l * alpha + tl.sum(p, 1)
        v = tl.load(V + b * svb + g * svh + d[None, :] * svd + cols.to(tl.int64)[:, None],
                    mask=cmask[:, None], other=0.)
        acc = acc * alpha[:, None] + tl.dot(p.to(tl.float16), v.to(tl.float16),
                                            out_dtype=tl.float32)
        m = m_new
    vs = tl.load(VS + (b * kv_heads + g) * D + d)
    out = acc / tl.where(l > 0, l, 1.)[:, None] * vs[None, :]
    # The output and the LSE through the kernel's 32-bit offsets.
    o_offset = (b * sob + h * soh + rows.to(tl.int64)[:, None] * son + d[None, :]) & 0xFFFFFFFF
    tl.store(O + o_offset, out.to(O.dtype.element_ty), mask=rmask[:, None])
    if RETURN_LSE:
        lse_index = (b * qo_len * heads + h * qo_len + rows.to(tl.int64)) & 0xFFFFFFFF
        tl.store(Lse + lse_index, tl.math.log2(l) + m, mask=rmask)


def check(ok, what):
    if not ok:
        raise RuntimeError(what)


def qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf(query, key, value, output, query_scale,
                                                        key_scale, value_scale, tensor_layout,
                                                        is_causal, qk_quant_gran, sm_scale,
                                                        return_lse):
    check(all(t.stride(-1) == 1 for t in (query, key, value, output)),
          'CHECK_LASTDIM_CONTIGUOUS')
    check(all(t.is_contiguous() for t in (query_scale, key_scale, value_scale)),
          'CHECK_CONTIGUOUS(scale)')
    nhd = tensor_layout == 0
    batch, dim = query.size(0), query.size(3)
    heads, rows = (query.size(2), query.size(1)) if nhd else (query.size(1), query.size(2))
    kv_heads, kv_rows = (key.size(2), key.size(1)) if nhd else (key.size(1), key.size(2))
    check(heads % kv_heads == 0, 'num_qo_heads % num_kv_heads')
    gran = 3 if qk_quant_gran == 3 else 2
    q_entries = -(-rows // CTA_Q) * 4 * (8 if gran == 3 else 1)
    k_entries = -(-kv_rows // CTA_K) * (4 if gran == 3 else 1)
    check(tuple(query_scale.shape) == (batch, heads, q_entries), 'CHECK_SHAPE(query_scale)')
    check(tuple(key_scale.shape) == (batch, kv_heads, k_entries), 'CHECK_SHAPE(key_scale)')
    check(tuple(output.shape) == tuple(query.shape), 'CHECK_SHAPE(output)')
    check(value.size(3) >= -(-kv_rows // CTA_K) * CTA_K, 'value padded')

    def bhn(t):
        return ((t.stride(0), t.stride(2), t.stride(1)) if nhd
                else (t.stride(0), t.stride(1), t.stride(2)))
    sq, sk, so = bhn(query), bhn(key), bhn(output)
    sv = ((value.stride(0), value.stride(2), value.stride(1)) if nhd
          else (value.stride(0), value.stride(1), value.stride(2)))
    ints = [host_int(s) for s in sq + sk + sv + so]
    # The tensor maps of q, k, v: a stride the int made negative fails the
    # encode, and upstream's assert(result == CUDA_SUCCESS) aborts.
    if any(s < 0 for s in ints[:9]):
        os.abort()
    lse = (torch.empty((batch, heads, rows), dtype=torch.float32, device=query.device)
           if return_lse else torch.empty((0,), dtype=torch.float32))
    grid = (-(-rows // CTA_Q), heads, batch)
    standin_sm90_kernel[grid](query, key, value, output, lse if return_lse else output,
                              query_scale, key_scale, value_scale, *ints, host_int(rows),
                              host_int(kv_rows), heads, heads // kv_heads, q_entries,
                              k_entries, sm_scale, GRAN=gran, CAUSAL=bool(is_causal),
                              RETURN_LSE=bool(return_lse), D=dim, BLOCK_M=CTA_Q, BLOCK_N=64)
    return lse
