/* select.c: which entry of a container the driver loads on a device
 * (fatbin-format §5.3), and whether an entry can run there at all. */
#include "select.h"

#include <stddef.h>

/* CUDA Programming Guide, Table 28: the devices each `f` target runs on. */
static const struct { unsigned family; unsigned members[4]; } family_table[] = {
    { 100, { 100, 103 } },
    { 103, { 103 } },
    { 110, { 110 } },
    { 120, { 120, 121 } },
    { 121, { 121 } },
};

static int in_family(unsigned family, unsigned device)
{
    for (size_t i = 0; i < sizeof family_table / sizeof family_table[0]; i++) {
        if (family_table[i].family != family)
            continue;
        for (size_t j = 0; j < 4 && family_table[i].members[j]; j++)
            if (family_table[i].members[j] == device)
                return 1;
        return 0;
    }
    /* A family newer than the table: same major, minor not below. */
    return family / 10 == device / 10 && family % 10 <= device % 10;
}

/* The variant from the parsed field, or from the flags when the reader
 * left it plain. */
static enum ss_variant variant_of(const struct ss_entry *e)
{
    if (e->variant != SS_VARIANT_PLAIN)
        return e->variant;
    if (e->flags & SS_FLAG_ARCH_SPECIFIC)
        return SS_VARIANT_A;
    if (e->flags & SS_FLAG_FAMILY)
        return SS_VARIANT_F;
    return SS_VARIANT_PLAIN;
}

/* `a` code runs on its exact arch only, `f` code inside its family. */
static int variant_allows(const struct ss_entry *e, unsigned device)
{
    switch (variant_of(e)) {
    case SS_VARIANT_A:
        return e->sm == device;
    case SS_VARIANT_F:
        return in_family(e->sm, device);
    default:
        return 1;
    }
}

/* SASS: same major, minor not above the device's. */
static int sass_runs_on(const struct ss_entry *e, unsigned device)
{
    return e->kind == SS_KIND_ELF && e->sm / 10 == device / 10 &&
           e->sm % 10 <= device % 10 && variant_allows(e, device);
}

/* PTX: any arch not above the device's, across majors, by JIT. */
static int ptx_runs_on(const struct ss_entry *e, unsigned device)
{
    return e->kind == SS_KIND_PTX && e->sm != 0 && e->sm <= device &&
           variant_allows(e, device);
}

static unsigned device_sm(int major, int minor)
{
    if (major < 0 || minor < 0 || minor > 9 || major > 99)
        return 0;
    return (unsigned)(major * 10 + minor);
}

int ss_entry_runs_on(const struct ss_entry *e, int major, int minor)
{
    unsigned device = device_sm(major, minor);
    return device != 0 && (sass_runs_on(e, device) || ptx_runs_on(e, device));
}

/* Higher arch first; at equal arch `a` beats plain and `f`. */
static unsigned preference(const struct ss_entry *e)
{
    return e->sm * 2 + (variant_of(e) == SS_VARIANT_A);
}

static int best_of(const struct ss_container *c, unsigned device,
                   int (*usable)(const struct ss_entry *, unsigned))
{
    int best = -1;
    for (size_t i = 0; i < c->nentries; i++) {
        const struct ss_entry *e = &c->entries[i];
        if (!usable(e, device))
            continue;
        /* Strictly better only: among equals the first entry stays. */
        if (best < 0 || preference(e) > preference(&c->entries[best]))
            best = (int)i;
    }
    return best;
}

int ss_select_entry(const struct ss_container *c, int major, int minor, int force_ptx)
{
    unsigned device = device_sm(major, minor);
    if (!c || device == 0)
        return -1;
    int best = force_ptx ? -1 : best_of(c, device, sass_runs_on);
    if (best < 0)
        best = best_of(c, device, ptx_runs_on);
    return best;
}
