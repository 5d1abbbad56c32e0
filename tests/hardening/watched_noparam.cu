// watched_noparam.cu: tests/shim/watched.cu whose shim_scale lost its last
// parameter (`int n`): a bundle built from it must be refused on ABI.

extern "C" __global__ void shim_scale(float *data, float factor)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
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
