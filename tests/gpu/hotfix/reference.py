"""reference.py: SageAttention's `_fused` kernels modelled in PyTorch from
/work/shared/docs/sageattention-fused.md alone (§2-§6).

Arithmetic is float32 torch arithmetic, one rounding per operation, with the
flush-to-zero of the build's .ftz instructions made explicit (ftz() on every
operand and result, §2.2).  The reciprocal RCP is the hardware's
rcp.approx.ftz.f32 (passed in as `rcp`, see fusedlib.HwOps): the spec defines
it as that instruction, not as a correctly rounded 1/x.  The conversions
(CVT_S8, E4M3, F16RN) are modelled in torch here and checked against the
instructions themselves by check_hotfix.py.  Sums follow the reduction tree of
§2.3 exactly; max and min are exact, so any order gives the same result.

Every function takes the kernel's inputs as torch tensors (any device), in the
layout the entry point receives them, and returns what the kernel writes.
"""
import torch

FLT_MIN = 2.0 ** -126


def f32(bits, device):
    """The float32 whose bit pattern is `bits`, as a 0-dim tensor."""
    return torch.tensor([bits], dtype=torch.int64).to(torch.int32).view(torch.float32)[0].to(device)


# ---- §2.2 operations ----------------------------------------------------------------

def ftz(t):
    """Subnormals become zero of the same sign (t * 0 keeps the sign)."""
    return torch.where(t.abs() < FLT_MIN, t * 0, t)


def add(a, b):
    return ftz(ftz(a) + ftz(b))


def sub(a, b):
    return ftz(ftz(a) - ftz(b))


def mul(a, b):
    return ftz(ftz(a) * ftz(b))


def maxf(a, b):
    """max.ftz.f32: a NaN operand yields the other one."""
    return torch.fmax(ftz(a), ftz(b))


def minf(a, b):
    return torch.fmin(ftz(a), ftz(b))


def widen(x):
    """binary16 / bfloat16 -> binary32, exact."""
    return x.to(torch.float32)


def cvt_s8(y):
    """cvt.rni.sat.s8.f32: nearest, ties to even; clamp to [-128, 127]; NaN -> 0."""
    r = torch.round(y).clamp(-128, 127)
    return torch.where(torch.isnan(y), torch.zeros_like(r), r).to(torch.int8)


def e4m3(y):
    """cvt.rn.satfinite.e4m3x2.f32 as bytes (uint8): nearest even, beyond +-448
    (and +-inf) saturates to +-448, NaN -> 0x7F.  torch's own float8_e4m3fn
    conversion rounds to nearest even but turns overflow into NaN, hence the
    clamp first; it keeps a NaN's sign, hence the explicit 0x7F."""
    c = y.detach().to("cpu", torch.float32).clamp(-448.0, 448.0)
    b = c.to(torch.float8_e4m3fn).view(torch.uint8).clone()
    b[torch.isnan(c)] = 0x7F
    return b.to(y.device)


def f16rn(y):
    """cvt.rn.f16.f32: nearest even, overflow to +-inf."""
    return y.to(torch.float16)


def round_to_format(d, precision, emin, max_finite):
    """Round float64 values to a binary format with `precision` significand
    bits, minimum normal exponent `emin` (subnormals kept) and largest finite
    value `max_finite`: nearest, ties to even, overflow to +-inf.  Used for
    the half-precision subtraction of SubMeanKernel, whose exact difference
    float64 holds; converting through float32 would round twice."""
    a = d.abs()
    _, e = torch.frexp(a)  # a = m * 2^e, m in [0.5, 1)
    quantum = torch.clamp(e.to(torch.int64) - 1, min=emin) - (precision - 1)
    # 2^quantum built from its bits: exact (quantum is well inside float64's range).
    scale = ((quantum + 1023) << 52).view(torch.float64)
    r = torch.round(a / scale) * scale
    r = torch.where(r > max_finite, torch.full_like(r, float("inf")), r)
    r = torch.where(torch.isfinite(a), r, a)
    return torch.copysign(r, d)


def tree32(a):
    """§2.3: b_i = a_i + a_{i+16}, c_i = b_i + b_{i+8}, ... over the last dim."""
    assert a.shape[-1] == 32
    while a.shape[-1] > 1:
        h = a.shape[-1] // 2
        a = add(a[..., :h], a[..., h:])
    return a[..., 0]


