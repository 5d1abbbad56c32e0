/* fused_host.cu: the host side of SageAttention's `_fused` module, written
 * from /work/shared/docs/sageattention-fused.md (§1, §3.3, §4.3, §5.3,
 * §6.3, §7), around our kernels (kernels/sageshim_fused.cu, included below).
 *
 * Built twice by tests/gpu/hotfix/build.sh:
 *   corrected/libfused_corrected.so   the kernels as shipped (64-bit offsets)
 *   site/sageattention/_fused...so    -DSAGESHIM_FUSED_INDEX32=1: the stand-in
 *                                     of the original, at a path the shim's
 *                                     default hotfix glob watches
 *
 * Each entry point does what the upstream pybind function does between its
 * argument checks and its return: the same template dispatch, grid, block,
 * integer conversions (int64 sizes and strides narrowed to int, then to the
 * kernels' unsigned parameters) and a plain <<<>>> launch on the legacy
 * default stream with no error check.  Tensors arrive as raw descriptions
 * (struct hf_tensor) built by tests/gpu/hotfix/fusedlib.py from torch
 * tensors.  Argument checks are left to the Python side; what upstream
 * rejects at dispatch (dtype, head dimension, block sizes) returns -1 here,
 * 0 means "launched" (as upstream, nothing says whether the launch worked). */
#include <cstdint>
#include <cuda_fp16.h>
#include <cuda_bf16.h>

#include "sageshim_fused.cu"

#define HF_EXPORT extern "C" __attribute__((visibility("default")))

/* Mirrors fusedlib.Tensor (ctypes). */
struct hf_tensor {
    void *data;
    int64_t dim;
    int64_t size[4];
    int64_t stride[4];
    int64_t dtype; /* 0 float16, 1 bfloat16, 2 anything else */
};

enum { HF_HALF = 0, HF_BF16 = 1 };

/* §7: `int n = tensor.size(i)`: int64 narrowed to int (low 32 bits). */
static int narrow(int64_t v)
{
    return (int)v;
}

/* ... and the int handed to an `unsigned int` kernel parameter: same bits. */
static unsigned param(int v)
{
    return (unsigned)v;
}

/* The scale and mean strides go from int64 straight to unsigned (§3.3). */
static unsigned param64(int64_t v)
{
    return (unsigned)v;
}

static int div_ceil(int a, int b)
{
    return (a + b - 1) / b;
}

/* Sizes and strides of a Q/K/V-shaped 4-D tensor in the order the kernels
 * take them, for layout 0 (NHD) or any other value (HND). */
struct qkv_dims {
    int b, n, h, d;
    int sb, sn, sh;
};

static qkv_dims qkv_of(const hf_tensor *t, int layout)
{
    qkv_dims q;
    q.b = narrow(t->size[0]);
    q.d = narrow(t->size[3]);
    q.sb = narrow(t->stride[0]);
    if (layout == 0) {
        q.n = narrow(t->size[1]);
        q.h = narrow(t->size[2]);
        q.sn = narrow(t->stride[1]);
        q.sh = narrow(t->stride[2]);
    } else {
        q.n = narrow(t->size[2]);
        q.h = narrow(t->size[1]);
        q.sn = narrow(t->stride[2]);
        q.sh = narrow(t->stride[1]);
    }
    return q;
}

/* ---- QuantInt8Kernel (§3) ---------------------------------------------- */

template <unsigned D, unsigned BS, bool SM, bool SUB, typename T>
static void launch_quant(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                         const hf_tensor *scale, float sm_scale, int layout, int grid_x)
{
    constexpr unsigned NP = (BS * (D / 8) + 1023) / 1024;
    constexpr unsigned NT = BS * (D / 8) / NP;
    qkv_dims x = qkv_of(in, layout);
    qkv_dims q = qkv_of(out, layout);
    int mu_sb = 0, mu_sh = 0;
    T *mu = nullptr;
    if (SUB) {
        mu = (T *)mean->data;
        mu_sb = narrow(mean->stride[0]);
        mu_sh = narrow(mean->stride[1]);
    }
    dim3 grid(grid_x, x.h, x.b);
    QuantInt8Kernel<D, BS, NP, SM, SUB, T><<<grid, dim3(NT, 1, 1)>>>(
        (T *)in->data, mu, (signed char *)out->data, (float *)scale->data, SM ? sm_scale : 0.0f,
        param(x.n), param(x.sb), param(x.sn), param(x.sh), param(mu_sb), param(mu_sh),
        param(q.sb), param(q.sn), param(q.sh), param64(scale->stride[0]),
        param64(scale->stride[1]));
}

