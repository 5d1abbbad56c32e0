// watched_abi.cu: tests/shim/watched.cu with one ABI change, for the bundle
// check_redirect must refuse: shim_scale's `int n` became `long n` (an
// extern "C" kernel, so the name stays and only parameter 2 grows 4 -> 8).

extern "C" __global__ void shim_scale(float *data, float factor, long n)
{
    long i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        data[i] = data[i] * factor;
}

template <int Step>
__global__ void shim_shift(int *data, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        data[i] += Step;
}

template __global__ void shim_shift<4>(int *, int);
