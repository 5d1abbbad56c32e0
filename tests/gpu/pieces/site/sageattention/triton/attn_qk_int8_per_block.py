"""GPU stand-in of SageAttention's Triton attention (the per-block path):
the launch arguments and grid of sageattention-long.md section 3 and the
upstream facts (our own code): query rows addressed as `offs_m * stride_qn`
in i32, batch and head terms in i64, scales indexed from H, qo_len and
kv_len."""
import torch
import triton
import triton.language as tl


@triton.jit
def _attn_fwd(Q, K, V, Q_scale, K_scale, Out, Lse,
              stride_qz, stride_qh, stride_qn,
              stride_kz, stride_kh, stride_kn,
              stride_vz, stride_vh, stride_vn,
              stride_oz, stride_oh, stride_on,
              qo_len, kv_len, H: tl.constexpr, num_kv_groups: tl.constexpr,
              HEAD_DIM: tl.constexpr, BLOCK_M: tl.constexpr, BLOCK_N: tl.constexpr,
              STAGE: tl.constexpr, RETURN_LSE: tl.constexpr):
    start_m = tl.program_id(0)
    off_z = tl.program_id(2).to(tl.int64)
    off_h = tl.program_id(1).to(tl.int64)
    q_scale_offset = (off_z * H + off_h) * tl.cdiv(qo_len, BLOCK_M)
    k_scale_offset = (off_z * (H // num_kv_groups) + off_h // num_kv_groups) * tl.cdiv(kv_len, BLOCK_N)
    offs_m = start_m * BLOCK_M + tl.arange(0, BLOCK_M)
    offs_n = tl.arange(0, BLOCK_N)
    offs_k = tl.arange(0, HEAD_DIM)
    q = tl.load(Q + (off_z * stride_qz + off_h * stride_qh) + offs_m[:, None] * stride_qn
                + offs_k[None, :], mask=offs_m[:, None] < qo_len)
    q_scale = tl.load(Q_scale + q_scale_offset + start_m)
    K_ptrs = K + (off_z * stride_kz + (off_h // num_kv_groups) * stride_kh) \
        + offs_n[None, :] * stride_kn + offs_k[:, None]
    V_ptrs = V + (off_z * stride_vz + (off_h // num_kv_groups) * stride_vh) \
        + offs_n[:, None] * stride_vn + offs_k[None, :]
    K_scale_ptr = K_scale + k_scale_offset
    m_i = tl.zeros([BLOCK_M], dtype=tl.float32) - float("inf")
    l_i = tl.zeros([BLOCK_M], dtype=tl.float32) + 1.0
    acc = tl.zeros([BLOCK_M, HEAD_DIM], dtype=tl.float32)
    for start_n in range(0, kv_len, BLOCK_N):
        k = tl.load(K_ptrs, mask=offs_n[None, :] < (kv_len - start_n))
        k_scale = tl.load(K_scale_ptr)
        qk = tl.dot(q, k).to(tl.float32) * q_scale * k_scale
        qk = tl.where(offs_n[None, :] < (kv_len - start_n), qk, float("-inf"))
        m_ij = tl.maximum(m_i, tl.max(qk, 1))
        p = tl.math.exp2(qk - m_ij[:, None])
        alpha = tl.math.exp2(m_i - m_ij)
        l_i = l_i * alpha + tl.sum(p, 1)
        v = tl.load(V_ptrs, mask=offs_n[:, None] < (kv_len - start_n))
        acc = acc * alpha[:, None] + tl.dot(p.to(tl.float16), v, out_dtype=tl.float32)
        m_i = m_ij
        K_ptrs += BLOCK_N * stride_kn
        V_ptrs += BLOCK_N * stride_vn
        K_scale_ptr += 1
    acc = acc / l_i[:, None]
    tl.store(Out + (off_z * stride_oz + off_h * stride_oh) + offs_m[:, None] * stride_on
             + offs_k[None, :], acc.to(Out.type.element_ty), mask=offs_m[:, None] < qo_len)
    if RETURN_LSE:
        tl.store(Lse + (off_z * qo_len * H + off_h * qo_len) + offs_m,
                 tl.math.log2(l_i) + m_i, mask=offs_m < qo_len)


def forward(q, k, v, q_scale, k_scale, tensor_layout="HND", output_dtype=torch.float16,
            return_lse=False):
    BLOCK_M, BLOCK_N = 128, 64
    o = torch.empty(q.shape, dtype=output_dtype, device=q.device)
    if tensor_layout == "HND":
        b, h_qo, qo_len, head_dim = q.shape
        _, h_kv, kv_len, _ = k.shape
        dims = (0, 1, 2)
    else:
        b, qo_len, h_qo, head_dim = q.shape
        _, kv_len, h_kv, _ = k.shape
        dims = (0, 2, 1)
    lse = (torch.empty([b, h_qo, qo_len], dtype=torch.float32, device=q.device) if return_lse
           else torch.empty([0], dtype=torch.float32, device='cpu'))
    grid = (triton.cdiv(qo_len, BLOCK_M), h_qo, b)
    _attn_fwd[grid](q, k, v, q_scale, k_scale, o, lse,
                    *[q.stride(d) for d in dims], *[k.stride(d) for d in dims],
                    *[v.stride(d) for d in dims], *[o.stride(d) for d in dims],
                    qo_len, kv_len, h_qo, h_qo // h_kv,
                    BLOCK_M=BLOCK_M, BLOCK_N=BLOCK_N, HEAD_DIM=head_dim, STAGE=1,
                    RETURN_LSE=return_lse, num_warps=8, num_stages=3)
    return o, lse
