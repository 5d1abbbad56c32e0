/* decide_probe: the policy half of the shim (state, decide, devices, ...)
 * linked without the interposition half, for check_decide.
 *
 *   decide_probe <image file>
 *   decide_probe --log-long     one 3,000-byte warning full of ESC bytes,
 *                               to show that a log line is cut and escaped
 *                               within its buffer
 *
 * Asks shim_load_begin about a file-based load (as cuModuleLoad does) and
 * prints what the driver would get:
 *   use=original | use=merged
 *   cc=<sm> sha=<sha256 of the entry the device would run>   (per device)
 * Devices come from PROBE_DEVICES ("8.9,9.0"), through a stand-in for the
 * real driver table.  The log goes to stderr as usual. */
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "policy.h"
#include "sageshim.h"

static int ndevices;
static int device_cc[SHIM_MAX_DEVICES];

static void read_devices(void)
{
    const char *list = getenv("PROBE_DEVICES");
    ndevices = 0;
    while (list && *list && ndevices < SHIM_MAX_DEVICES) {
        int major = 0, minor = 0, used = 0;
        if (sscanf(list, "%d.%d%n", &major, &minor, &used) != 2)
            break;
        device_cc[ndevices++] = major * 10 + minor;
        list += used;
        if (*list == ',')
            list++;
    }
}

static CUresult probe_count(int *count)
{
    *count = ndevices;
    return CUDA_SUCCESS;
}

static CUresult probe_get(CUdevice *dev, int ordinal)
{
    if (ordinal < 0 || ordinal >= ndevices)
        return CUDA_ERROR_INVALID_DEVICE;
    *dev = ordinal;
    return CUDA_SUCCESS;
}

static CUresult probe_attribute(int *value, CUdevice_attribute attr, CUdevice dev)
{
    if (dev < 0 || dev >= ndevices)
        return CUDA_ERROR_INVALID_DEVICE;
    if (attr == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR)
        *value = device_cc[dev] / 10;
    else if (attr == CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR)
        *value = device_cc[dev] % 10;
    else
        return CUDA_ERROR_INVALID_VALUE;
    return CUDA_SUCCESS;
}

const struct shim_real *shim_real(void)
{
    static struct shim_real table;
    table.cuDeviceGetCount = probe_count;
    table.cuDeviceGet = probe_get;
    table.cuDeviceGetAttribute = probe_attribute;
    return &table;
}

void *shim_real_dlsym(void *handle, const char *name)
{
    return dlsym(handle, name);
}

int main(int argc, char **argv)
{
    if (argc != 2) {
        fprintf(stderr, "usage: decide_probe <image file>\n");
        return 2;
    }
    if (strcmp(argv[1], "--log-long") == 0) {
        char text[3001];
        for (size_t i = 0; i < sizeof text - 1; i++)
            text[i] = i % 2 ? '\x1b' : 'k';
        text[sizeof text - 1] = '\0';
        shim_log(SS_LOG_WARN, "%s", text);
        return 0;
    }
    read_devices();
    const void *use = NULL;
    struct shim_load *load = shim_load_begin("cuModuleLoad", NULL, argv[1], &use);

    uint8_t *bytes = NULL;
    size_t len = 0;
    struct ss_error err = { 0 };
    if (!use) {
        if (ss_read_file(argv[1], &bytes, &len, &err) != 0) {
            fprintf(stderr, "probe: cannot read %s\n", argv[1]);
            return 2;
        }
        use = bytes;
    } else {
        len = ss_image_measure(use);
    }
    printf("use=%s\n", bytes ? "original" : "merged");

    struct ss_container c;
    memset(&c, 0, sizeof c);
    if (ss_container_parse(use, len, &c, &err) != 0) {
        fprintf(stderr, "probe: image does not parse\n");
        return 2;
    }
    for (int d = 0; d < ndevices; d++) {
        int e = ss_select_entry(&c, device_cc[d] / 10, device_cc[d] % 10, 0);
        char hex[65] = "none";
        if (e >= 0)
            ss_sha256_hex(c.entries[e].bytes, c.entries[e].size, hex);
        printf("cc=%d sha=%s\n", device_cc[d], hex);
    }
    ss_container_free(&c);
    free(bytes);
    fflush(stdout);

    /* Hand the image back as the wrappers do, so ASan sees it freed. */
    static int handle;
    shim_load_end(load, 1, &handle, 0);
    shim_unload(&handle, 0);
    return 0;
}