template <unsigned D, unsigned BS, bool SM, bool SUB>
static int quant_dtype(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                       const hf_tensor *scale, float sm_scale, int layout, int grid_x)
{
    if (in->dtype == HF_HALF)
        launch_quant<D, BS, SM, SUB, __half>(in, mean, out, scale, sm_scale, layout, grid_x);
    else if (in->dtype == HF_BF16)
        launch_quant<D, BS, SM, SUB, __nv_bfloat16>(in, mean, out, scale, sm_scale, layout,
                                                    grid_x);
    else
        return -1;
    return 0;
}

template <unsigned BS, bool SM, bool SUB>
static int quant_dim(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                     const hf_tensor *scale, float sm_scale, int layout, int grid_x)
{
    switch (narrow(in->size[3])) {
    case 64:
        return quant_dtype<64, BS, SM, SUB>(in, mean, out, scale, sm_scale, layout, grid_x);
    case 128:
        return quant_dtype<128, BS, SM, SUB>(in, mean, out, scale, sm_scale, layout, grid_x);
    default:
        return -1;
    }
}

/* The three per-block entry points: BS = block_size, grid.x = ceil(N/BS). */
template <bool SM, bool SUB>
static int per_block(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                     const hf_tensor *scale, float sm_scale, int block_size, int layout)
{
    int n = qkv_of(in, layout).n;
    if (block_size == 64)
        return quant_dim<64, SM, SUB>(in, mean, out, scale, sm_scale, layout, div_ceil(n, 64));
    if (block_size == 128)
        return quant_dim<128, SM, SUB>(in, mean, out, scale, sm_scale, layout, div_ceil(n, 128));
    return -1;
}

HF_EXPORT int quant_per_block_int8_cuda_sm(const hf_tensor *input, const hf_tensor *output,
                                           const hf_tensor *scale, float sm_scale, int block_size,
                                           int tensor_layout)
{
    return per_block<true, false>(input, nullptr, output, scale, sm_scale, block_size,
                                  tensor_layout);
}

HF_EXPORT int quant_per_block_int8_cuda(const hf_tensor *input, const hf_tensor *output,
                                        const hf_tensor *scale, int block_size, int tensor_layout)
{
    return per_block<false, false>(input, nullptr, output, scale, 0.0f, block_size,
                                   tensor_layout);
}

HF_EXPORT int quant_per_block_int8_fuse_sub_mean_cuda(const hf_tensor *input,
                                                      const hf_tensor *mean,
                                                      const hf_tensor *output,
                                                      const hf_tensor *scale, int block_size,
                                                      int tensor_layout)
{
    return per_block<false, true>(input, mean, output, scale, 0.0f, block_size, tensor_layout);
}

/* Per-warp: the kernel's blocks are warp_block_size tokens; block_size only
 * rounds their number up (§3.3). */
HF_EXPORT int quant_per_warp_int8_cuda(const hf_tensor *input, const hf_tensor *output,
                                       const hf_tensor *scale, int block_size,
                                       int warp_block_size, int tensor_layout)
{
    if (block_size != 64 && block_size != 128)
        return -1;
    int n = qkv_of(input, tensor_layout).n;
    int grid_x = div_ceil(n, block_size) * (block_size / warp_block_size);
    if (warp_block_size == 16)
        return quant_dim<16, false, false>(input, nullptr, output, scale, 0.0f, tensor_layout,
                                           grid_x);
    if (warp_block_size == 32)
        return quant_dim<32, false, false>(input, nullptr, output, scale, 0.0f, tensor_layout,
                                           grid_x);
    return -1;
}

/* ---- SubMeanKernel (§4) ----------------------------------------------- */

template <unsigned D, typename T>
static void launch_sub_mean(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                            int layout)
{
    constexpr unsigned BS = D == 128 ? 64 : 128;
    qkv_dims x = qkv_of(in, layout);
    qkv_dims y = qkv_of(out, layout);
    dim3 grid(div_ceil(x.n, BS), x.h, x.b);
    SubMeanKernel<D, BS, 1, T><<<grid, dim3(1024, 1, 1)>>>(
        (T *)in->data, (T *)mean->data, (__half *)out->data, param(x.n), param(x.sb),
        param(x.sn), param(x.sh), param(narrow(mean->stride[0])), param(narrow(mean->stride[1])),
        param(y.sb), param(y.sn), param(y.sh));
}

template <unsigned D>
static int sub_mean_dtype(const hf_tensor *in, const hf_tensor *mean, const hf_tensor *out,
                          int layout)
{
    if (in->dtype == HF_HALF)
        launch_sub_mean<D, __half>(in, mean, out, layout);
    else if (in->dtype == HF_BF16)
        launch_sub_mean<D, __nv_bfloat16>(in, mean, out, layout);
    else
        return -1;
    return 0;
}

HF_EXPORT int sub_mean_cuda(const hf_tensor *input, const hf_tensor *mean,
                            const hf_tensor *output, int tensor_layout)
{
    switch (narrow(input->size[3])) {
    case 64:
        return sub_mean_dtype<64>(input, mean, output, tensor_layout);
    case 128:
        return sub_mean_dtype<128>(input, mean, output, tensor_layout);
    default:
        return -1;
    }
}

