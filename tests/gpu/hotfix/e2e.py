"""e2e.py: one PyTorch process that uses the stand-in of SageAttention's
`_fused` on a long fused-QKV projection, as sageattention/quant.py would
(per_channel_fp8 on V with smooth_v=False, per_warp_int8 on Q), and compares
what it gets with our corrected build run on the same tensors.

    python3 e2e.py --standin .../site/sageattention/_fused...so --corrected LIB [--n N]

The stand-in is loaded from its site/sageattention/ path, so a preloaded
libsageshim.so with its default configuration watches it and (with hotfixes
on) hands out the bundle's corrected kernels in place of its own.  The
corrected library lives elsewhere and is never touched.

Exit status: 0 RIGHT (every output equals the corrected one), 3 WRONG (the
stand-in's own 32-bit result: the transposed V differs at exactly the tokens
from 199,729 on), 4 anything else, 1 error.  Prints launches=3 wrapping=2:
three launches of the stand-in, two of them (transpose, per-warp quant) with
a 32-bit offset term past 2^32.
"""
import argparse
import sys

import torch

import check_hotfix as C
from fusedlib import FusedLib


def run(lib, qkv, n):
    v = qkv[:, :, 2]
    vt = C.transpose(lib, v)
    q8, scale, _ = C.fp8(lib, vt, n, sub=False)
    pq, ps = C.per_warp(lib, qkv[:, :, 0])
    torch.cuda.synchronize()
    return {"transposed V": vt, "fp8 V": q8, "V scale": scale, "int8 Q": pq, "Q scale": ps}


def runtimes():
    """The CUDA runtimes mapped into this process (sonames' file names)."""
    names = set()
    with open("/proc/self/maps") as maps:
        for line in maps:
            path = line.split()[-1]
            if "libcudart.so" in path:
                names.add(path.rsplit("/", 1)[-1])
    return sorted(names)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--standin", required=True)
    ap.add_argument("--corrected", required=True)
    ap.add_argument("--n", type=int, default=260_096)
    args = ap.parse_args()
    if not torch.cuda.is_available():
        print("e2e: torch sees no CUDA device")
        return 1
    n = args.n
    standin = FusedLib(args.standin)
    corrected = FusedLib(args.corrected)
    qkv = C.fused_qkv(n, n)
    got = run(standin, qkv, n)
    print(f"e2e: N={n} launches=3 wrapping={2 if n >= C.WRAP_TOKEN else 0}")
    print(f"e2e: runtimes={','.join(runtimes())}")
    want = run(corrected, qkv, n)
    differing = [k for k in want if not C.same(got[k], want[k])]
    if not differing:
        print("e2e: RIGHT (all outputs equal the corrected build's)")
        return 0
    p = want["transposed V"].size(3)
    cols = (C.raw(got["transposed V"]) != C.raw(want["transposed V"])).reshape(-1, p).any(0)
    tokens = C.columns_to_tokens(cols)
    signature = not C.token_range_problem("", tokens, C.WRAP_TOKEN, n)
    print(f"e2e: differ: {', '.join(differing)}; transposed V differs at {tokens.numel()} tokens"
          f"{f' ({int(tokens.min())}..{int(tokens.max())})' if tokens.numel() else ''}")
    if signature:
        print("e2e: WRONG (the 32-bit original's result)")
        return 3
    print("e2e: GARBAGE (neither the corrected nor the 32-bit result)")
    return 4


if __name__ == "__main__":
    sys.exit(main())
