"""check_torch.py: the suite's extension inside a real PyTorch process.

Imports sageattention._qattn_sm90 (our stand-in, found through PYTHONPATH),
runs two of its kernels on a torch tensor, then runs a cuBLAS matmul and
F.scaled_dot_product_attention and checks both against a CPU reference.

Exit status: 0 extension RIGHT and torch correct; 3 extension WRONG (the
sm_90 "miscompile" ran) and torch correct; 4 extension neither; 5 torch's own
results wrong; 1 anything else (no CUDA, import failure, CUDA error).
"""
import math
import sys

import torch
import torch.nn.functional as F

N = 1 << 16
FACTOR = 2.0


def run_extension():
    from sageattention import _qattn_sm90 as ext

    print("extension:", ext.__file__)
    x0 = (torch.arange(N, dtype=torch.float32) % 7) + 1
    x = x0.cuda()
    stream = torch.cuda.current_stream().cuda_stream
    for launch in (ext.scale, ext.scale_smem):
        err = launch(x.data_ptr(), FACTOR, N, stream)
        if err != 0:
            raise RuntimeError(f"{launch.__name__} returned cudaError {err}")
    torch.cuda.synchronize()
    got = x.cpu()
    if torch.equal(got, x0 * FACTOR**2):
        return "RIGHT"
    if torch.equal(got, x0 * (FACTOR + 1) ** 2):
        return "WRONG"
    return "GARBAGE"


def check_matmul():
    torch.backends.cuda.matmul.allow_tf32 = False
    g = torch.Generator().manual_seed(0)
    a = torch.randn(512, 384, generator=g)
    b = torch.randn(384, 256, generator=g)
    ref = a.double() @ b.double()
    got32 = (a.cuda() @ b.cuda()).cpu().double()
    got16 = (a.cuda().bfloat16() @ b.cuda().bfloat16()).float().cpu().double()
    ref16 = a.bfloat16().double() @ b.bfloat16().double()
    err32 = ((got32 - ref).abs().max() / ref.abs().max()).item()
    err16 = ((got16 - ref16).abs().max() / ref16.abs().max()).item()
    ok = err32 < 1e-5 and err16 < 1e-2
    print(f"matmul: {'OK' if ok else 'BAD'} fp32 rel_err={err32:.2e} bf16 rel_err={err16:.2e}")
    return ok


def check_sdpa():
    g = torch.Generator().manual_seed(1)
    q, k, v = (torch.randn(2, 8, 256, 64, generator=g).half() for _ in range(3))
    got = F.scaled_dot_product_attention(q.cuda(), k.cuda(), v.cuda()).float().cpu()
    qd, kd, vd = q.double(), k.double(), v.double()
    ref = torch.softmax(qd @ kd.transpose(-1, -2) / math.sqrt(64), dim=-1) @ vd
    err = (got.double() - ref).abs().max().item()
    ok = err < 1e-2
    print(f"sdpa: {'OK' if ok else 'BAD'} max_abs_err={err:.2e}")
    return ok


def main():
    if not torch.cuda.is_available():
        print("torch: CUDA is not available")
        return 1
    print("torch", torch.__version__, "on", torch.cuda.get_device_name(),
          "capability", torch.cuda.get_device_capability())
    verdict = run_extension()
    print("extension:", verdict)
    torch_ok = check_matmul() & check_sdpa()
    if not torch_ok:
        return 5
    return {"RIGHT": 0, "WRONG": 3}.get(verdict, 4)


if __name__ == "__main__":
    sys.exit(main())
