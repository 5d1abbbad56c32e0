/* fused_table.c: the 44 kernels of SageAttention's `_fused` module, written
 * from the specification (shared/docs/sageattention-fused.md §3.1, §4.1,
 * §5.1, §6.1 for the instantiations, §3.2, §4.2, §5.2, §6.2 for the
 * parameters).  The same 44 are in every architecture's cubin. */
#include "fused.h"

#include <string.h>

/* §3.2: 16 parameters, 80 bytes. */
static const struct ss_fused_param quant_int8_params[SS_QI_NPARAMS] = {
    [SS_QI_X]     = {0, 8, "x"},      [SS_QI_MU]    = {8, 8, "mu"},
    [SS_QI_Q]     = {16, 8, "q"},     [SS_QI_S]     = {24, 8, "s"},
    [SS_QI_SM]    = {32, 4, "sm"},    [SS_QI_N]     = {36, 4, "N"},
    [SS_QI_X_SB]  = {40, 4, "x_sb"},  [SS_QI_X_SN]  = {44, 4, "x_sn"},
    [SS_QI_X_SH]  = {48, 4, "x_sh"},  [SS_QI_MU_SB] = {52, 4, "mu_sb"},
    [SS_QI_MU_SH] = {56, 4, "mu_sh"}, [SS_QI_Q_SB]  = {60, 4, "q_sb"},
    [SS_QI_Q_SN]  = {64, 4, "q_sn"},  [SS_QI_Q_SH]  = {68, 4, "q_sh"},
    [SS_QI_S_SB]  = {72, 4, "s_sb"},  [SS_QI_S_SH]  = {76, 4, "s_sh"},
};

/* §4.2: 12 parameters, 60 bytes. */
static const struct ss_fused_param sub_mean_params[SS_SM_NPARAMS] = {
    [SS_SM_X]     = {0, 8, "x"},      [SS_SM_MU]    = {8, 8, "mu"},
    [SS_SM_Y]     = {16, 8, "y"},     [SS_SM_N]     = {24, 4, "N"},
    [SS_SM_X_SB]  = {28, 4, "x_sb"},  [SS_SM_X_SN]  = {32, 4, "x_sn"},
    [SS_SM_X_SH]  = {36, 4, "x_sh"},  [SS_SM_MU_SB] = {40, 4, "mu_sb"},
    [SS_SM_MU_SH] = {44, 4, "mu_sh"}, [SS_SM_Y_SB]  = {48, 4, "y_sb"},
    [SS_SM_Y_SN]  = {52, 4, "y_sn"},  [SS_SM_Y_SH]  = {56, 4, "y_sh"},
};

/* §5.2: 9 parameters, 44 bytes. */
static const struct ss_fused_param transpose_params[SS_TP_NPARAMS] = {
    [SS_TP_X]    = {0, 8, "x"},     [SS_TP_Y]    = {8, 8, "y"},
    [SS_TP_N]    = {16, 4, "N"},    [SS_TP_X_SB] = {20, 4, "x_sb"},
    [SS_TP_X_SN] = {24, 4, "x_sn"}, [SS_TP_X_SH] = {28, 4, "x_sh"},
    [SS_TP_Y_SB] = {32, 4, "y_sb"}, [SS_TP_Y_SD] = {36, 4, "y_sd"},
    [SS_TP_Y_SH] = {40, 4, "y_sh"},
};

/* §6.2: 16 parameters, 80 bytes. */
static const struct ss_fused_param mean_scale_params[SS_MS_NPARAMS] = {
    [SS_MS_X]     = {0, 8, "x"},      [SS_MS_Q]     = {8, 8, "q"},
    [SS_MS_MU]    = {16, 8, "mu"},    [SS_MS_S]     = {24, 8, "s"},
    [SS_MS_SMAX]  = {32, 4, "smax"},  [SS_MS_N]     = {36, 4, "N"},
    [SS_MS_X_SB]  = {40, 4, "x_sb"},  [SS_MS_X_SD]  = {44, 4, "x_sd"},
    [SS_MS_X_SH]  = {48, 4, "x_sh"},  [SS_MS_Q_SB]  = {52, 4, "q_sb"},
    [SS_MS_Q_SD]  = {56, 4, "q_sd"},  [SS_MS_Q_SH]  = {60, 4, "q_sh"},
    [SS_MS_MU_SB] = {64, 4, "mu_sb"}, [SS_MS_MU_SH] = {68, 4, "mu_sh"},
    [SS_MS_S_SB]  = {72, 4, "s_sb"},  [SS_MS_S_SH]  = {76, 4, "s_sh"},
};

static const struct ss_fused_layout quant_int8 = {SS_QI_NPARAMS, 80, quant_int8_params};
static const struct ss_fused_layout sub_mean = {SS_SM_NPARAMS, 60, sub_mean_params};
static const struct ss_fused_layout transpose = {SS_TP_NPARAMS, 44, transpose_params};
static const struct ss_fused_layout mean_scale = {SS_MS_NPARAMS, 80, mean_scale_params};

/* Logical static shared memory: QuantInt8 one 32-float reduction buffer
 * and a broadcast float (132); SubMean none; Transpose two 64 x D tiles of
 * T (256 D); MeanScale two buffers and a float (260), with SUB three
 * buffers and two floats (392). */
