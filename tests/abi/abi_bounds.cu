// ABI variant of tests/fixtures/kernels.cu (check_abi): identical except
// that tma_kernel has __launch_bounds__(128, 2) instead of (256, 2): blocks
// the original accepted (up to 256 threads) would now fail to launch.
#include <cuda.h>

struct __align__(16) Big { int v[8]; };   // 32 bytes, 16-aligned
struct __align__(64) A64 { int v[16]; };  // 64 bytes, 64-aligned
struct Huge { int v[2048]; };             // 8192 bytes: forces KPARAM_INFO_V2

extern "C" __global__ void add_c(float *a, const float *b, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        a[i] += b[i];
}

__global__ void mixed(char c, short s, double d, Big big, int *out)
{
    out[0] = c + s + (int)d + big.v[7];
}

template <class T, int N>
__global__ void scale(T *x, T s, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        x[i] *= s * N;
}
template __global__ void scale<float, 4>(float *, float, int);
template __global__ void scale<double, 2>(double *, double, int);

__global__ void __launch_bounds__(128, 2)
tma_kernel(const __grid_constant__ CUtensorMap map, float *out, int n)
{
    if (n > 0)
        out[0] = ((const float *)&map)[threadIdx.x % 32];
}

__global__ void palign(char c, A64 a, double d)
{
    if (c == 7 && a.v[3] == 3 && d > 0)
        __trap();
}

__global__ void huge_param(Huge h, int *out)
{
    out[threadIdx.x] = h.v[threadIdx.x];
}

__global__ void noparams(void)
{
}

__global__ void unused_param(int used, int unused, float *out)
{
    out[0] = (float)used;
}

static __global__ void local_kernel(int *out)
{
    out[0] = 42;
}

__global__ void smem_static(float *out)
{
    __shared__ float s[1000];
    s[threadIdx.x] = (float)threadIdx.x;
    __syncthreads();
    out[threadIdx.x] = s[999 - threadIdx.x];
}

// Host stub so the static kernel is kept and referenced.
void launch_local(int *out)
{
    local_kernel<<<1, 1>>>(out);
}
