// host_smem: one launch with 64 KiB of dynamic shared memory after
// cudaFuncSetAttribute(MaxDynamicSharedMemorySize): the attribute must reach
// the kernel that actually runs (the substituted one under the shim).
#include "host_common.h"

static wrong_scale_fn pick(const struct wrong_lib *lib)
{
    return lib->scale_smem;
}

int main(int argc, char **argv)
{
    return run_one_launch(argc, argv, "smem", pick);
}
