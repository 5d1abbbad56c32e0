// watched_tma.cu: the harness's watched kernels (tests/shim/watched.cu) plus
// one taking a CUtensorMap by value, whose parameter offsets move between a
// 12.x build (alignas(64) CUtensorMap) and a 13.0 build (alignas(128)).
#include <cuda.h>

#include "../shim/watched.cu"

__global__ void shim_tma(const __grid_constant__ CUtensorMap map, float *out, int n)
{
    if (n > 0)
        out[0] = ((const float *)&map)[threadIdx.x % 32];
}
