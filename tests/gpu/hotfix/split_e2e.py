"""split_e2e.py: issue 13 part 3 on the GPU, end to end: a batch of two
fused-QKV V views whose batch stride does not fit 32 bits, quantized through
a real `sageattention._fused` extension module (fused_pymod.c around the
32-bit stand-in of the original), with and without the shim's batch split
(shim/repair.py) and kernel hotfix.

    python3 split_e2e.py --pysite DIR --corrected LIB --shim SO --logs DIR [--n N]

V = qkv[:, :, 2] of a (2, N, 3, 56, 128) bf16 projection: strides
(21,504·N, 21,504, 128, 1); at N = 200,064 the batch stride 4,302,176,256 is
past 2^32 and the host narrows it to 7,208,960 (spec §7).  The pipeline is
per_channel_fp8(V, "NHD", smooth_v=False) as quant.py runs it (spec §9):
transpose_pad_permute_cuda, then scale_fuse_quant_cuda (scale_max 448).  The
expected value of batch element b is the same pipeline on
V[b:b+1].contiguous() with our corrected build (ctypes, never touched by the
shim).  Each case runs in a fresh process:

  bare        no preload: element 1 is wrong from its first token (its batch
              stride is lost); element 0 has the stand-in's own token-term
              wrap (n·21,504 >= 2^32 from token 199,729).
  default     LD_PRELOAD=SO, no configuration: both elements right; the log
              has the repair's one split line and the hotfix line.
  repair-off  SAGESHIM_REPAIR=off (hotfix on): element 0 right, element 1
              still wrong from its first token: the split is what fixes it.
  hotfix-off  SAGESHIM_HOTFIX=off (repair on): each element, run alone,
              has batch index 0, but the stand-in's in-kernel token term
              still wraps: the transposed V of each differs at exactly tokens
              199,729..N-1, the fp8 output everywhere (through the scale).

Prints "PASS name" / "FAIL name: detail" lines; exit 0 when all passed.
With --child the script is one case's process and prints one result line.
"""
import argparse
import json
import os
import re
import subprocess
import sys
import time

H, D = 56, 128
WRAP_TOKEN = 199_729  # first token n with n * 21504 >= 2^32 (spec §8)
RESULT = "split-result: "

SPLIT_LINE = re.compile(r"repair: \S*transpose_pad_permute_cuda: a batch stride does not fit "
                        r"32 bits")
HOTFIX_LINE = re.compile(r"hotfix \S*_fused\S* \([^)]*\): sm_90 -> .*: 44 of 44 kernels "
                         r"replaced")


# ---- one case, in its own process -----------------------------------------------------

def element_result(C, got_vt, got_q, got_s, want_vt, want_q, want_s, n):
    p = want_vt.size(3)
    cols = (C.raw(got_vt) != C.raw(want_vt)).reshape(-1, p).any(0)
    tokens = C.columns_to_tokens(cols)
    tokens = tokens[tokens < n]
    return {
        "vt_same": C.same(got_vt, want_vt),
        "fp8_same": C.same(got_q, want_q),
        "scale_same": C.same(got_s, want_s),
        "tokens": int(tokens.numel()),
        "lo": int(tokens.min()) if tokens.numel() else None,
        "hi": int(tokens.max()) if tokens.numel() else None,
        "token_wrap": not C.token_range_problem("", tokens, WRAP_TOKEN, n),
    }


