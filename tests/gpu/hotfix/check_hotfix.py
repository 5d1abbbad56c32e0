"""check_hotfix.py: the corrected `_fused` kernels against the spec's reference
model, and the 32-bit stand-in of the original against the spec's account of
where it goes wrong.  Run by tests/gpu/hotfix/run.sh; prints "PASS name" /
"FAIL name: detail" lines and "hotfix: N passed, M failed"; exit status 0 when
everything passed, 1 otherwise, 2 when it cannot start.

    python3 check_hotfix.py --corrected LIB --standin LIB --hw LIB [--small] [--long]

--small: every one of the 44 instantiations, bit for bit against
  reference.py, on B = 2 inputs whose lengths are not multiples of 16, 64 or
  128, in both layouts and both dtypes, as strided fused-QKV views and as
  contiguous tensors, with NaN, infinity and (bf16) subnormal inputs; the
  stand-in must give the same bytes there (no offset wraps at these sizes);
  and the torch models of the three conversions against the instructions.
--long: the shapes of spec §0.2 / §8 (H = 56, D = 128, bf16, B = 1).
Neither flag: both.
"""
import argparse
import sys
import time

import torch

import reference as R
from fusedlib import FusedLib, HwOps

TYPE_NAMES = {torch.float16: "__half", torch.bfloat16: "__nv_bfloat16"}
DEV = "cuda"  # a CPU smoke test of this script's own logic sets "cpu"


def sync():
    if DEV == "cuda":
        torch.cuda.synchronize()


class Report:
    def __init__(self):
        self.passed = 0
        self.failed = 0

    def check(self, name, problems):
        """problems: list of strings; empty means PASS."""
        if problems:
            self.failed += 1
            shown = "; ".join(problems[:4])
            more = f" (+{len(problems) - 4} more)" if len(problems) > 4 else ""
            print(f"FAIL {name}: {shown}{more}", flush=True)
        else:
            self.passed += 1
            print(f"PASS {name}", flush=True)


# ---- comparing bytes ----------------------------------------------------------------

RAW = {1: torch.uint8, 2: torch.int16, 4: torch.int32}


def raw(t):
    return t.contiguous().view(RAW[t.element_size()])


def differences(what, got, want, nan_equal=False):
    """[] if got and want hold the same bytes, else one line describing where
    they differ.  nan_equal: floating-point outputs whose NaN payload the spec
    leaves open compare equal when both are NaN at the same places."""
    if got.shape != want.shape:
        return [f"{what}: shape {tuple(got.shape)} vs expected {tuple(want.shape)}"]
    g, w = raw(got), raw(want.to(got.device))
    diff = g != w
    if nan_equal and got.is_floating_point():
        diff &= ~(torch.isnan(got) & torch.isnan(want.to(got.device)))
    count = int(diff.sum())
    if count == 0:
        return []
    first = tuple(int(i) for i in diff.nonzero()[0])
    bits = 2 * got.element_size()
    gv = int(g[first]) & ((1 << 4 * bits) - 1)
    wv = int(w[first]) & ((1 << 4 * bits) - 1)
    return [f"{what}: {count} of {got.numel()} differ, first at {first}: "
            f"0x{gv:0{bits}x} vs expected 0x{wv:0{bits}x}"]


# ---- inputs ------------------------------------------------------------------------------

