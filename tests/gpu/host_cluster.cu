// host_cluster: one cudaLaunchKernelEx launch with a cluster-dimension
// attribute (2,1,1); the kernel reads its partner block's shared memory, so a
// right result also proves the clusters were formed.
#include "host_common.h"

static wrong_scale_fn pick(const struct wrong_lib *lib)
{
    return lib->scale_cluster;
}

int main(int argc, char **argv)
{
    return run_one_launch(argc, argv, "cluster", pick);
}