def child(args):
    import torch

    import check_hotfix as C
    from fusedlib import FusedLib

    t0 = time.time()
    sys.path.insert(0, args.pysite)
    import sageattention._fused as fused

    n = args.n
    p = 64 * ((n + 63) // 64)
    corrected = FusedLib(args.corrected)
    g = torch.Generator(device="cuda")
    g.manual_seed(n)
    qkv = torch.randn((2, n, 3, H, D), dtype=torch.bfloat16, device="cuda", generator=g)
    # Q 8x larger: V reads that wrap into Q rows change the channel maxima
    # (as in check_hotfix.fused_qkv).
    qkv[:, :, 0].mul_(8)
    v = qkv[:, :, 2]
    vt = torch.zeros((2, D, H, p), dtype=torch.bfloat16, device="cuda")
    q8 = torch.zeros((2, D, H, p), dtype=torch.uint8, device="cuda")
    s = torch.zeros((2, H, D), dtype=torch.float32, device="cuda")
    fused.transpose_pad_permute_cuda(v, vt, 0)
    fused.scale_fuse_quant_cuda(vt, q8, s, n, 448.0, 0)
    torch.cuda.synchronize()
    elements = []
    for b in range(2):
        vb = v[b:b + 1].contiguous()
        want_vt = C.transpose(corrected, vb)
        want_q, want_s, _ = C.fp8(corrected, want_vt, n, sub=False)
        torch.cuda.synchronize()
        elements.append(element_result(C, vt[b:b + 1], q8[b:b + 1], s[b:b + 1], want_vt,
                                       want_q, want_s, n))
        del vb, want_vt, want_q, want_s
    result = {
        "n": n,
        "batch_stride": v.stride(0),
        "split_wrapper": hasattr(fused.transpose_pad_permute_cuda, "__sageshim_split__"),
        "elements": elements,
        "seconds": round(time.time() - t0, 1),
    }
    print(RESULT + json.dumps(result), flush=True)
    return 0


# ---- the driver -------------------------------------------------------------------------

def verdict(e):
    if e["vt_same"] and e["fp8_same"] and e["scale_same"]:
        return "right"
    if e["token_wrap"] and not e["fp8_same"]:
        return "token-wrap"  # the stand-in's n·21,504 term, and the scale it spoils
    if e["lo"] == 0 and not e["fp8_same"]:
        return "batch-lost"  # wrong from the first token: the batch stride is gone
    return "other"


def describe(e):
    span = f" {e['lo']:,}..{e['hi']:,}" if e["tokens"] else ""
    fp8 = "same" if e["fp8_same"] else "differs"
    scale = "same" if e["scale_same"] else "differs"
    return (f"{verdict(e)} (transposed V differs at {e['tokens']:,} tokens{span}, fp8 {fp8}, "
            f"scale {scale})")


CASES = [
    # tag, environment, verdicts of elements 0 and 1, split wrapper, split lines, hotfix line
    ("bare", {}, ("token-wrap", "batch-lost"), False, 0, False,
     "without the preload batch element 1 is wrong from its first token (batch stride "
     "narrowed to 32 bits), element 0 has the stand-in's token wrap from 199,729"),
    ("default", {"LD_PRELOAD": None}, ("right", "right"), True, 1, True,
     "LD_PRELOAD, no configuration: both batch elements right, one split line and the "
     "hotfix line logged"),
    ("repair-off", {"LD_PRELOAD": None, "SAGESHIM_REPAIR": "off"}, ("right", "batch-lost"),
     False, 0, True,
     "SAGESHIM_REPAIR=off (hotfix on): element 0 right, element 1 still wrong from its first "
     "token (the split is what fixes it)"),
    ("hotfix-off", {"LD_PRELOAD": None, "SAGESHIM_HOTFIX": "off"},
     ("token-wrap", "token-wrap"), True, 1, False,
     "SAGESHIM_HOTFIX=off (repair on): each element split to batch index 0, still wrong at "
     "exactly tokens 199,729..N-1 (the stand-in's in-kernel n*21,504 term)"),
]


def run_case(args, tag, extra):
    env = {k: v for k, v in os.environ.items()
           if not k.startswith("SAGESHIM_") and k not in ("LD_PRELOAD", "CUDA_MODULE_LOADING")}
    home = os.path.join(args.logs, "split-home")
    os.makedirs(os.path.join(home, ".config"), exist_ok=True)
    log = os.path.join(args.logs, f"split-{tag}.shim.log")
    out = os.path.join(args.logs, f"split-{tag}.out")
    open(log, "w").close()
    here = os.path.dirname(os.path.abspath(__file__))
    env.update(HOME=home, XDG_CONFIG_HOME=os.path.join(home, ".config"), SAGESHIM_LOG=log,
               PYTHONDONTWRITEBYTECODE="1",
               PYTHONPATH=here + (os.pathsep + env["PYTHONPATH"] if env.get("PYTHONPATH")
                                  else ""))
    for k, v in extra.items():
        env[k] = args.shim if v is None else v
    cmd = [sys.executable, os.path.abspath(__file__), "--child", "--pysite", args.pysite,
           "--corrected", args.corrected, "--n", str(args.n)]
    try:
        proc = subprocess.run(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                              timeout=args.timeout)
        text = proc.stdout.decode(errors="replace")
        rc = proc.returncode
    except subprocess.TimeoutExpired as e:
        text = (e.stdout or b"").decode(errors="replace") + "\n(timed out)"
        rc = 124
    with open(out, "w") as f:
        f.write(text)
    with open(log, errors="replace") as f:
        log_text = f.read()
    result = None
    for line in text.splitlines():
        if line.startswith(RESULT):
            result = json.loads(line[len(RESULT):])
    return rc, text, log_text, result


def main_driver(args):
    os.makedirs(args.logs, exist_ok=True)
    passed = failed = 0
    for tag, extra, want, want_wrapper, want_splits, want_hotfix, name in CASES:
        name = f"split e2e ({tag}): {name}"
        t0 = time.time()
        rc, text, log_text, r = run_case(args, tag, extra)
        problems = []
        if rc != 0 or r is None:
            tail = " | ".join(text.strip().splitlines()[-4:])
            problems.append(f"the case's process exited {rc} without a result: {tail}")
        else:
            got = tuple(verdict(e) for e in r["elements"])
            for b, (g, w) in enumerate(zip(got, want)):
                if g != w:
                    problems.append(f"element {b}: {describe(r['elements'][b])}, want {w}")
            if r["split_wrapper"] != want_wrapper:
                problems.append("transpose_pad_permute_cuda is " +
                                ("" if r["split_wrapper"] else "not ") + "the repair's wrapper")
            splits = [line for line in log_text.splitlines() if SPLIT_LINE.search(line)]
            if len(splits) != want_splits:
                problems.append(f"{len(splits)} split lines in the log, want {want_splits}")
            hotfix = [line for line in log_text.splitlines() if HOTFIX_LINE.search(line)]
            if bool(hotfix) != want_hotfix:
                problems.append(("no" if want_hotfix else "a") + " '44 of 44 kernels replaced' "
                                "hotfix line in the log")
        if problems:
            failed += 1
            print(f"FAIL {name}: {'; '.join(problems)}", flush=True)
        else:
            passed += 1
            print(f"PASS {name}", flush=True)
        if r is not None:
            for b, e in enumerate(r["elements"]):
                print(f"      ({tag}) element {b}: {describe(e)}")
        for line in log_text.splitlines():
            if SPLIT_LINE.search(line) or HOTFIX_LINE.search(line):
                print(f"      ({tag}) log: {line.strip()}")
        stride = f", batch stride {r['batch_stride']:,}" if r else ""
        print(f"      ({tag}: {time.time() - t0:.1f} s{stride})", flush=True)
    print(f"split e2e: {passed} passed, {failed} failed")
    return 0 if failed == 0 else 1


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pysite", required=True, help="directory holding sageattention/_fused")
    ap.add_argument("--corrected", required=True, help="corrected/libfused_corrected.so")
    ap.add_argument("--shim", help="<prefix>/lib/libsageshim.so")
    ap.add_argument("--logs", help="directory for each case's output and shim log")
    ap.add_argument("--n", type=int, default=200_064)
    ap.add_argument("--timeout", type=int, default=120)
    ap.add_argument("--child", action="store_true")
    args = ap.parse_args()
    if args.child:
        return child(args)
    if not args.shim or not args.logs:
        ap.error("--shim and --logs are needed (without --child)")
    return main_driver(args)


if __name__ == "__main__":
    sys.exit(main())
