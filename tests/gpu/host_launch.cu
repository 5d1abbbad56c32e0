// host_launch: one <<<>>> launch on the legacy default stream, the way
// SageAttention's host code launches.
#include "host_common.h"

static wrong_scale_fn pick(const struct wrong_lib *lib)
{
    return lib->scale;
}

int main(int argc, char **argv)
{
    return run_one_launch(argc, argv, "launch", pick);
}