/* ---- TransposePadPermuteKernel (§5) ------------------------------------ */

template <unsigned D, typename T>
static void launch_transpose(const hf_tensor *in, const hf_tensor *out, int layout)
{
    qkv_dims x = qkv_of(in, layout);
    int padded = div_ceil(x.n, 64) * 64;
    int y_sd = layout == 0 ? narrow(out->stride[1]) : narrow(out->stride[2]);
    int y_sh = layout == 0 ? narrow(out->stride[2]) : narrow(out->stride[1]);
    dim3 grid(padded / 64, x.h, x.b);
    TransposePadPermuteKernel<D, 64, true, T><<<grid, dim3(8 * D, 1, 1)>>>(
        (T *)in->data, (T *)out->data, param(x.n), param(x.sb), param(x.sn), param(x.sh),
        param(narrow(out->stride[0])), param(y_sd), param(y_sh));
}

template <unsigned D>
static int transpose_dtype(const hf_tensor *in, const hf_tensor *out, int layout)
{
    if (in->dtype == HF_HALF)
        launch_transpose<D, __half>(in, out, layout);
    else if (in->dtype == HF_BF16)
        launch_transpose<D, __nv_bfloat16>(in, out, layout);
    else
        return -1;
    return 0;
}

HF_EXPORT int transpose_pad_permute_cuda(const hf_tensor *input, const hf_tensor *output,
                                         int tensor_layout)
{
    switch (narrow(input->size[3])) {
    case 64:
        return transpose_dtype<64>(input, output, tensor_layout);
    case 128:
        return transpose_dtype<128>(input, output, tensor_layout);
    default:
        return -1;
    }
}

/* ---- MeanScaleKernel (§6) ---------------------------------------------- */

template <bool SUB, typename T>
static void launch_mean_scale(const hf_tensor *in, const hf_tensor *out, const hf_tensor *mean,
                              const hf_tensor *scale, int num_tokens, float scale_max,
                              int layout)
{
    /* (B, D, H, P) for NHD, (B, H, D, P) for HND. */
    int b = narrow(in->size[0]);
    int h = layout == 0 ? narrow(in->size[2]) : narrow(in->size[1]);
    int d = layout == 0 ? narrow(in->size[1]) : narrow(in->size[2]);
    int x_sd = layout == 0 ? narrow(in->stride[1]) : narrow(in->stride[2]);
    int x_sh = layout == 0 ? narrow(in->stride[2]) : narrow(in->stride[1]);
    int q_sd = layout == 0 ? narrow(out->stride[1]) : narrow(out->stride[2]);
    int q_sh = layout == 0 ? narrow(out->stride[2]) : narrow(out->stride[1]);
    float *mu = nullptr;
    unsigned mu_sb = 0, mu_sh = 0;
    if (SUB) {
        mu = (float *)mean->data;
        mu_sb = param64(mean->stride[0]);
        mu_sh = param64(mean->stride[1]);
    }
    dim3 grid(h, b, d);
    MeanScaleKernel<64, SUB, T><<<grid, dim3(256, 1, 1)>>>(
        (T *)in->data, (signed char *)out->data, mu, (float *)scale->data, scale_max,
        param(num_tokens), param(narrow(in->stride[0])), param(x_sd), param(x_sh),
        param(narrow(out->stride[0])), param(q_sd), param(q_sh), mu_sb, mu_sh,
        param64(scale->stride[0]), param64(scale->stride[1]));
}

template <bool SUB>
static int mean_scale_dtype(const hf_tensor *in, const hf_tensor *out, const hf_tensor *mean,
                            const hf_tensor *scale, int num_tokens, float scale_max, int layout)
{
    if (in->dtype == HF_HALF)
        launch_mean_scale<SUB, __half>(in, out, mean, scale, num_tokens, scale_max, layout);
    else if (in->dtype == HF_BF16)
        launch_mean_scale<SUB, __nv_bfloat16>(in, out, mean, scale, num_tokens, scale_max,
                                              layout);
    else
        return -1;
    return 0;
}

HF_EXPORT int scale_fuse_quant_cuda(const hf_tensor *input, const hf_tensor *output,
                                    const hf_tensor *scale, int num_tokens, float scale_max,
                                    int tensor_layout)
{
    return mean_scale_dtype<false>(input, output, nullptr, scale, num_tokens, scale_max,
                                   tensor_layout);
}

HF_EXPORT int mean_scale_fuse_quant_cuda(const hf_tensor *input, const hf_tensor *output,
                                         const hf_tensor *mean, const hf_tensor *scale,
                                         int num_tokens, float scale_max, int tensor_layout)
{
    return mean_scale_dtype<true>(input, output, mean, scale, num_tokens, scale_max,
                                  tensor_layout);
}