class Inputs:
    """Deterministic test tensors on the GPU."""

    def __init__(self, seed):
        self.gen = torch.Generator(device=DEV)
        self.gen.manual_seed(seed)

    def randn(self, shape, dtype, scale=1.0):
        t = torch.randn(shape, generator=self.gen, device=DEV, dtype=torch.float32) * scale
        return t.to(dtype)

    def qkv_like(self, variant, dtype, d, layout):
        """A Q/K/V-shaped input (B = 2, H = 3) in the entry point's layout:
        "view": one third of a fused (B, N, 3, H, D) projection, strided;
        "contiguous": its own tensor (NHD (B, N, H, D) or HND (B, H, N, D)),
        with +inf in one place besides the NaN both variants hold, and
        subnormal magnitudes in a few tokens."""
        b, h = 2, 3
        if variant == "view":
            n = 1000
            qkv = self.randn((b, n, 3, h, d), dtype)
            x = qkv[:, :, 1]
            if layout != 0:
                x = x.transpose(1, 2)
        else:
            n = 937
            shape = (b, n, h, d) if layout == 0 else (b, h, n, d)
            x = self.randn(shape, dtype)
        xv = R.canonical(x, layout)  # (B, H, N, D) view of the same storage
        xv[1, 2, 5, 3] = float("nan")
        if variant == "contiguous":
            xv[0, 1, 300, 7] = float("inf")
        tiny = 1e-39 if dtype == torch.bfloat16 else 1e-6
        xv[0, 0, 10:12] = (xv[0, 0, 10:12].float() * tiny).to(dtype)
        return x, n

    def mean_of(self, x, layout, with_nan):
        mu = R.canonical(x, layout).float().nan_to_num(0.0, 0.0, 0.0).mean(2).to(x.dtype)
        mu = mu.contiguous()
        if with_nan:
            mu[1, 0, 5] = float("nan")
        return mu


def filled(shape, dtype, byte):
    """An output buffer whose every byte is `byte`, so that unwritten places show."""
    t = torch.empty(shape, dtype=dtype, device=DEV)
    t.view(torch.uint8).fill_(byte)
    return t


# ---- the 44 instantiations ------------------------------------------------------------------

def quant_cases():
    """(label, entry, block_sizes) for the 32 QuantInt8Kernel instantiations."""
    cases = []
    for d in (64, 128):
        for dtype in (torch.float16, torch.bfloat16):
            for bs in (64, 128):
                np_ = 2 if (d, bs) == (128, 128) else 1
                for sm, sub, entry in ((True, False, "per_block_sm"), (False, False, "per_block"),
                                       (False, True, "fuse_sub_mean")):
                    cases.append((d, dtype, bs, np_, sm, sub, entry, (bs,)))
            for wb in (16, 32):
                # Per-warp: the block_size SageAttention passes (128; sm90's
                # per-warp path 64 with warp 16) only rounds the grid.
                blocks = (128, 64) if wb == 16 else (128,)
                cases.append((d, dtype, wb, 1, False, False, "per_warp", blocks))
    return cases


def quant_label(d, dtype, bs, np_, sm, sub):
    b = lambda v: "true" if v else "false"
    return f"QuantInt8Kernel<{d},{bs},{np_},{b(sm)},{b(sub)},{TYPE_NAMES[dtype]}>"


def run_quant(lib, entry, x, mu, layout, bs, block, sm_scale):
    b = x.size(0)
    n = x.size(1) if layout == 0 else x.size(2)
    h = x.size(2) if layout == 0 else x.size(1)
    if entry == "per_warp":
        grid_x = (n + block - 1) // block * (block // bs)
    else:
        grid_x = (n + bs - 1) // bs
    q = filled(x.shape, torch.int8, 0x80)
    s = filled((b, h, grid_x), torch.float32, 0xA5)
    if entry == "per_block_sm":
        lib.quant_per_block_int8_cuda(x, q, s, sm_scale, bs, layout)
    elif entry == "per_block":
        lib.quant_per_block_int8_cuda(x, q, s, bs, layout)
    elif entry == "fuse_sub_mean":
        lib.quant_per_block_int8_fuse_sub_mean_cuda(x, mu, q, s, bs, layout)
    else:
        lib.quant_per_warp_int8_cuda(x, q, s, block, bs, layout)
    sync()
    return q, s, grid_x


