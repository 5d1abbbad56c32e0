"""GPU stand-in of SageAttention's per-thread Triton quantizers: the module's
shape (kernels as module globals, looked up when per_thread_int8 runs,
launched as kernel[grid](...)), the launch arguments and the address
expressions of sageattention-long.md, section 3 (our own code): offsets in
Triton's default i32 arithmetic, so past 2^31 they go negative."""
import torch
import triton
import triton.language as tl


@triton.jit
def quant_query_per_thread_int8_kernel(Input, Output, Scale, L,
                                       stride_iz, stride_ih, stride_in,
                                       stride_oz, stride_oh, stride_on,
                                       stride_sz, stride_sh,
                                       C: tl.constexpr, BLK: tl.constexpr):
    pid = tl.program_id(0)
    off_blk, off_tld = pid // 8, pid % 8
    off_h, off_b = tl.program_id(1), tl.program_id(2)
    offs_n = off_blk * BLK + tl.arange(0, BLK // 8) * 8 + off_tld
    offs_k = tl.arange(0, C)
    keep = offs_n[:, None] < L
    x = tl.load(Input + off_b * stride_iz + off_h * stride_ih + offs_n[:, None] * stride_in
                + offs_k[None, :], mask=keep).to(tl.float32)
    scale = tl.max(tl.abs(x)) / 127. + 0.0000001
    y = x / scale
    y += 0.5 * tl.where(y >= 0, 1, -1)
    tl.store(Output + off_b * stride_oz + off_h * stride_oh + offs_n[:, None] * stride_on
             + offs_k[None, :], y.to(tl.int8), mask=keep)
    tl.store(Scale + off_b * stride_sz + off_h * stride_sh + pid, scale)


@triton.jit
def quant_key_per_thread_int8_kernel(Input, Output, Scale, L,
                                     stride_iz, stride_ih, stride_in,
                                     stride_oz, stride_oh, stride_on,
                                     stride_sz, stride_sh,
                                     C: tl.constexpr, BLK: tl.constexpr):
    pid = tl.program_id(0)
    off_blk, off_tld = pid // 4, pid % 4
    off_h, off_b = tl.program_id(1), tl.program_id(2)
    offs_n = off_blk * BLK + tl.arange(0, BLK // 8) * 8 + off_tld * 2
    offs_k = tl.arange(0, C)
    keep = offs_n[:, None] < L
    keep1 = (offs_n[:, None] + 1) < L
    x0 = tl.load(Input + off_b * stride_iz + off_h * stride_ih + offs_n[:, None] * stride_in
                 + offs_k[None, :], mask=keep).to(tl.float32)
    x1 = tl.load(Input + off_b * stride_iz + off_h * stride_ih + (offs_n[:, None] + 1) * stride_in
                 + offs_k[None, :], mask=keep1).to(tl.float32)
    scale = tl.maximum(tl.max(tl.abs(x0)), tl.max(tl.abs(x1))) / 127. + 0.0000001
    y0 = x0 / scale
    y1 = x1 / scale
    y0 += 0.5 * tl.where(y0 >= 0, 1, -1)
    y1 += 0.5 * tl.where(y1 >= 0, 1, -1)
    tl.store(Output + off_b * stride_oz + off_h * stride_oh + offs_n[:, None] * stride_on
             + offs_k[None, :], y0.to(tl.int8), mask=keep)
    tl.store(Output + off_b * stride_oz + off_h * stride_oh + (offs_n[:, None] + 1) * stride_on
             + offs_k[None, :], y1.to(tl.int8), mask=keep1)
    tl.store(Scale + off_b * stride_sz + off_h * stride_sh + pid, scale)


def per_thread_int8(q, k, km=None, BLKQ=128, WARPQ=32, BLKK=64, WARPK=64, sm_scale=None,
                    tensor_layout="HND"):
    q_int8 = torch.empty(q.shape, dtype=torch.int8, device=q.device)
    k_int8 = torch.empty(k.shape, dtype=torch.int8, device=k.device)
    if km is not None:
        k = k - km
    if tensor_layout == "HND":
        b, h_qo, qo_len, head_dim = q.shape
        _, h_kv, kv_len, _ = k.shape
        dims = (0, 1, 2)
    else:
        b, qo_len, h_qo, head_dim = q.shape
        _, kv_len, h_kv, _ = k.shape
        dims = (0, 2, 1)
    q_scale = torch.empty((b, h_qo, (qo_len + BLKQ - 1) // BLKQ * (BLKQ // WARPQ) * 8),
                          device=q.device, dtype=torch.float32)
    k_scale = torch.empty((b, h_kv, (kv_len + BLKK - 1) // BLKK * (BLKK // WARPK) * 4),
                          device=q.device, dtype=torch.float32)
    grid = ((qo_len + BLKQ - 1) // BLKQ * (BLKQ // WARPQ) * 8, h_qo, b)
    quant_query_per_thread_int8_kernel[grid](
        q, q_int8, q_scale, qo_len, *[q.stride(d) for d in dims],
        *[q_int8.stride(d) for d in dims], q_scale.stride(0), q_scale.stride(1),
        C=head_dim, BLK=WARPQ)
    grid = ((kv_len + BLKK - 1) // BLKK * (BLKK // WARPK) * 4, h_kv, b)
    quant_key_per_thread_int8_kernel[grid](
        k, k_int8, k_scale, kv_len, *[k.stride(d) for d in dims],
        *[k_int8.stride(d) for d in dims], k_scale.stride(0), k_scale.stride(1),
        C=head_dim, BLK=WARPK)
    return q_int8, q_scale, k_int8, k_scale
