/* fused.h: the 44 kernels of SageAttention's `_fused` module, as the
 * specification (shared/docs/sageattention-fused.md) lists them, and the
 * question diagnose asks of each launch of one: would upstream's 32-bit
 * index arithmetic wrap (§2.4, §8)?
 *
 * One table (fused_table.c) holds the names, template values, parameter
 * layouts and shared memory; fused_wrap.c reads a launch's parameters
 * through it. */
#ifndef SAGESHIM_FUSED_H
#define SAGESHIM_FUSED_H

#include <stdint.h>

#define SS_FUSED_NKERNELS 44

/* The four kernel templates (spec §3-§6). */
enum ss_fused_kind {
    SS_FUSED_QUANT_INT8,     /* QuantInt8Kernel<D, BS, NP, SM, SUB, T> */
    SS_FUSED_SUB_MEAN,       /* SubMeanKernel<D, BS, NP, T> */
    SS_FUSED_TRANSPOSE,      /* TransposePadPermuteKernel<D, C, Z, T> */
    SS_FUSED_MEAN_SCALE,     /* MeanScaleKernel<PAD, SUB, T> */
};

enum ss_fused_type { SS_FUSED_HALF, SS_FUSED_BF16 };   /* T */

/* Parameter ordinals, one list per template (§3.2, §4.2, §5.2, §6.2);
 * fused_table.c gives each its offset, size and name. */
enum ss_quant_int8_param {
    SS_QI_X, SS_QI_MU, SS_QI_Q, SS_QI_S, SS_QI_SM, SS_QI_N,
    SS_QI_X_SB, SS_QI_X_SN, SS_QI_X_SH, SS_QI_MU_SB, SS_QI_MU_SH,
    SS_QI_Q_SB, SS_QI_Q_SN, SS_QI_Q_SH, SS_QI_S_SB, SS_QI_S_SH,
    SS_QI_NPARAMS
};
enum ss_sub_mean_param {
    SS_SM_X, SS_SM_MU, SS_SM_Y, SS_SM_N,
    SS_SM_X_SB, SS_SM_X_SN, SS_SM_X_SH, SS_SM_MU_SB, SS_SM_MU_SH,
    SS_SM_Y_SB, SS_SM_Y_SN, SS_SM_Y_SH,
    SS_SM_NPARAMS
};
enum ss_transpose_param {
    SS_TP_X, SS_TP_Y, SS_TP_N,
    SS_TP_X_SB, SS_TP_X_SN, SS_TP_X_SH, SS_TP_Y_SB, SS_TP_Y_SD, SS_TP_Y_SH,
    SS_TP_NPARAMS
};
enum ss_mean_scale_param {
    SS_MS_X, SS_MS_Q, SS_MS_MU, SS_MS_S, SS_MS_SMAX, SS_MS_N,
    SS_MS_X_SB, SS_MS_X_SD, SS_MS_X_SH, SS_MS_Q_SB, SS_MS_Q_SD, SS_MS_Q_SH,
    SS_MS_MU_SB, SS_MS_MU_SH, SS_MS_S_SB, SS_MS_S_SH,
    SS_MS_NPARAMS
};

struct ss_fused_param {
    unsigned offset;         /* bytes into the parameter buffer */
    unsigned size;           /* 8: pointer; 4: float or unsigned int */
    const char *name;        /* the spec's name: "x", "x_sn", ... */
};

/* A template's parameter list, shared by all its instantiations. */
struct ss_fused_layout {
    unsigned nparams;
    unsigned param_size;     /* CBANK_PARAM_SIZE: last offset + size */
    const struct ss_fused_param *params;  /* by ordinal */
};

/* The cubin's .nv.shared section is this much larger than the logical
 * size on sm_90a, sm_100a and sm_120a (a reserved prefix, spec §11), and
 * equal to it on sm_80/86/89.  Kernels without shared memory have no
 * section at all. */
#define SS_FUSED_SMEM_RESERVED 1024u

struct ss_fused_kernel {
    const char *name;        /* mangled, as in the cubin's symbol table */
    enum ss_fused_kind kind;
    /* Template values; 0 where the template has no such argument. */
    unsigned d;              /* D: head dimension (MeanScale: none) */
    unsigned bs;             /* BS tokens per block; Transpose C; MeanScale PAD */
    unsigned np;             /* NP tokens per thread (QuantInt8, SubMean) */
    int sm;                  /* QuantInt8 SM */
    int sub;                 /* QuantInt8 / MeanScale SUB */
    int zero_fill;           /* Transpose Z */
    enum ss_fused_type type; /* T */
    const struct ss_fused_layout *layout;
    unsigned static_smem;    /* logical bytes (see SS_FUSED_SMEM_RESERVED) */
};

extern const struct ss_fused_kernel ss_fused_kernels[SS_FUSED_NKERNELS];

/* The kernel of that mangled name, or NULL (also for NULL). */
const struct ss_fused_kernel *ss_fused_find(const char *mangled_name);

const char *ss_fused_kind_name(enum ss_fused_kind kind); /* "QuantInt8Kernel" */

/* 1: upstream's 32-bit arithmetic would wrap on this launch; 0: it would not;
   -1: not a known _fused kernel or parameters unavailable. */
int ss_fused_launch_wraps(const char *mangled_name, void *const *kernel_params,
                          const unsigned grid[3], const unsigned block[3]);

/* Why a launch wraps: what ss_fused_launch_check fills in. */
struct ss_fused_wrap {
    const char *term;        /* first wrapping term, e.g. "token*x_sn of
                                input x"; NULL when none wraps */
    uint64_t value;          /* its largest value over the launch */
    /* 1 when a batch stride was itself >= 2^32 before the launch (the host
       truncates it, spec §7): no kernel, however corrected, addresses
       batches >= 1 right; the Python repair must split the batch. */
    int stride_truncated;
};

/* ss_fused_launch_wraps, also saying why (why may be NULL).  Allocates
 * nothing, prints nothing; a few dozen multiplications.  Only threads that
 * touch memory count (token reads and writes stop below N).  A batch
 * stride the host truncated is recognized when the batch dimension encloses
 * the others without a gap (contiguous tensors, fused-QKV views); a
 * truncated stride of any other view reads as the small value it became. */
int ss_fused_launch_check(const char *mangled_name, void *const *kernel_params,
                          const unsigned grid[3], const unsigned block[3],
                          struct ss_fused_wrap *why);

#endif
