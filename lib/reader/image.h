/* image.h: code objects as the driver sees them - containers, entries,
 * kernels - and the functions that find them in files and in memory.
 *
 * Layout facts are in docs of the project (see README "Formats").  Every
 * structure below is filled by the reader and released with ss_image_free();
 * pointers named `bytes` point into the caller's buffer, which must outlive
 * the ss_image. */
#ifndef SAGESHIM_IMAGE_H
#define SAGESHIM_IMAGE_H

#include <stddef.h>
#include <stdint.h>

#include "base/error.h"

#define SS_WRAPPER_MAGIC   0x466243B1u  /* __fatBinC_Wrapper_t */
#define SS_CONTAINER_MAGIC 0xBA55ED50u  /* fatbin container header */

/* Entry kinds, as stored in the entry header. */
enum ss_entry_kind {
    SS_KIND_PTX = 1,
    SS_KIND_ELF = 2,
    SS_KIND_LTOIR = 8,
};

/* Entry flag bits (u64 at entry + 0x28). */
#define SS_FLAG_64BIT          0x1ull
#define SS_FLAG_DEBUG          0x2ull
#define SS_FLAG_LZ4            0x2000ull
#define SS_FLAG_ZSTD           0x8000ull
#define SS_FLAG_ARCH_SPECIFIC  0x100000ull   /* sm_90a, compute_120a, ... */
#define SS_FLAG_FAMILY         0x200000ull   /* sm_100f, ... */

enum ss_compression { SS_COMPRESS_NONE, SS_COMPRESS_LZ4, SS_COMPRESS_ZSTD };
enum ss_variant { SS_VARIANT_PLAIN, SS_VARIANT_A, SS_VARIANT_F };

/* Upper bound on one decompressed payload; larger claims are refused. */
#define SS_MAX_PAYLOAD (256u * 1024 * 1024)
/* Upper bound on all payloads decompressed for one image (one file, one
 * in-memory image, one container parsed alone): entries past it are left
 * compressed with a note saying so.  A few small compressed entries may
 * claim 256 MiB each, so the per-entry bound alone does not bound memory. */
#define SS_MAX_IMAGE_DECOMPRESSED ((uint64_t)512 * 1024 * 1024)

/* One kernel parameter, from KPARAM_INFO / KPARAM_INFO_V2 (cubins) or from
 * the .entry declaration (PTX, where offset is computed from alignment). */
struct ss_param {
    unsigned ordinal;
    unsigned offset;     /* relative to the parameter base */
    unsigned size;       /* bytes */
    unsigned align;      /* bytes; 0 when unknown (cubins) */
};

struct ss_kernel {
    char *name;              /* mangled name */
    int is_local;            /* STB_LOCAL: a `static __global__` kernel */
    unsigned nparams;
    struct ss_param *params; /* sorted by ordinal */
    int has_param_size;
    unsigned param_size;     /* CBANK_PARAM_SIZE (0x19) */
    int has_param_base;
    unsigned param_base;     /* PARAM_CBANK (0x0a) */
    unsigned max_threads[3]; /* MAX_THREADS (0x05) / .maxntid; 0,0,0 = none */
    unsigned req_ntid[3];    /* REQNTID (0x10) / .reqntid; 0,0,0 = none */
    unsigned cluster_dims[3];/* CTA_PER_CLUSTER (0x3d) / .reqnctapercluster */
    int explicit_cluster;    /* EXPLICIT_CLUSTER (0x3e) / .explicitcluster */
    unsigned max_cluster_rank; /* MAX_CLUSTER_RANK (0x3f); 0 = none */
    int has_static_smem;
    uint64_t static_smem;    /* size of .nv.shared.<name> */
    int has_registers;
    unsigned registers;      /* REGCOUNT (0x2f) in the global .nv.info, per thread */
};

/* What the cubin itself says, for ELF entries. */
struct ss_cubin_info {
    int abi;                 /* 1: OSABI 0x33 (CUDA <= 12), 2: OSABI 0x41 (CUDA 13) */
    unsigned sm;             /* from e_flags */
    int arch_specific;       /* `a` from .nv.compat / e_flags */
    int elf_type;            /* ET_EXEC 2, ET_REL 1 */
    unsigned toolkit;        /* CUDA_API_VERSION, e.g. 130; 0 = unknown */
};

