// standin.cpp: CPU stand-ins of SageAttention's attention extension modules
// `_qattn_sm90`, `_qattn_sm89` and `_qattn_sm80`, built the way torch 2.11
// builds the real ones (torch.utils.cpp_extension, so PYBIND11_MODULE from
// torch's pybind11 3.x: multi-phase init).  One shared object defines the
// three PyInit_ functions; tests/pieces/build_standin.py copies it under the
// three module names.
//
// Each op takes the real op's arguments (sageattention-long.md, section 4;
// the host checks of the upstream hosts: contiguity, exact scale shapes) and
// computes attention on the CPU the way the GPU kernels address memory:
// every stride goes through an `int` on the host, and the kernel's element
// offsets are unsigned 32-bit - here 2^SAGESHIM_OFFSET_BITS (default 32), so
// small tensors wrap as long ones do on the GPU.  A wrapped offset reads or
// writes another row of the same tensor (never outside it: it is smaller
// than the true one).  sm_90 reads q, k, v through tensor maps (64-bit)
// built from the host ints: a stride the int makes negative aborts, as
// upstream's assert does.  The arithmetic is the same for every row in
// every call, so a row computes the same bytes whatever piece it is in.
#include <torch/extension.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <stdexcept>
#include <vector>

namespace {

enum class Family { sm90, sm89, sm80 };

uint64_t offset_modulus()
{
    const char *text = std::getenv("SAGESHIM_OFFSET_BITS");
    int bits = text ? std::atoi(text) : 32;
    if (bits < 12 || bits > 32)
        bits = 32;
    return uint64_t(1) << bits;
}

// What the host's `int x = tensor.stride(i)` keeps, at the stand-in's width.
int64_t host_int(int64_t value)
{
    uint64_t modulus = offset_modulus();
    uint64_t low = uint64_t(value) % modulus;
    return low >= modulus / 2 ? int64_t(low) - int64_t(modulus) : int64_t(low);
}

// A kernel's 32-bit element offset: the products and sums wrap.
uint64_t kernel_offset(int64_t b, int64_t sb, int64_t h, int64_t sh, int64_t n, int64_t sn,
                       int64_t d)
{
    uint64_t modulus = offset_modulus();
    uint64_t sum = uint64_t(b) * uint64_t(sb) + uint64_t(h) * uint64_t(sh)
        + uint64_t(n) * uint64_t(sn) + uint64_t(d);
    return sum % modulus;
}

void check(bool ok, const char *what)
{
    if (!ok)
        throw std::runtime_error(what);
}

struct Geometry {
    int64_t batch, heads, rows, kv_heads, kv_rows, dim;
    int64_t sb, sh, sn;   // of a tensor: batch, head, sequence strides
};

// (batch, head, sequence) strides of q/k/o-like tensors by layout.
void strides_of(const at::Tensor &t, int layout, int64_t *sb, int64_t *sh, int64_t *sn)
{
    *sb = host_int(t.stride(0));
    *sh = host_int(layout == 0 ? t.stride(2) : t.stride(1));
    *sn = host_int(layout == 0 ? t.stride(1) : t.stride(2));
}

at::Tensor attention(Family family, at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor o,
                     at::Tensor q_scale, at::Tensor k_scale, c10::optional<at::Tensor> v_scale,
                     int64_t layout, int64_t causal, int64_t gran, double sm_scale,
                     int64_t return_lse)
{
    check(q.dim() == 4 && k.dim() == 4 && v.dim() == 4 && o.dim() == 4, "CHECK_DIMS");
    check(q.stride(3) == 1 && k.stride(3) == 1 && o.stride(3) == 1, "CHECK_LASTDIM_CONTIGUOUS");
    if (family == Family::sm80)
        check(q.is_contiguous() && k.is_contiguous(), "CHECK_CONTIGUOUS(query/key)");
    if (family == Family::sm89)
        check(v.is_contiguous(), "CHECK_CONTIGUOUS(value)");
    check(q_scale.is_contiguous() && k_scale.is_contiguous(), "CHECK_CONTIGUOUS(scale)");
    if (v_scale)
        check(v_scale->is_contiguous(), "CHECK_CONTIGUOUS(value_scale)");
    check(gran == 2 || gran == 3, "qk_quant_gran");

    const int lay = layout == 0 ? 0 : 1;
    const int64_t batch = q.size(0), dim = q.size(3);
    const int64_t heads = lay == 0 ? q.size(2) : q.size(1);
    const int64_t rows = lay == 0 ? q.size(1) : q.size(2);
    const int64_t kv_heads = lay == 0 ? k.size(2) : k.size(1);
    const int64_t kv_rows = lay == 0 ? k.size(1) : k.size(2);
    check(heads % kv_heads == 0, "num_qo_heads % num_kv_heads");
    const int64_t group = heads / kv_heads;
    check(o.sizes() == q.sizes(), "CHECK_SHAPE(output)");

    const int64_t cta_q = family == Family::sm90 ? 64 : 128;
    const int64_t warp_q = family == Family::sm90 ? 16 : 32;
    const int64_t cta_k = family == Family::sm90 ? 128 : 64;
    const int64_t q_blocks = (rows + cta_q - 1) / cta_q;
    const int64_t warps = cta_q / warp_q;
    const int64_t q_entries = q_blocks * warps * (gran == 3 ? 8 : 1);
    const int64_t k_per = gran == 3 ? 4 : 1;
    const int64_t k_entries = (kv_rows + cta_k - 1) / cta_k * k_per;
    check(q_scale.dim() == 3 && q_scale.size(0) == batch && q_scale.size(1) == heads
              && q_scale.size(2) == q_entries, "CHECK_SHAPE(query_scale)");
    check(k_scale.dim() == 3 && k_scale.size(0) == batch && k_scale.size(1) == kv_heads
              && k_scale.size(2) == k_entries, "CHECK_SHAPE(key_scale)");

    // V: fp8 transposed (sm_90/89): HND (B, H, D, N), NHD (B, D, H, N);
    // fp16 (sm_80): like k.
    int64_t vb = host_int(v.stride(0)), vh, vn, vd;
    if (family == Family::sm80) {
        strides_of(v, lay, &vb, &vh, &vn);
        vd = 1;
    } else {
        vh = host_int(lay == 0 ? v.stride(2) : v.stride(1));
        vd = host_int(lay == 0 ? v.stride(1) : v.stride(2));
        vn = host_int(v.stride(3));
        check(v.size(3) >= (kv_rows + cta_k - 1) / cta_k * cta_k, "value.size(3) padded");
    }
    int64_t qb, qh, qn, kb, kh, kn, ob, oh, on;
    strides_of(q, lay, &qb, &qh, &qn);
    strides_of(k, lay, &kb, &kh, &kn);
    strides_of(o, lay, &ob, &oh, &on);
    if (family == Family::sm90) {
        // cuTensorMapEncodeTiled refuses a stride the int made negative, and
        // upstream's assert(result == CUDA_SUCCESS) aborts the process.
        for (int64_t s : {qb, qh, qn, kb, kh, kn, vb, vh, vd})
            if (s < 0)
                std::abort();
    }

    check(o.scalar_type() == at::kBFloat16 || o.scalar_type() == at::kHalf, "output dtype");
    // Float copies laid out with the originals' strides (empty_strided
    // allocates their span), so the kernels' offsets address them as they
    // address the originals from their first element.
    auto float_copy = [](const at::Tensor &t) {
        auto copy = at::empty_strided(t.sizes(), t.strides(), t.options().dtype(at::kFloat));
        copy.copy_(t);
        return copy;
    };
    auto q_view = float_copy(q), k_view = float_copy(k), v_view = float_copy(v);
    const float *Q = q_view.data_ptr<float>(), *K = k_view.data_ptr<float>();
    const float *V = v_view.data_ptr<float>();
    const float *QS = q_scale.data_ptr<float>(), *KS = k_scale.data_ptr<float>();
    const float *VS = v_scale ? v_scale->data_ptr<float>() : nullptr;

    at::Tensor lse = return_lse ? at::zeros({batch, heads, rows}, q.options().dtype(at::kFloat))
                                : at::empty({0}, q.options().dtype(at::kFloat));
    float *L = return_lse ? lse.data_ptr<float>() : nullptr;
    auto out = at::zeros({dim}, q.options().dtype(at::kFloat));
    std::vector<float> scores(size_t(std::max<int64_t>(kv_rows, 1)));
    const bool q32 = family != Family::sm90;   // sm_80/89 read q, k, v in 32 bits

    for (int64_t b = 0; b < batch; b++) {
        for (int64_t h = 0; h < heads; h++) {
            const int64_t g = h / group;
            for (int64_t r = 0; r < rows; r++) {
                const int64_t bx = r / cta_q, warp = (r % cta_q) / warp_q;
                int64_t qi = b * heads * q_entries + h * q_entries + (bx * warps + warp)
                    * (gran == 3 ? 8 : 1) + (gran == 3 ? r % 8 : 0);
                const float qs = QS[qi];
                float best = -INFINITY;
                int64_t last = causal ? std::min(kv_rows, r + 1) : kv_rows;
                for (int64_t j = 0; j < last; j++) {
                    float dot = 0.f;
                    for (int64_t d = 0; d < dim; d++) {
                        uint64_t qo = q32 ? kernel_offset(b, qb, h, qh, r, qn, d)
                                          : uint64_t(b * q.stride(0) + h * (lay == 0 ? q.stride(2) : q.stride(1))
                                                     + r * (lay == 0 ? q.stride(1) : q.stride(2)) + d);
                        uint64_t ko = q32 ? kernel_offset(b, kb, g, kh, j, kn, d)
                                          : uint64_t(b * k.stride(0) + g * (lay == 0 ? k.stride(2) : k.stride(1))
                                                     + j * (lay == 0 ? k.stride(1) : k.stride(2)) + d);
                        dot += Q[qo] * K[ko];
                    }
                    int64_t ki = b * kv_heads * k_entries + g * k_entries + (j / cta_k) * k_per
                        + (k_per > 1 ? j % k_per : 0);
                    float s = dot * qs * KS[ki] * float(sm_scale) * 1.44269504f;
                    scores[size_t(j)] = s;
                    best = std::max(best, s);
                }
                float total = 0.f;
                for (int64_t j = 0; j < last; j++) {
                    scores[size_t(j)] = std::exp2(scores[size_t(j)] - best);
                    total += scores[size_t(j)];
                }
                float *acc = out.data_ptr<float>();
                for (int64_t d = 0; d < dim; d++) {
                    float a = 0.f;
                    for (int64_t j = 0; j < last; j++) {
                        uint64_t vo;
                        if (family == Family::sm80)
                            vo = kernel_offset(b, vb, g, vh, j, vn, d);
                        else if (q32)
                            vo = kernel_offset(b, vb, g, vh, d, vd, j);
                        else
                            vo = uint64_t(b * v.stride(0) + g * (lay == 0 ? v.stride(2) : v.stride(1))
                                          + d * (lay == 0 ? v.stride(1) : v.stride(2)) + j * v.stride(3));
                        a += scores[size_t(j)] * V[vo];
                    }
                    acc[d] = a / total * (VS ? VS[(b * kv_heads + g) * dim + d] : 1.f);
                }
                // The output and the LSE go through 32-bit offsets in every family.
                for (int64_t d = 0; d < dim; d++) {
                    uint64_t oo = kernel_offset(b, ob, h, oh, r, on, d);
                    if (o.scalar_type() == at::kBFloat16)
                        static_cast<at::BFloat16 *>(o.data_ptr())[oo] = acc[d];
                    else
                        static_cast<at::Half *>(o.data_ptr())[oo] = acc[d];
                }
                if (L) {
                    uint64_t li = (uint64_t(b) * uint64_t(rows * heads) + uint64_t(h) * uint64_t(rows)
                                   + uint64_t(r)) % offset_modulus();
                    L[li] = std::log2(total) + best;
                }
            }
        }
    }
    return lse;
}

at::Tensor sm90_plain(at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor o, at::Tensor qs,
                      at::Tensor ks, int64_t layout, int64_t causal, int64_t gran, double sm_scale,
                      int64_t return_lse)
{
    return attention(Family::sm90, q, k, v, o, qs, ks, c10::nullopt, layout, causal, gran,
                     sm_scale, return_lse);
}

at::Tensor sm90_fused(at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor o, at::Tensor qs,
                      at::Tensor ks, at::Tensor vs, int64_t layout, int64_t causal, int64_t gran,
                      double sm_scale, int64_t return_lse)
{
    return attention(Family::sm90, q, k, v, o, qs, ks, vs, layout, causal, gran, sm_scale,
                     return_lse);
}

at::Tensor sm89_fused(at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor o, at::Tensor qs,
                      at::Tensor ks, at::Tensor vs, int64_t layout, int64_t causal, int64_t gran,
                      double sm_scale, int64_t return_lse)
{
    return attention(Family::sm89, q, k, v, o, qs, ks, vs, layout, causal, gran, sm_scale,
                     return_lse);
}

at::Tensor sm80_plain(at::Tensor q, at::Tensor k, at::Tensor v, at::Tensor o, at::Tensor qs,
                      at::Tensor ks, int64_t layout, int64_t causal, int64_t gran, double sm_scale,
                      int64_t return_lse)
{
    return attention(Family::sm80, q, k, v, o, qs, ks, c10::nullopt, layout, causal, gran,
                     sm_scale, return_lse);
}

// _fused's quant_per_block_int8_cuda(input, output, scale, sm_scale,
// block_size, layout): one scale per block of rows, per head and batch
// element.  The host hands every stride over as a 32-bit unsigned value
// (sageattention-fused.md, section 7); the hot-fixed kernels then address in
// 64 bits, so only the truncated strides are wrong: the batch split's case.
void fused_quant_per_block(at::Tensor input, at::Tensor output, at::Tensor scale, double sm_scale,
                           int64_t block, int64_t layout)
{
    check(input.dim() == 4 && output.dim() == 4 && scale.dim() == 3, "CHECK_DIMS");
    check(scale.is_contiguous(), "CHECK_CONTIGUOUS(scale)");
    const int lay = layout == 0 ? 0 : 1;
    const int64_t batch = input.size(0), dim = input.size(3);
    const int64_t heads = lay == 0 ? input.size(2) : input.size(1);
    const int64_t rows = lay == 0 ? input.size(1) : input.size(2);
    auto truncated = [](int64_t stride) { return int64_t(uint64_t(stride) % offset_modulus()); };
    int64_t ib = truncated(input.stride(0)), ob = truncated(output.stride(0));
    int64_t ih = truncated(lay == 0 ? input.stride(2) : input.stride(1));
    int64_t in = truncated(lay == 0 ? input.stride(1) : input.stride(2));
    int64_t oh = truncated(lay == 0 ? output.stride(2) : output.stride(1));
    int64_t on = truncated(lay == 0 ? output.stride(1) : output.stride(2));
    auto source = at::empty_strided(input.sizes(), input.strides(), input.options().dtype(at::kFloat));
    source.copy_(input);
    const float *x = source.data_ptr<float>();
    int8_t *y = output.data_ptr<int8_t>();
    float *s = scale.data_ptr<float>();
    const int64_t blocks = (rows + block - 1) / block;
    for (int64_t b = 0; b < batch; b++)
        for (int64_t h = 0; h < heads; h++)
            for (int64_t k = 0; k < blocks; k++) {
                float peak = 0.f;
                for (int64_t r = k * block; r < std::min(rows, (k + 1) * block); r++)
                    for (int64_t d = 0; d < dim; d++)
                        peak = std::max(peak, std::fabs(x[b * ib + h * ih + r * in + d]
                                                        * float(sm_scale)));
                float step = peak / 127.f + 1e-7f;
                s[(b * heads + h) * blocks + k] = step;
                for (int64_t r = k * block; r < std::min(rows, (k + 1) * block); r++)
                    for (int64_t d = 0; d < dim; d++)
                        y[b * ob + h * oh + r * on + d] = int8_t(
                            std::lrint(x[b * ib + h * ih + r * in + d] * float(sm_scale) / step));
            }
}

}  // namespace

PYBIND11_MODULE(_fused, m)
{
    m.def("quant_per_block_int8_cuda", &fused_quant_per_block);
}

PYBIND11_MODULE(_qattn_sm90, m)
{
    m.def("qk_int8_sv_f8_accum_f32_attn_inst_buf", &sm90_plain);
    m.def("qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf", &sm90_fused);
}

PYBIND11_MODULE(_qattn_sm89, m)
{
    m.def("qk_int8_sv_f8_accum_f32_fuse_v_scale_attn_inst_buf", &sm89_fused);
    m.def("qk_int8_sv_f8_accum_f16_fuse_v_scale_attn_inst_buf", &sm89_fused);
}

PYBIND11_MODULE(_qattn_sm80, m)
{
    m.def("qk_int8_sv_f16_accum_f32_attn", &sm80_plain);
}
