"""fusedlib.py: the host libraries of tests/gpu/hotfix, called from Python.

FusedLib(path) loads a build of fused_host.cu (the corrected kernels, or the
32-bit stand-in of the original) and offers SageAttention's eight `_fused`
entry points with their Python argument order (spec §1), taking torch tensors.
Like upstream's pybind functions they hand the tensors' sizes and strides
(int64) to the host code, which narrows them as upstream does (§7); the
argument checks upstream makes before dispatch are made here, so a test that
passes a wrong tensor fails loudly instead of launching garbage.

HwOps(path) is hw_ops.cu: rcp.approx.ftz.f32 and three conversions,
elementwise on CUDA float32 tensors.
"""
import ctypes

import torch

DTYPES = {torch.float16: 0, torch.bfloat16: 1}


class Tensor(ctypes.Structure):
    """struct hf_tensor of fused_host.cu."""

    _fields_ = [
        ("data", ctypes.c_void_p),
        ("dim", ctypes.c_int64),
        ("size", ctypes.c_int64 * 4),
        ("stride", ctypes.c_int64 * 4),
        ("dtype", ctypes.c_int64),
    ]


def describe(t):
    if not t.is_cuda:
        raise ValueError("tensor not on CUDA")
    d = Tensor()
    d.data = t.data_ptr()
    d.dim = t.dim()
    for i in range(t.dim()):
        d.size[i] = t.size(i)
        d.stride[i] = t.stride(i)
    d.dtype = DTYPES.get(t.dtype, 2)
    return d


def _check(cond, what):
    if not cond:
        raise ValueError(what)


def _check_quant(x, q, s, layout, block):
    _check(x.dim() == 4 and q.dim() == 4 and s.dim() == 3, "dims")
    _check(x.stride(3) == 1, "input last stride must be 1")
    _check(q.is_contiguous() and s.is_contiguous(), "output and scale contiguous")
    _check(q.dtype == torch.int8 and s.dtype == torch.float32, "output int8, scale float32")
    _check(q.shape == x.shape, "output shape")
    b, n, h = (x.size(0), x.size(1), x.size(2)) if layout == 0 else (x.size(0), x.size(2), x.size(1))
    _check(s.size(0) == b and s.size(1) == h, "scale shape (B, H, G)")
    return n