struct ss_entry {
    size_t offset;           /* of the entry header, from the container start */
    const uint8_t *bytes;    /* header + stored payload, in the caller's buffer */
    size_t size;             /* header_size + payload_size */
    unsigned kind;           /* enum ss_entry_kind or an unknown value */
    unsigned sm;             /* arch field: 90 for sm_90 and sm_90a */
    enum ss_variant variant;
    uint64_t flags;
    int is_64bit, is_debug;
    enum ss_compression compression;
    uint32_t header_size;
    uint64_t payload_size;   /* stored bytes after the header (padded) */
    uint32_t compressed_size;
    uint64_t uncompressed_size;
    /* Decompressed payload (owned when `data_owned`), NULL for skipped kinds. */
    uint8_t *data;
    size_t data_len;
    int data_owned;
    /* Kernels read from the payload (ELF: .nv.info; PTX: .entry). */
    int kernels_read;        /* 1 when the list below is meaningful */
    size_t nkernels;
    struct ss_kernel *kernels;
    struct ss_cubin_info cubin; /* ELF entries only */
    char note[160];          /* "" or why something was skipped / not read */
};

/* Where a container was found. */
enum ss_origin {
    SS_FROM_CONTAINER,       /* a bare container (.fatbin file or pointer) */
    SS_FROM_SECTION,         /* .nv_fatbin or __nv_relfatbin of a host ELF */
    SS_FROM_WRAPPER,         /* through a __fatBinC_Wrapper_t in memory */
    SS_FROM_CUBIN,           /* a bare cubin, shown as a one-entry container */
    SS_FROM_PTX,             /* bare PTX text, shown as a one-entry container */
};

struct ss_container {
    enum ss_origin origin;
    char section[32];        /* ".nv_fatbin" / "__nv_relfatbin" or "" */
    size_t offset;           /* from the start of the input */
    const uint8_t *bytes;    /* the container (header + entries); for bare
                                cubin/PTX: the cubin or text itself */
    size_t size;             /* 16 + fat_size, or cubin/PTX length */
    size_t nentries;
    struct ss_entry *entries;
};

struct ss_image {
    size_t ncontainers;
    struct ss_container *containers;
    size_t nnotes;           /* things skipped on the way, one line each */
    char **notes;
    uint64_t decompressed;   /* bytes decompressed for it (SS_MAX_IMAGE_DECOMPRESSED) */
};

/* Read a file's bytes (the whole file; refuses > 1 GiB).  Caller frees. */
int ss_read_file(const char *path, uint8_t **bytes, size_t *len, struct ss_error *err);

/* Find every container in a buffer holding a file: a host ELF (.so, .o,
 * executable: through .nv_fatbin / __nv_relfatbin sections), one or more
 * bare containers back to back, a bare cubin, or PTX text.  Entries are
 * decompressed and their kernels read.  Returns 0, or -1 with err set when
 * nothing usable was found; problems with single entries are kept in their
 * `note` and in image->notes instead of failing the whole image. */
int ss_image_parse(const uint8_t *bytes, size_t len, struct ss_image *image,
                   struct ss_error *err);

/* Same for an image handed to the driver in memory (cuModuleLoadData and
 * friends): a host wrapper (the data pointer is followed), a container, a
 * cubin or NUL-terminated PTX.  The length is found from the headers. */
int ss_image_parse_loaded(const void *image, struct ss_image *out,
                          struct ss_error *err);

/* How many bytes an in-memory image spans (wrapper: the container it points
 * to), so it can be copied or hashed.  0 when unknown. */
size_t ss_image_measure(const void *image);

/* Parse one container at bytes[0..avail).  Fills c (origin SS_FROM_CONTAINER). */
int ss_container_parse(const uint8_t *bytes, size_t avail, struct ss_container *c,
                       struct ss_error *err);

/* Decompress an entry's payload into entry->data (bounded, sizes checked). */
int ss_entry_decompress(struct ss_entry *entry, struct ss_error *err);

/* A budget for the whole command on top of the per-image one: every
 * decompression in the process counts against it (the tools set it once in
 * main; 0, the default, means none).  Entries past it are left compressed
 * with a note, like those past an image's budget. */
void ss_decompress_set_command_budget(uint64_t bytes);

/* Read kernels from a cubin / PTX payload into entry->kernels.  Called by the
 * parsers above; exposed for the bare-cubin and test paths. */
int ss_cubin_read(const uint8_t *elf, size_t len, struct ss_entry *entry,
                  struct ss_error *err);
int ss_ptx_read(const char *text, size_t len, struct ss_entry *entry,
                struct ss_error *err);

void ss_container_free(struct ss_container *c);
void ss_image_free(struct ss_image *image);

/* "sm_90a", "compute_120", "lto_90" ... for logs and tools. */
void ss_entry_arch_name(const struct ss_entry *e, char *buf, size_t len);
const char *ss_kind_name(unsigned kind);           /* "ptx", "elf", "ltoir", "unknown" */
const char *ss_compression_name(enum ss_compression c); /* "none", "lz4", "zstd" */
const struct ss_kernel *ss_entry_find_kernel(const struct ss_entry *e, const char *name);

#endif
