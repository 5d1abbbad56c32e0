// watched.cu: the kernels of the fixture module the shim watches.  Built
// twice: as is (the "original" image) and with -DCORRECTED (the "fixed"
// image a bundle would carry); both declare the same kernels and parameters.

extern "C" __global__ void shim_scale(float *data, float factor, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
#ifdef CORRECTED
        data[i] = data[i] * factor + 0.0f;
#else
        data[i] = data[i] * factor * 1.0f + 1.0f;
#endif
    }
}

template <int Step>
__global__ void shim_shift(int *data, int n)
{
    int i = blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n) {
#ifdef CORRECTED
        data[i] += Step;
#else
        data[i] -= Step;
#endif
    }
}

template __global__ void shim_shift<4>(int *, int);