class FusedLib:
    def __init__(self, path):
        self.path = path
        self.lib = ctypes.CDLL(path)
        P = ctypes.c_void_p
        I = ctypes.c_int
        F = ctypes.c_float
        sigs = {
            "quant_per_block_int8_cuda_sm": [P, P, P, F, I, I],
            "quant_per_block_int8_cuda": [P, P, P, I, I],
            "quant_per_block_int8_fuse_sub_mean_cuda": [P, P, P, P, I, I],
            "quant_per_warp_int8_cuda": [P, P, P, I, I, I],
            "sub_mean_cuda": [P, P, P, I],
            "transpose_pad_permute_cuda": [P, P, I],
            "scale_fuse_quant_cuda": [P, P, P, I, F, I],
            "mean_scale_fuse_quant_cuda": [P, P, P, P, I, F, I],
        }
        for name, args in sigs.items():
            fn = getattr(self.lib, name)
            fn.argtypes = args
            fn.restype = ctypes.c_int

    def _call(self, name, *args):
        keep = []
        conv = []
        for a in args:
            if isinstance(a, torch.Tensor):
                d = describe(a)
                keep.append(d)  # alive until the call returns
                conv.append(ctypes.addressof(d))
            else:
                conv.append(a)
        rc = getattr(self.lib, name)(*conv)
        if rc != 0:
            raise ValueError(f"{name}: rejected at dispatch (dtype, head dim or block size)")

    # Python argument order of sageattention._fused (spec §1).
    def quant_per_block_int8_cuda(self, x, q, s, *rest):
        if len(rest) == 3:  # (sm_scale, block_size, layout)
            sm_scale, block, layout = rest
            _check_quant(x, q, s, layout, block)
            self._call("quant_per_block_int8_cuda_sm", x, q, s, float(sm_scale), block, layout)
        else:
            block, layout = rest
            _check_quant(x, q, s, layout, block)
            self._call("quant_per_block_int8_cuda", x, q, s, block, layout)

    def quant_per_block_int8_fuse_sub_mean_cuda(self, x, mean, q, s, block, layout):
        _check_quant(x, q, s, layout, block)
        _check(mean.is_contiguous() and mean.dim() == 3 and mean.dtype == x.dtype, "mean")
        self._call("quant_per_block_int8_fuse_sub_mean_cuda", x, mean, q, s, block, layout)

    def quant_per_warp_int8_cuda(self, x, q, s, block, warp_block, layout):
        _check_quant(x, q, s, layout, block)
        self._call("quant_per_warp_int8_cuda", x, q, s, block, warp_block, layout)

    def sub_mean_cuda(self, x, mean, y, layout):
        _check(x.stride(3) == 1 and mean.is_contiguous() and y.is_contiguous(), "strides")
        _check(y.dtype == torch.float16 and mean.dtype == x.dtype and y.shape == x.shape, "types")
        self._call("sub_mean_cuda", x, mean, y, layout)

    def transpose_pad_permute_cuda(self, x, y, layout):
        _check(x.stride(3) == 1 and y.is_contiguous() and y.dtype == x.dtype, "transpose args")
        n = x.size(1) if layout == 0 else x.size(2)
        _check(y.size(3) == 64 * ((n + 63) // 64), "output P")
        self._call("transpose_pad_permute_cuda", x, y, layout)

    def scale_fuse_quant_cuda(self, x, q, s, num_tokens, scale_max, layout):
        _check(x.is_contiguous() and q.is_contiguous() and s.is_contiguous(), "contiguous")
        _check(q.shape == x.shape and s.dtype == torch.float32, "shapes")
        self._call("scale_fuse_quant_cuda", x, q, s, int(num_tokens), float(scale_max), layout)

    def mean_scale_fuse_quant_cuda(self, x, q, mean, s, num_tokens, scale_max, layout):
        _check(x.is_contiguous() and q.is_contiguous() and s.is_contiguous(), "contiguous")
        _check(mean.is_contiguous() and mean.dtype == torch.float32, "mean")
        _check(q.shape == x.shape and s.dtype == torch.float32, "shapes")
        self._call("mean_scale_fuse_quant_cuda", x, q, mean, s, int(num_tokens),
                   float(scale_max), layout)


class HwOps:
    def __init__(self, path):
        self.lib = ctypes.CDLL(path)
        for name in ("hf_rcp", "hf_cvt_s8", "hf_cvt_e4m3", "hf_cvt_f16"):
            fn = getattr(self.lib, name)
            fn.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_int]
            fn.restype = None

    def _apply(self, name, x, out_dtype, count=None):
        x = x.detach().to(device="cuda", dtype=torch.float32).contiguous()
        flat = x.reshape(-1)
        out = torch.empty(count if count is not None else flat.numel(), dtype=out_dtype,
                          device="cuda")
        if flat.numel():
            getattr(self.lib, name)(flat.data_ptr(), out.data_ptr(), flat.numel())
        torch.cuda.synchronize()
        return out

    def rcp(self, x):
        """rcp.approx.ftz.f32, same shape and device as x."""
        return self._apply("hf_rcp", x, torch.float32).reshape(x.shape).to(x.device)

    def cvt_s8(self, x):
        return self._apply("hf_cvt_s8", x, torch.int8).reshape(x.shape)

    def cvt_e4m3(self, x):
        """Bytes of cvt.rn.satfinite.e4m3x2.f32 (x.numel() must be even)."""
        n = x.numel()
        return self._apply("hf_cvt_e4m3", x, torch.uint8, n).reshape(x.shape)

    def cvt_f16(self, x):
        return self._apply("hf_cvt_f16", x, torch.int16).reshape(x.shape)
