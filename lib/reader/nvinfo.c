/* nvinfo.c: decode the attribute records of .nv.info.<kernel> and
 * .nv.compat (fatbin-format §4.3-4.6). */
#include "nvinfo.h"

#include <stdlib.h>
#include <string.h>

static unsigned read_u16(const uint8_t *p)
{
    return (unsigned)p[0] | (unsigned)p[1] << 8;
}

static uint32_t read_u32(const uint8_t *p)
{
    return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 |
           (uint32_t)p[3] << 24;
}

int ss_nvinfo_next(const uint8_t *data, size_t len, size_t *pos,
                   struct ss_nvinfo_record *rec, struct ss_error *err)
{
    size_t at = *pos;
    if (at >= len)
        return 0;
    if (len - at < 4)
        return ss_fail(err, at, "truncated attribute record (%zu bytes left)", len - at);

    memset(rec, 0, sizeof *rec);
    rec->offset = at;
    rec->format = data[at];
    rec->attribute = data[at + 1];
    rec->value = read_u16(data + at + 2);
    at += 4;

    switch (rec->format) {
    case SS_EIFMT_NVAL:
    case SS_EIFMT_HVAL:
        break;
    case SS_EIFMT_BVAL:
        /* The byte value sits in the low half of the value field. */
        rec->value &= 0xff;
        break;
    case SS_EIFMT_SVAL:
        if (rec->value > len - at)
            return ss_fail(err, rec->offset,
                           "attribute 0x%02x payload of %u bytes runs past the section",
                           rec->attribute, rec->value);
        rec->payload = data + at;
        rec->payload_len = rec->value;
        at += rec->value;
        break;
    default:
        /* Without a known format the record length is unknown: stop. */
        return ss_fail(err, rec->offset, "unknown attribute format %u", rec->format);
    }
    *pos = at;
    return 1;
}

/* Check that a record has the expected format and at least `need` payload
 * bytes; the attributes read below all have fixed layouts. */
static int expect_sval(const struct ss_nvinfo_record *rec, size_t need,
                       struct ss_error *err)
{
    if (rec->format != SS_EIFMT_SVAL || rec->payload_len < need)
        return ss_fail(err, rec->offset,
                       "attribute 0x%02x: expected a %zu-byte payload", rec->attribute, need);
    return 0;
}

static void read_dims(const uint8_t *p, unsigned dims[3])
{
    for (int i = 0; i < 3; i++)
        dims[i] = read_u32(p + 4 * i);
}

/* One KPARAM_INFO / KPARAM_INFO_V2 payload: u32 index, u16 ordinal,
 * u16 offset, u32 word holding the size (V1: bits 18-31, V2: bits 0-23). */
static void read_param(const struct ss_nvinfo_record *rec, struct ss_param *p)
{
    const uint8_t *q = rec->payload;
    uint32_t word = read_u32(q + 8);
    p->ordinal = read_u16(q + 4);
    p->offset = read_u16(q + 6);
    p->size = rec->attribute == SS_EIATTR_KPARAM_INFO_V2 ? (word & 0xffffff) : (word >> 18);
    p->align = 0;
}

static int compare_ordinals(const void *a, const void *b)
{
    const struct ss_param *x = a, *y = b;
    return (x->ordinal > y->ordinal) - (x->ordinal < y->ordinal);
}

static int is_param_record(const struct ss_nvinfo_record *rec)
{
    return rec->attribute == SS_EIATTR_KPARAM_INFO ||
           rec->attribute == SS_EIATTR_KPARAM_INFO_V2;
}

/* First pass: validate the stream and count parameter records. */
static int count_params(const uint8_t *data, size_t len, size_t *count,
                        struct ss_error *err)
{
    struct ss_nvinfo_record rec;
    size_t pos = 0;
    int r;
    *count = 0;
    while ((r = ss_nvinfo_next(data, len, &pos, &rec, err)) == 1) {
        if (is_param_record(&rec)) {
            if (expect_sval(&rec, 12, err) < 0)
                return -1;
            (*count)++;
        }
    }
    return r;
}