def block_sum(per_thread):
    """BlockSum of §2.3 over the last dimension (n_t thread values)."""
    n_t = per_thread.shape[-1]
    warps = tree32(per_thread.reshape(*per_thread.shape[:-1], n_t // 32, 32))
    pad = torch.zeros(*warps.shape[:-1], 32 - warps.shape[-1], dtype=torch.float32,
                      device=warps.device)
    return tree32(torch.cat([warps, pad], dim=-1))


def canonical(x, layout):
    """(B, N, H, D) for layout 0 else (B, H, N, D) -> a (B, H, N, D) view."""
    return x.transpose(1, 2) if layout == 0 else x


def from_canonical(t, layout):
    return (t.transpose(1, 2) if layout == 0 else t).contiguous()


# ---- §3 QuantInt8Kernel ------------------------------------------------------------------

def quant_int8(x, layout, bs, grid_x, rcp, sm=None, mu=None):
    """Returns (q int8 in x's shape, scales (B, H, grid_x) float32).
    sm: the float softmax scale (SM variant); mu: the (B, H, D) mean (SUB)."""
    dev = x.device
    v = ftz(widen(canonical(x, layout)))  # (B, H, N, D)
    b, h, n, d = v.shape
    if mu is not None:
        v = sub(v, ftz(widen(mu))[:, :, None, :])
    if sm is not None:
        v = mul(v, torch.tensor(sm, dtype=torch.float32, device=dev))
    total = grid_x * bs
    vp = torch.zeros(b, h, total, d, dtype=torch.float32, device=dev)
    vp[:, :, :n] = v[:, :, :total]
    blocks = vp.reshape(b, h, grid_x, bs * d)
    mags = ftz(blocks).abs()
    # NaN never enters the maximum; the per-thread seed is 1e-7.
    mags = torch.where(torch.isnan(mags), torch.zeros_like(mags), mags)
    amax = torch.maximum(mags.amax(dim=-1), f32(0x33D6BF95, dev))
    scale = mul(amax, f32(0x3C010204, dev))
    tau = mul(torch.tensor(127.0, device=dev), rcp(amax))
    q = cvt_s8(mul(blocks, tau[..., None]))
    q = q.reshape(b, h, total, d)[:, :, :n]
    return from_canonical(q, layout), scale


# ---- §4 SubMeanKernel ----------------------------------------------------------------------

def sub_mean(x, mu, layout):
    """y = x - mu in x's own format (one rounding), as float16 (§4.4)."""
    xv = canonical(x, layout)
    diff = xv.double() - mu.double()[:, :, None, :]
    if x.dtype == torch.float16:
        y = round_to_format(diff, 11, -14, 65504.0).to(torch.float16)
    else:
        bf_max = (2.0 - 2.0 ** -7) * 2.0 ** 127
        y = round_to_format(diff, 8, -126, bf_max).to(torch.bfloat16)
        y = f16rn(widen(y))
    return from_canonical(y, layout)


# ---- §5 TransposePadPermuteKernel ----------------------------------------------------------

SIGMA = (0, 1, 4, 5, 8, 9, 12, 13, 2, 3, 6, 7, 10, 11, 14, 15)
PI = tuple(SIGMA.index(m) for m in range(16))


def source_token(padded, device):
    """For each destination column m < padded, the source token (§5.4)."""
    m = torch.arange(padded, device=device)
    pi = torch.tensor(PI, device=device)
    return 16 * (m // 16) + pi[m % 16]


def transpose_pad_permute(x, layout):
    """(B, D, H, P) for NHD, (B, H, D, P) for HND, P = 64*ceil(N/64)."""
    xv = canonical(x, layout)  # (B, H, N, D)
    b, h, n, d = xv.shape
    padded = 64 * ((n + 63) // 64)
    xp = torch.zeros(b, h, padded, d, dtype=x.dtype, device=x.device)
    xp[:, :, :n] = xv
    y = xp[:, :, source_token(padded, x.device)].transpose(2, 3)  # (B, H, D, P)
    return (y.permute(0, 2, 1, 3) if layout == 0 else y).contiguous()


# ---- §6 MeanScaleKernel -----------------------------------------------------------------------

def mean_scale(x, num_tokens, scale_max, layout, sub_mean_v, rcp):
    """Returns (E4M3 bytes of columns [0, P64) of each row, as uint8 (rows,
    P64) in x's layout order, scale (B, H, D), mean (B, H, D) or None).
    x is (B, D, H, P) for NHD, (B, H, D, P) for HND."""
    dev = x.device
    xv = x.permute(0, 2, 1, 3) if layout == 0 else x  # (B, H, D, P)
    b, h, d, p = xv.shape
    n = num_tokens
    p16 = 16 * ((n + 15) // 16)
    p64 = 64 * ((n + 63) // 64)
    n_t, span = 256, 2048
    rows = ftz(widen(xv)).reshape(b * h * d, p)
    stats = rows[:, :p16]
    no_nan_hi = torch.where(torch.isnan(stats), torch.full_like(stats, -float("inf")), stats)
    no_nan_lo = torch.where(torch.isnan(stats), torch.full_like(stats, float("inf")), stats)
    big_m = torch.maximum(no_nan_hi.amax(dim=1), f32(0xC9742400, dev))
    small_m = torch.minimum(no_nan_lo.amin(dim=1), f32(0x49742400, dev))
    mean = None
    if sub_mean_v:
        # Thread t adds chunks t, t + 256, ... (8 elements each) in order.
        chunks = (p16 + span - 1) // span
        e = torch.zeros(b * h * d, chunks * span, dtype=torch.float32, device=dev)
        e[:, :p16] = stats
        e = e.reshape(-1, chunks, n_t, 8)
        sigma = torch.zeros(b * h * d, n_t, dtype=torch.float32, device=dev)
        for i in range(chunks):
            for j in range(8):
                sigma = add(sigma, e[:, i, :, j])
        total = block_sum(sigma)
        count = torch.tensor(float(p16), dtype=torch.float32, device=dev)
        mean = mul(total, rcp(count.expand(total.shape).contiguous()))
        amax = maxf(sub(big_m, mean).abs(), sub(small_m, mean).abs())
    else:
        amax = maxf(big_m.abs(), small_m.abs())
    smax = torch.tensor(scale_max, dtype=torch.float32, device=dev)
    scale = mul(amax, rcp(smax.expand(amax.shape).contiguous()))
    rho = mul(rcp(amax), smax)
    vals = rows[:, :p64]
    if sub_mean_v:
        y = mul(sub(vals, mean[:, None]), rho[:, None])
    else:
        y = mul(vals, rho[:, None])
    q = e4m3(y).reshape(b, h, d, p64)
    q = q.permute(0, 2, 1, 3) if layout == 0 else q
    shape3 = (b, h, d)
    return (q.contiguous(), scale.reshape(shape3),
            mean.reshape(shape3) if mean is not None else None)
