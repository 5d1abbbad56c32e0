/* devices.c: the compute capabilities of the process's devices, asked from
 * the real driver the first time a watched image loads and kept after the
 * first success (devices do not change during a process's life). */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>

#include "policy.h"

static pthread_mutex_t devices_lock = PTHREAD_MUTEX_INITIALIZER;
/* Set once the devices are known; read without the lock on the launch path. */
static atomic_int devices_known;
static struct shim_devices devices;

static int ask_driver(struct shim_devices *out, char *why, size_t len)
{
    const struct shim_real *real = shim_real();
    if (!real || !real->cuDeviceGetCount || !real->cuDeviceGet || !real->cuDeviceGetAttribute) {
        snprintf(why, len, "the driver (libcuda.so.1) is not available");
        return -1;
    }
    int count = 0;
    CUresult rc = real->cuDeviceGetCount(&count);
    /* The shim may ask before the program initialised the driver. */
    if (rc == CUDA_ERROR_NOT_INITIALIZED && real->cuInit) {
        rc = real->cuInit(0);
        if (rc == CUDA_SUCCESS)
            rc = real->cuDeviceGetCount(&count);
    }
    if (rc != CUDA_SUCCESS) {
        snprintf(why, len, "cuDeviceGetCount failed (%d)", (int)rc);
        return -1;
    }
    if (count < 0)
        count = 0;
    if (count > SHIM_MAX_DEVICES)
        count = SHIM_MAX_DEVICES;
    out->count = count;
    for (int i = 0; i < count; i++) {
        CUdevice dev;
        int major = 0, minor = 0;
        rc = real->cuDeviceGet(&dev, i);
        if (rc == CUDA_SUCCESS)
            rc = real->cuDeviceGetAttribute(&major, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MAJOR, dev);
        if (rc == CUDA_SUCCESS)
            rc = real->cuDeviceGetAttribute(&minor, CU_DEVICE_ATTRIBUTE_COMPUTE_CAPABILITY_MINOR, dev);
        if (rc != CUDA_SUCCESS) {
            snprintf(why, len, "compute capability of device %d unknown (%d)", i, (int)rc);
            return -1;
        }
        out->cc[i] = major * 10 + minor;
    }
    return 0;
}

int shim_devices(struct shim_devices *out, char *why, size_t len)
{
    int rc = 0;
    /* Devices do not change once known: no lock needed to read them. */
    if (atomic_load_explicit(&devices_known, memory_order_acquire)) {
        *out = devices;
        return 0;
    }
    pthread_mutex_lock(&devices_lock);
    if (!devices_known) {
        struct shim_devices found = { 0 };
        rc = ask_driver(&found, why, len);
        if (rc == 0) {
            devices = found;
            atomic_store_explicit(&devices_known, 1, memory_order_release);
        }
    }
    if (rc == 0)
        *out = devices;
    pthread_mutex_unlock(&devices_lock);
    return rc;
}

int shim_devices_cached(struct shim_devices *out)
{
    int rc = -1;
    pthread_mutex_lock(&devices_lock);
    if (devices_known) {
        *out = devices;
        rc = 0;
    }
    pthread_mutex_unlock(&devices_lock);
    return rc;
}

void shim_devices_format(const struct shim_devices *d, char *buf, size_t len)
{
    size_t used = 0;
    buf[0] = '\0';
    if (d->count == 0) {
        snprintf(buf, len, "none");
        return;
    }
    for (int i = 0; i < d->count && used < len; i++) {
        int n = snprintf(buf + used, len - used, "%s%d.%d", i ? "," : "", d->cc[i] / 10,
                         d->cc[i] % 10);
        if (n < 0)
            break;
        used += (size_t)n;
    }
}

/* A forked child has one thread: a lock another thread held at the fork
 * is released by nobody. */
static void reset_lock_in_child(void)
{
    pthread_mutex_init(&devices_lock, NULL);
}

__attribute__((constructor)) static void devices_register_fork_handler(void)
{
    pthread_atfork(NULL, NULL, reset_lock_in_child);
}