static int apply_record(const struct ss_nvinfo_record *rec, struct ss_kernel *k,
                        unsigned *toolkit, struct ss_error *err)
{
    switch (rec->attribute) {
    case SS_EIATTR_KPARAM_INFO:
    case SS_EIATTR_KPARAM_INFO_V2:
        read_param(rec, &k->params[k->nparams++]);
        break;
    case SS_EIATTR_CBANK_PARAM_SIZE:
        if (rec->format != SS_EIFMT_HVAL)
            return ss_fail(err, rec->offset, "CBANK_PARAM_SIZE is not a 16-bit value");
        k->has_param_size = 1;
        k->param_size = rec->value;
        break;
    case SS_EIATTR_PARAM_CBANK:
        if (expect_sval(rec, 8, err) < 0)
            return -1;
        k->has_param_base = 1;
        k->param_base = read_u16(rec->payload + 4);
        break;
    case SS_EIATTR_MAX_THREADS:
        if (expect_sval(rec, 12, err) < 0)
            return -1;
        read_dims(rec->payload, k->max_threads);
        break;
    case SS_EIATTR_REQNTID:
        if (expect_sval(rec, 12, err) < 0)
            return -1;
        read_dims(rec->payload, k->req_ntid);
        break;
    case SS_EIATTR_CTA_PER_CLUSTER:
        if (expect_sval(rec, 12, err) < 0)
            return -1;
        read_dims(rec->payload, k->cluster_dims);
        break;
    case SS_EIATTR_EXPLICIT_CLUSTER:
        k->explicit_cluster = 1;
        break;
    case SS_EIATTR_MAX_CLUSTER_RANK:
        if (expect_sval(rec, 4, err) < 0)
            return -1;
        k->max_cluster_rank = read_u32(rec->payload);
        break;
    case SS_EIATTR_CUDA_API_VERSION:
        if (expect_sval(rec, 4, err) < 0)
            return -1;
        if (toolkit)
            *toolkit = read_u32(rec->payload);
        break;
    default:
        break;
    }
    return 0;
}

int ss_nvinfo_read_kernel(const uint8_t *data, size_t len, struct ss_kernel *k,
                          unsigned *toolkit, struct ss_error *err)
{
    size_t count;
    if (count_params(data, len, &count, err) < 0)
        return -1;

    k->nparams = 0;
    k->params = NULL;
    if (count > 0) {
        /* Bounded by the section: each record takes 16 bytes. */
        k->params = calloc(count, sizeof *k->params);
        if (!k->params)
            return ss_fail_nooffset(err, "out of memory for %zu parameters", count);
    }

    struct ss_nvinfo_record rec;
    size_t pos = 0;
    int r;
    while ((r = ss_nvinfo_next(data, len, &pos, &rec, err)) == 1)
        if (apply_record(&rec, k, toolkit, err) < 0)
            return -1;
    if (r < 0)
        return -1;

    /* Records come in reverse ordinal order; the driver indexes by ordinal. */
    if (k->nparams > 1)
        qsort(k->params, k->nparams, sizeof *k->params, compare_ordinals);
    for (unsigned i = 0; i < k->nparams; i++)
        if (k->params[i].ordinal != i)
            return ss_fail_nooffset(err, "parameter ordinals are not 0..%u (found %u at %u)",
                                    k->nparams - 1, k->params[i].ordinal, i);
    return 0;
}

int ss_nvcompat_accelerator(const uint8_t *data, size_t len)
{
    struct ss_nvinfo_record rec;
    struct ss_error ignored;
    size_t pos = 0;
    while (ss_nvinfo_next(data, len, &pos, &rec, &ignored) == 1)
        if (rec.attribute == SS_EICOMPAT_ACCELERATOR_TARGET)
            return rec.value == 1;
    return -1;
}