def small_quant(rep, corrected, standin, hw, inputs, standin_problems):
    runs = 0
    for d, dtype, bs, np_, sm, sub, entry, blocks in quant_cases():
        label = quant_label(d, dtype, bs, np_, sm, sub)
        problems = []
        count = 0
        for layout in (0, 1):
            for variant in ("view", "contiguous"):
                x, n = inputs.qkv_like(variant, dtype, d, layout)
                mu = inputs.mean_of(x, layout, variant == "contiguous") if sub else None
                sm_scale = d ** -0.5 * 1.44269504 if sm else None
                for block in blocks:
                    tag = f"{'NHD' if layout == 0 else 'HND'} {variant} N={n} block={block}"
                    q, s, grid_x = run_quant(corrected, entry, x, mu, layout, bs, block, sm_scale)
                    wq, ws = R.quant_int8(x, layout, bs, grid_x, hw.rcp, sm=sm_scale, mu=mu)
                    problems += differences(f"{tag} q", q, wq)
                    problems += differences(f"{tag} scale", s, ws)
                    q2, s2, _ = run_quant(standin, entry, x, mu, layout, bs, block, sm_scale)
                    standin_problems += differences(f"{label} {tag} q", q2, q)
                    standin_problems += differences(f"{label} {tag} scale", s2, s)
                    count += 1
        runs += count
        rep.check(f"hotfix small: {label} bit-exact vs reference ({count} runs: NHD/HND, "
                  f"fused-QKV view/contiguous, B=2, N=1000/937, NaN, inf)", problems)
    return runs


def small_sub_mean(rep, corrected, standin, inputs, standin_problems):
    runs = 0
    for d in (64, 128):
        for dtype in (torch.float16, torch.bfloat16):
            label = f"SubMeanKernel<{d},{128 if d == 64 else 64},1,{TYPE_NAMES[dtype]}>"
            problems = []
            count = 0
            for layout in (0, 1):
                for variant in ("view", "contiguous"):
                    x, n = inputs.qkv_like(variant, dtype, d, layout)
                    mu = inputs.mean_of(x, layout, False)
                    tag = f"{'NHD' if layout == 0 else 'HND'} {variant} N={n}"
                    outs = []
                    for lib in (corrected, standin):
                        y = filled(x.shape, torch.float16, 0xA5)
                        lib.sub_mean_cuda(x, mu, y, layout)
                        sync()
                        outs.append(y)
                    problems += differences(tag, outs[0], R.sub_mean(x, mu, layout),
                                            nan_equal=True)
                    standin_problems += differences(f"{label} {tag}", outs[1], outs[0])
                    count += 1
            runs += count
            rep.check(f"hotfix small: {label} bit-exact vs reference ({count} runs: NHD/HND, "
                      f"fused-QKV view/contiguous, B=2, N=1000/937, NaN, inf)", problems)
    return runs


def small_transpose(rep, corrected, standin, inputs, standin_problems):
    runs = 0
    for d in (64, 128):
        for dtype in (torch.float16, torch.bfloat16):
            label = f"TransposePadPermuteKernel<{d},64,true,{TYPE_NAMES[dtype]}>"
            problems = []
            count = 0
            for layout in (0, 1):
                for variant in ("view", "contiguous"):
                    x, n = inputs.qkv_like(variant, dtype, d, layout)
                    want = R.transpose_pad_permute(x, layout)
                    tag = f"{'NHD' if layout == 0 else 'HND'} {variant} N={n}"
                    outs = []
                    for lib in (corrected, standin):
                        y = filled(want.shape, dtype, 0xA5)
                        lib.transpose_pad_permute_cuda(x, y, layout)
                        sync()
                        outs.append(y)
                    problems += differences(tag, outs[0], want)
                    standin_problems += differences(f"{label} {tag}", outs[1], outs[0])
                    count += 1
            runs += count
            rep.check(f"hotfix small: {label} bit-exact vs reference ({count} runs: NHD/HND, "
                      f"fused-QKV view/contiguous, B=2, N=1000/937, P=1024/960, NaN)", problems)
    return runs


