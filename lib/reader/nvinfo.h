/* nvinfo.h: the attribute records of a cubin's .nv.info.<kernel> and
 * .nv.compat sections (fatbin-format §4.3-4.6).  Internal to the core
 * library: used by cubin.c. */
#ifndef SAGESHIM_NVINFO_H
#define SAGESHIM_NVINFO_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"
#include "image.h"

/* Record formats (first byte of every record). */
enum ss_eifmt {
    SS_EIFMT_NVAL = 1,   /* no value */
    SS_EIFMT_BVAL = 2,   /* one byte in the 16-bit value field */
    SS_EIFMT_HVAL = 3,   /* 16-bit value */
    SS_EIFMT_SVAL = 4,   /* value = length of the payload that follows */
};

/* Attribute ids read by this library (EIATTR_* / EICOMPAT_ATTR_*). */
enum ss_eiattr {
    SS_EIATTR_MAX_THREADS = 0x05,
    SS_EIATTR_PARAM_CBANK = 0x0a,
    SS_EIATTR_REQNTID = 0x10,
    SS_EIATTR_KPARAM_INFO = 0x17,
    SS_EIATTR_CBANK_PARAM_SIZE = 0x19,
    SS_EIATTR_REGCOUNT = 0x2f,       /* global .nv.info: {u32 symbol, u32 registers} */
    SS_EIATTR_CUDA_API_VERSION = 0x37,
    SS_EIATTR_CTA_PER_CLUSTER = 0x3d,
    SS_EIATTR_EXPLICIT_CLUSTER = 0x3e,
    SS_EIATTR_MAX_CLUSTER_RANK = 0x3f,
    SS_EIATTR_KPARAM_INFO_V2 = 0x45,
};
#define SS_EICOMPAT_ACCELERATOR_TARGET 0x09

/* One record of the stream. */
struct ss_nvinfo_record {
    size_t offset;            /* of the record, within the section */
    unsigned format;          /* enum ss_eifmt */
    unsigned attribute;
    unsigned value;           /* the 16-bit value field */
    const uint8_t *payload;   /* SVAL only, else NULL */
    size_t payload_len;
};

/* Step through a record stream: *pos starts at 0.  Returns 1 with *rec
 * filled, 0 at the end, -1 (err set, offset within the section) when the
 * stream is malformed. */
int ss_nvinfo_next(const uint8_t *data, size_t len, size_t *pos,
                   struct ss_nvinfo_record *rec, struct ss_error *err);

/* Decode a .nv.info.<kernel> section into k (params, constraints).  k->name
 * is left alone; k->params is allocated (caller frees, also on failure).
 * *toolkit receives CUDA_API_VERSION when the section has one. */
int ss_nvinfo_read_kernel(const uint8_t *data, size_t len, struct ss_kernel *k,
                          unsigned *toolkit, struct ss_error *err);

/* .nv.compat: 1 when CUDA_ACCELERATOR_TARGET is 1 (an `a` cubin), 0 when it
 * is another value, -1 when absent or the section is malformed. */
int ss_nvcompat_accelerator(const uint8_t *data, size_t len);

#endif