const struct ss_fused_kernel ss_fused_kernels[SS_FUSED_NKERNELS] = {
    /* name,
       kind, D, BS, NP, SM, SUB, Z, T, layout, static smem */
    {"_Z15QuantInt8KernelILj64ELj16ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 16, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj16ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 16, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj32ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 32, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj32ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 32, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb0ELb1E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 0, 1, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb0ELb1E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 0, 1, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb1ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 1, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj64ELj1ELb1ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 64, 1, 1, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb0ELb1E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 0, 1, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb0ELb1E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 0, 1, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb1ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 1, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj64ELj128ELj1ELb1ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 64, 128, 1, 1, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj16ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 16, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj16ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 16, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj32ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 32, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj32ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 32, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb0ELb1E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 1, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb0ELb1E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 0, 1, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb1ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 1, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj64ELj1ELb1ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 64, 1, 1, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb0ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 0, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb0ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 0, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb0ELb1E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 0, 1, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb0ELb1E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 0, 1, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb1ELb0E6__halfEvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 1, 0, 0, SS_FUSED_HALF, &quant_int8, 132},
    {"_Z15QuantInt8KernelILj128ELj128ELj2ELb1ELb0E13__nv_bfloat16EvPT4_S2_PaPffjjjjjjjjjjj",
     SS_FUSED_QUANT_INT8, 128, 128, 2, 1, 0, 0, SS_FUSED_BF16, &quant_int8, 132},
    {"_Z13SubMeanKernelILj64ELj128ELj1E6__halfEvPT2_S2_PS0_jjjjjjjjj",
     SS_FUSED_SUB_MEAN, 64, 128, 1, 0, 0, 0, SS_FUSED_HALF, &sub_mean, 0},
    {"_Z13SubMeanKernelILj64ELj128ELj1E13__nv_bfloat16EvPT2_S2_P6__halfjjjjjjjjj",
     SS_FUSED_SUB_MEAN, 64, 128, 1, 0, 0, 0, SS_FUSED_BF16, &sub_mean, 0},
    {"_Z13SubMeanKernelILj128ELj64ELj1E6__halfEvPT2_S2_PS0_jjjjjjjjj",
     SS_FUSED_SUB_MEAN, 128, 64, 1, 0, 0, 0, SS_FUSED_HALF, &sub_mean, 0},
    {"_Z13SubMeanKernelILj128ELj64ELj1E13__nv_bfloat16EvPT2_S2_P6__halfjjjjjjjjj",
     SS_FUSED_SUB_MEAN, 128, 64, 1, 0, 0, 0, SS_FUSED_BF16, &sub_mean, 0},
    {"_Z25TransposePadPermuteKernelILj64ELj64ELb1E6__halfEvPT2_S2_jjjjjjj",
     SS_FUSED_TRANSPOSE, 64, 64, 0, 0, 0, 1, SS_FUSED_HALF, &transpose, 16384},
    {"_Z25TransposePadPermuteKernelILj64ELj64ELb1E13__nv_bfloat16EvPT2_S2_jjjjjjj",
     SS_FUSED_TRANSPOSE, 64, 64, 0, 0, 0, 1, SS_FUSED_BF16, &transpose, 16384},
    {"_Z25TransposePadPermuteKernelILj128ELj64ELb1E6__halfEvPT2_S2_jjjjjjj",
     SS_FUSED_TRANSPOSE, 128, 64, 0, 0, 0, 1, SS_FUSED_HALF, &transpose, 32768},
    {"_Z25TransposePadPermuteKernelILj128ELj64ELb1E13__nv_bfloat16EvPT2_S2_jjjjjjj",
     SS_FUSED_TRANSPOSE, 128, 64, 0, 0, 0, 1, SS_FUSED_BF16, &transpose, 32768},
    {"_Z15MeanScaleKernelILj64ELb0E6__halfEvPT1_PaPfS4_fjjjjjjjjjjj",
     SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, 0, SS_FUSED_HALF, &mean_scale, 260},
    {"_Z15MeanScaleKernelILj64ELb0E13__nv_bfloat16EvPT1_PaPfS4_fjjjjjjjjjjj",
     SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 0, 0, SS_FUSED_BF16, &mean_scale, 260},
    {"_Z15MeanScaleKernelILj64ELb1E6__halfEvPT1_PaPfS4_fjjjjjjjjjjj",
     SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 1, 0, SS_FUSED_HALF, &mean_scale, 392},
    {"_Z15MeanScaleKernelILj64ELb1E13__nv_bfloat16EvPT1_PaPfS4_fjjjjjjjjjjj",
     SS_FUSED_MEAN_SCALE, 0, 64, 0, 0, 1, 0, SS_FUSED_BF16, &mean_scale, 392},
};

const struct ss_fused_kernel *ss_fused_find(const char *mangled_name)
{
    if (!mangled_name)
        return NULL;
    for (size_t i = 0; i < SS_FUSED_NKERNELS; i++)
        if (strcmp(ss_fused_kernels[i].name, mangled_name) == 0)
            return &ss_fused_kernels[i];
    return NULL;
}

const char *ss_fused_kind_name(enum ss_fused_kind kind)
{
    switch (kind) {
    case SS_FUSED_QUANT_INT8: return "QuantInt8Kernel";
    case SS_FUSED_SUB_MEAN:   return "SubMeanKernel";
    case SS_FUSED_TRANSPOSE:  return "TransposePadPermuteKernel";
    case SS_FUSED_MEAN_SCALE: return "MeanScaleKernel";
    }
    return "?";
}