def mean_scale_input(inputs, dtype, layout, n):
    """A transposed-V-shaped input, B = 2, H = 3 (D = 128 for NHD, 64 for
    HND: MeanScale does not dispatch on D), every column random (also those
    >= N, which the statistics read up to P16), one row holding a NaN, one
    row all zeros (A = 0), bf16 subnormals in a third."""
    b, h = 2, 3
    d = 128 if layout == 0 else 64
    p = 64 * ((n + 63) // 64)
    x = inputs.randn((b, d, h, p) if layout == 0 else (b, h, d, p), dtype, scale=2.0)
    rows = x.permute(0, 2, 1, 3) if layout == 0 else x  # (B, H, D, P) view
    rows[1, 2, 7, 33] = float("nan")
    rows[0, 1, 5].zero_()
    tiny = 1e-39 if dtype == torch.bfloat16 else 1e-6
    rows[1, 0, 3] = (rows[1, 0, 3].float() * tiny).to(dtype)
    return x, (b, h, d)


def small_mean_scale(rep, corrected, standin, hw, inputs, standin_problems):
    runs = 0
    for sub in (False, True):
        for dtype in (torch.float16, torch.bfloat16):
            label = f"MeanScaleKernel<64,{'true' if sub else 'false'},{TYPE_NAMES[dtype]}>"
            problems = []
            count = 0
            for layout in (0, 1):
                for n in (1000, 2500):
                    for smax in (448.0, 2.25):
                        x, bhd = mean_scale_input(inputs, dtype, layout, n)
                        tag = f"{'NHD' if layout == 0 else 'HND'} N={n} scale_max={smax}"
                        outs = []
                        for lib in (corrected, standin):
                            q = filled(x.shape, torch.uint8, 0xA5)
                            s = filled(bhd, torch.float32, 0xA5)
                            mu = filled(bhd, torch.float32, 0xA5)
                            if sub:
                                lib.mean_scale_fuse_quant_cuda(x, q, mu, s, n, smax, layout)
                            else:
                                lib.scale_fuse_quant_cuda(x, q, s, n, smax, layout)
                            sync()
                            outs.append((q, s, mu))
                        wq, ws, wmu = R.mean_scale(x, n, smax, layout, sub, hw.rcp)
                        q, s, mu = outs[0]
                        problems += differences(f"{tag} fp8", q, wq)
                        problems += differences(f"{tag} scale", s, ws, nan_equal=True)
                        if sub:
                            problems += differences(f"{tag} mean", mu, wmu, nan_equal=True)
                        else:
                            problems += differences(f"{tag} mean (must stay unwritten)", mu,
                                                    filled(bhd, torch.float32, 0xA5))
                        for i, what in enumerate(("fp8", "scale", "mean")):
                            standin_problems += differences(f"{label} {tag} {what}",
                                                            outs[1][i], outs[0][i])
                        count += 1
            runs += count
            rep.check(f"hotfix small: {label} bit-exact vs reference ({count} runs: NHD/HND, "
                      f"B=2, N=1000/2500, scale_max 448/2.25, NaN row, zero row)", problems)
    return runs


def model_checks(rep, hw):
    """The torch models of the conversions against the instructions."""
    g = torch.Generator(device=DEV)
    g.manual_seed(7)
    # Every float32 whose low 12 bits are zero (all exponents, the 11 top
    # mantissa bits: every tie of s8, e4m3 and f16 rounding), plus random
    # bit patterns (NaNs, infinities, subnormals included).
    grid = (torch.arange(1 << 20, device=DEV, dtype=torch.int64) << 12).to(torch.int32)
    rnd = torch.randint(-(1 << 31), (1 << 31) - 1, (1 << 20,), device=DEV,
                        dtype=torch.int64, generator=g).to(torch.int32)
    vals = torch.cat([grid, rnd]).view(torch.float32)
    problems = differences("cvt_s8", hw.cvt_s8(vals), R.cvt_s8(vals))
    rep.check(f"reference model: CVT_S8 equals cvt.rni.sat.s8.f32 on {vals.numel()} values",
              problems)
    got = hw.cvt_e4m3(vals)
    problems = differences("e4m3", got, R.e4m3(vals))
    nan_bytes = sorted(set(int(v) for v in got[torch.isnan(vals)].unique().tolist()))
    rep.check(f"reference model: E4M3 equals cvt.rn.satfinite.e4m3x2.f32 on {vals.numel()} "
              f"values (NaN gives bytes {[hex(v) for v in nan_bytes]})", problems)
    fin = vals[~torch.isnan(vals)]
    problems = differences("f16", hw.cvt_f16(fin), R.f16rn(fin).view(torch.int16))
    rep.check(f"reference model: F16RN equals cvt.rn.f16.f32 on {fin.numel()} non-NaN values",
              problems)
    # The four RCP values the spec measured (§0.3).
    known = {127.0: 0x3C010204, 448.0: 0x3B124925, 2.25: 0x3EE38E39, 1008.0: 0x3A820821}
    got = hw.rcp(torch.tensor(list(known), device=DEV)).view(torch.int32).tolist()
    problems = [f"RCP({k}) = 0x{v & 0xFFFFFFFF:08x}, spec 0x{want:08x}"
                for (k, want), v in zip(known.items(), got) if v & 0xFFFFFFFF != want]
    rep.check("reference model: rcp.approx.ftz.f32 gives the spec's RCP(127), RCP(448), "
              "RCP(2.25), RCP(1008)", problems)


def small(rep, corrected, standin, hw):
    model_checks(rep, hw)
    inputs = Inputs(1234)
    for family, fn in (("QuantInt8Kernel", lambda p: small_quant(rep, corrected, standin, hw, inputs, p)),
                       ("SubMeanKernel", lambda p: small_sub_mean(rep, corrected, standin, inputs, p)),
                       ("TransposePadPermuteKernel",
                        lambda p: small_transpose(rep, corrected, standin, inputs, p)),
                       ("MeanScaleKernel",
                        lambda p: small_mean_scale(rep, corrected, standin, hw, inputs, p))):
        standin_problems = []
        runs = fn(standin_problems)
        rep.check(f"hotfix small: 32-bit stand-in gives the corrected bytes on all {runs} "
                  f"{family} runs (no offset wraps at these sizes)", standin_problems)


# ---- long inputs ------------------------------------------------------------------------------

H, D = 56, 128
WRAP_TOKEN = 199_729  # first token n with n * 21504 >= 2^32 (spec §8)


def fused_qkv(n, seed):
    """(1, N, 3, 56, 128) bf16.  Q is 8x larger than K and V, so that the V
    reads that wrap into Q rows (heads >= 16 land there, §0.1) change every
    such channel's maximum and with it the FP8 value of every token."""
    g = torch.Generator(device=DEV)
    g.manual_seed(seed)
    qkv = torch.randn((1, n, 3, H, D), dtype=torch.bfloat16, device=DEV, generator=g)
    qkv[:, :, 0].mul_(8)
    return qkv


def transpose(lib, v, layout=0):
    n = v.size(1) if layout == 0 else v.size(2)
    p = 64 * ((n + 63) // 64)
    shape = (1, D, H, p) if layout == 0 else (1, H, D, p)
    y = torch.zeros(shape, dtype=v.dtype, device=DEV)
    lib.transpose_pad_permute_cuda(v, y, layout)
    return y


def fp8(lib, vt, n, sub):
    q = torch.zeros(vt.shape, dtype=torch.uint8, device=DEV)
    s = torch.zeros((1, H, D), dtype=torch.float32, device=DEV)
    mu = torch.zeros((1, H, D), dtype=torch.float32, device=DEV)
    if sub:
        lib.mean_scale_fuse_quant_cuda(vt, q, mu, s, n, 448.0, 0)
    else:
        lib.scale_fuse_quant_cuda(vt, q, s, n, 448.0, 0)
    return q, s, mu


def per_warp(lib, x, block=128, warp=32):
    n = x.size(1)
    g = (n + block - 1) // block * (block // warp)
    q = torch.zeros(x.shape, dtype=torch.int8, device=DEV)
    s = torch.zeros((1, H, g), dtype=torch.float32, device=DEV)
    lib.quant_per_warp_int8_cuda(x, q, s, block, warp, 0)
    return q, s


def same(a, b):
    return torch.equal(raw(a), raw(b))


def columns_to_tokens(mask_cols):
    """Destination columns of the transposed V -> sorted source tokens."""
    src = R.source_token(mask_cols.numel(), mask_cols.device)
    return torch.sort(src[mask_cols.nonzero().flatten()]).values


def token_range_problem(what, tokens, first, end):
    want = torch.arange(first, end, device=tokens.device)
    if tokens.numel() == want.numel() and torch.equal(tokens, want):
        return []
    lo = int(tokens.min()) if tokens.numel() else None
    hi = int(tokens.max()) if tokens.numel() else None
    return [f"{what}: {tokens.numel()} tokens differ ({lo}..{hi}), spec: exactly "
            f"{first}..{end - 1}"]


def long_fused(rep, corrected, standin, n, do_quant):
    t0 = time.time()
    qkv = fused_qkv(n, n)
    v = qkv[:, :, 2]
    vc = v.contiguous()
    tag = f"fused-QKV V view N={n:,}"
    yc_view = transpose(corrected, v)
    yc_cont = transpose(corrected, vc)
    ys_view = transpose(standin, v)
    ys_cont = transpose(standin, vc)
    sync()
    p = yc_view.size(3)
    problems = [] if same(yc_view, yc_cont) else ["corrected result on the view differs from "
                                                  "the one on V.contiguous()"]
    rep.check(f"hotfix long: corrected transpose_pad_permute on the {tag} equals the result "
              f"on V.contiguous()", problems)
    problems = [] if same(ys_cont, yc_cont) else ["stand-in and corrected differ on the "
                                                  "contiguous copy"]
    diff_cols = (raw(ys_view) != raw(yc_cont)).reshape(-1, p).any(0)
    problems += token_range_problem("stand-in on the view", columns_to_tokens(diff_cols),
                                    WRAP_TOKEN, n)
    rep.check(f"hotfix long: 32-bit stand-in transpose_pad_permute on the {tag} wrong at "
              f"exactly tokens {WRAP_TOKEN:,}..{n - 1:,}", problems)
    del ys_cont, yc_view
    if n != 199_808:
        # per_channel_fp8(V, "NHD", smooth_v False and True): the transposed
        # tensor differs only from token 199,729 on, the FP8 output at every token.
        for sub in (False, True):
            name = "mean_scale_fuse_quant" if sub else "scale_fuse_quant"
            want = fp8(corrected, yc_cont, n, sub)
            got = fp8(corrected, transpose(corrected, v), n, sub)
            bad = fp8(standin, ys_view, n, sub)
            sync()
            problems = [f"corrected {what} differs from the contiguous copy's"
                        for what, a, b in zip(("fp8", "scale", "mean"), got, want)
                        if not same(a, b)]
            rep.check(f"hotfix long: corrected per_channel_fp8 ({name}) on the {tag} equals "
                      f"the result on V.contiguous()", problems)
            tokens = columns_to_tokens((bad[0] != want[0]).reshape(-1, p).any(0))
            problems = token_range_problem("stand-in fp8", tokens[tokens < n], 0, n)
            rep.check(f"hotfix long: 32-bit stand-in per_channel_fp8 ({name}) on the {tag} "
                      f"wrong at every token (spec §0.1)", problems)
            del want, got, bad
    del ys_view, yc_cont
    if do_quant:
        # quant_per_warp_int8 (128, 32) on the Q view (spec §0.2).
        q = qkv[:, :, 0]
        qc = q.contiguous()
        cq = per_warp(corrected, q)
        cqc = per_warp(corrected, qc)
        sq = per_warp(standin, q)
        sync()
        problems = [] if same(cq[0], cqc[0]) and same(cq[1], cqc[1]) else [
            "corrected per-warp result on the view differs from Q.contiguous()'s"]
        rep.check(f"hotfix long: corrected quant_per_warp_int8 on the fused-QKV Q view "
                  f"N={n:,} equals the result on Q.contiguous()", problems)
        tokens = (sq[0] != cqc[0]).reshape(n, -1).any(1).nonzero().flatten()
        first_block = WRAP_TOKEN // 32 * 32
        problems = token_range_problem("stand-in int8", tokens, first_block, n)
        blocks = (raw(sq[1]) != raw(cqc[1])).reshape(-1, sq[1].size(2)).any(0).nonzero()
        first = int(blocks.min()) if blocks.numel() else None
        if first != first_block // 32:
            problems.append(f"first differing scale index {first}, spec {first_block // 32}")
        rep.check(f"hotfix long: 32-bit stand-in quant_per_warp_int8 on the Q view N={n:,} "
                  f"wrong at exactly tokens {first_block:,}..{n - 1:,}, first scale index "
                  f"{first_block // 32:,}", problems)
        del q, qc, cq, cqc, sq
    del qkv, v, vc
    torch.cuda.empty_cache()
    print(f"      ({tag}: {time.time() - t0:.1f} s)", flush=True)


def long_hnd(rep, corrected, standin, n, wrong_heads):
    """A contiguous HND V (1, 56, N, 128): each head against the kernel run on
    that head's slice alone (§0.2)."""
    t0 = time.time()
    g = torch.Generator(device=DEV)
    g.manual_seed(n)
    v = torch.randn((1, H, n, D), dtype=torch.bfloat16, device=DEV, generator=g)
    yc = transpose(corrected, v, 1)
    ys = transpose(standin, v, 1)
    sync()
    bad_corrected, bad_standin, standin_slices = [], [], []
    for h in range(H):
        alone = transpose(corrected, v[:, h:h + 1], 1)
        if not same(yc[:, h], alone[:, 0]):
            bad_corrected.append(h)
        if not same(ys[:, h], alone[:, 0]):
            bad_standin.append(h)
        if h in (0, 1, 54, 55) and not same(transpose(standin, v[:, h:h + 1], 1), alone):
            standin_slices.append(h)
        del alone
    tag = f"contiguous HND V (1, 56, {n:,}, 128)"
    rep.check(f"hotfix long: corrected transpose_pad_permute on a {tag} equals the per-head "
              f"results", [f"heads {bad_corrected} differ"] if bad_corrected else [])
    problems = []
    if bad_standin != wrong_heads:
        problems.append(f"wrong heads {bad_standin}, spec {wrong_heads}")
    if standin_slices:
        problems.append(f"stand-in wrong on the slices of heads {standin_slices} alone")
    rep.check(f"hotfix long: 32-bit stand-in transpose_pad_permute on a {tag} wrong in "
              f"exactly heads {wrong_heads} (and right on each head's slice)", problems)
    del v, yc, ys
    torch.cuda.empty_cache()
    print(f"      ({tag}: {time.time() - t0:.1f} s)", flush=True)


def long(rep, corrected, standin):
    long_fused(rep, corrected, standin, 199_808, do_quant=True)
    long_fused(rep, corrected, standin, 200_064, do_quant=False)
    long_fused(rep, corrected, standin, 260_096, do_quant=False)
    long_hnd(rep, corrected, standin, 600_064, [])
    long_hnd(rep, corrected, standin, 610_112, [0, 1, 55])


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corrected", required=True)
    ap.add_argument("--standin", required=True)
    ap.add_argument("--hw", required=True)
    ap.add_argument("--small", action="store_true")
    ap.add_argument("--long", action="store_true")
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("FAIL hotfix: torch sees no CUDA device")
        return 2
    corrected = FusedLib(args.corrected)
    standin = FusedLib(args.standin)
    hw = HwOps(args.hw)
    rep = Report()
    t0 = time.time()
    if args.small or not args.long:
        small(rep, corrected, standin, hw)
        print(f"      (small cases: {time.time() - t0:.1f} s)", flush=True)
    if args.long or not args.small:
        long(rep, corrected, standin)
    print(f"hotfix: {rep.passed} passed, {rep.failed} failed ({time.time() - t0:.1f} s)")
    return 0 if rep.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
