"""bench_hotfix.py: the corrected `_fused` kernels (64-bit offsets) against
the 32-bit stand-in of the original, at the long shapes of issue 13.  Run by
bench/bench.sh, which puts its output (markdown table rows) into the report.

    python3 bench_hotfix.py --corrected LIB --standin LIB [--reps 100]

Each kernel is launched through the host libraries of this directory (the
spec's launch configurations); corrected and stand-in launches alternate,
each timed alone with CUDA events, after 3 warm-up launches of each; a cell
is the median.  Bytes are those the kernel must move at least (each input
element read once, each output element written once); GB/s is that over the
median time, against the H200's 4.8 TB/s (vendor figure).  The stand-in
reads wrapped addresses at these shapes, so its results are wrong; only its
time is used.  Prints one table row per kernel and a final line
"worst speed ratio R".
"""
import argparse
import statistics
import sys

import torch

import check_hotfix as C
from fusedlib import FusedLib

PEAK_GBS = 4800.0
H, D = C.H, C.D


def time_pair(launch_a, launch_b, reps):
    """Alternating launches; medians in ms."""
    for _ in range(3):
        launch_a()
        launch_b()
    torch.cuda.synchronize()
    times = ([], [])
    for _ in range(reps):
        for i, launch in enumerate((launch_a, launch_b)):
            start = torch.cuda.Event(enable_timing=True)
            end = torch.cuda.Event(enable_timing=True)
            start.record()
            launch()
            end.record()
            end.synchronize()
            times[i].append(start.elapsed_time(end))
    return statistics.median(times[0]), statistics.median(times[1])


def row(name, shape, nbytes, t_corr, t_std):
    speed = t_std / t_corr
    gbs_c = nbytes / t_corr / 1e6
    gbs_s = nbytes / t_std / 1e6
    verdict = "meets" if speed >= 0.97 else "MISSES"
    print(f"| {name} | {shape} | {nbytes / 1e9:.2f} | {t_corr:.3f} | {t_std:.3f} | "
          f"{t_corr / t_std:.3f} | {speed:.3f} | {gbs_c:.0f} ({100 * gbs_c / PEAK_GBS:.0f}%) | "
          f"{gbs_s:.0f} ({100 * gbs_s / PEAK_GBS:.0f}%) | >= 0.97 | {verdict} |", flush=True)
    return speed


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--corrected", required=True)
    ap.add_argument("--standin", required=True)
    ap.add_argument("--reps", type=int, default=100)
    args = ap.parse_args()
    corr = FusedLib(args.corrected)
    std = FusedLib(args.standin)
    print(f"device: {torch.cuda.get_device_name()}", file=sys.stderr)
    print("| kernel (entry point) | input | GB moved | corrected ms | 32-bit ms | "
          "time ratio | speed ratio | corrected GB/s (of 4.8 TB/s) | 32-bit GB/s | target | |")
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|---|")
    speeds = []
    n = 260_096
    p = n  # a multiple of 64
    qkv = C.fused_qkv(n, 1)
    v = qkv[:, :, 2]
    q = qkv[:, :, 0]
    view = f"fused-QKV view, N={n:,}, H=56, D=128, bf16"
    elems = n * H * D

    yc = torch.empty((1, D, H, p), dtype=torch.bfloat16, device="cuda")
    ys = torch.empty_like(yc)
    tc, ts = time_pair(lambda: corr.transpose_pad_permute_cuda(v, yc, 0),
                       lambda: std.transpose_pad_permute_cuda(v, ys, 0), args.reps)
    speeds.append(row("TransposePadPermuteKernel (transpose_pad_permute_cuda)", f"V: {view}",
                      4 * elems, tc, ts))

    f8 = torch.empty((1, D, H, p), dtype=torch.uint8, device="cuda")
    sc = torch.empty((1, H, D), dtype=torch.float32, device="cuda")
    mu = torch.empty_like(sc)
    tc, ts = time_pair(lambda: corr.mean_scale_fuse_quant_cuda(yc, f8, mu, sc, n, 448.0, 0),
                       lambda: std.mean_scale_fuse_quant_cuda(yc, f8, mu, sc, n, 448.0, 0),
                       args.reps)
    speeds.append(row("MeanScaleKernel SUB (mean_scale_fuse_quant_cuda)",
                      "the transposed V (1, 128, 56, P)", 3 * elems, tc, ts))
    tc, ts = time_pair(lambda: corr.scale_fuse_quant_cuda(yc, f8, sc, n, 448.0, 0),
                       lambda: std.scale_fuse_quant_cuda(yc, f8, sc, n, 448.0, 0), args.reps)
    speeds.append(row("MeanScaleKernel (scale_fuse_quant_cuda)",
                      "the transposed V (1, 128, 56, P)", 3 * elems, tc, ts))
    del yc, ys, f8

    q8 = torch.empty((1, n, H, D), dtype=torch.int8, device="cuda")
    g = (n + 127) // 128 * 4
    qs = torch.empty((1, H, g), dtype=torch.float32, device="cuda")
    tc, ts = time_pair(lambda: corr.quant_per_warp_int8_cuda(q, q8, qs, 128, 32, 0),
                       lambda: std.quant_per_warp_int8_cuda(q, q8, qs, 128, 32, 0), args.reps)
    speeds.append(row("QuantInt8Kernel<128,32,1> (quant_per_warp_int8_cuda 128/32)",
                      f"Q: {view}", 3 * elems, tc, ts))
    k = qkv[:, :, 1]
    km = k.float().mean(1).to(torch.bfloat16).contiguous()
    gk = (n + 63) // 64
    ks = torch.empty((1, H, gk), dtype=torch.float32, device="cuda")
    tc, ts = time_pair(lambda: corr.quant_per_block_int8_fuse_sub_mean_cuda(k, km, q8, ks, 64, 0),
                       lambda: std.quant_per_block_int8_fuse_sub_mean_cuda(k, km, q8, ks, 64, 0),
                       args.reps)
    speeds.append(row("QuantInt8Kernel<128,64,1,SUB> (quant_per_block_int8_fuse_sub_mean_cuda 64)",
                      f"K: {view}", 3 * elems, tc, ts))
    del qkv, v, q, k, q8
    torch.cuda.empty_cache()

    n = 610_112
    x = torch.randn((1, H, n, D), dtype=torch.bfloat16, device="cuda")
    yc = torch.empty((1, H, D, n), dtype=torch.bfloat16, device="cuda")
    ys = torch.empty_like(yc)
    tc, ts = time_pair(lambda: corr.transpose_pad_permute_cuda(x, yc, 1),
                       lambda: std.transpose_pad_permute_cuda(x, ys, 1), args.reps)
    speeds.append(row("TransposePadPermuteKernel (transpose_pad_permute_cuda)",
                      f"contiguous HND V, N={n:,}", 4 * n * H * D, tc, ts))
    print(f"worst speed ratio {min(speeds):.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
