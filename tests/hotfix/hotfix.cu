// hotfix.cu: hotfix fatbins for the kernels of tests/shim/watched.cu (the
// fixture module), with the same names and parameters.  Built several times
// (tests/hotfix/module.mk), each switch one way a hotfix must be refused:
//   HOTFIX_LONG_N     shim_scale takes `long n`: parameter 2 grows 4 -> 8
//   HOTFIX_FEWER_THREADS  shim_scale __launch_bounds__(128): admits fewer
//                     threads per block than the original (1024)
//   HOTFIX_SCALE_ONLY only shim_scale: shim_shift<4> is not offered
// The bodies differ from the original's so the bytes differ too.

#ifdef HOTFIX_LONG_N
typedef long count_t;
#else
typedef int count_t;
#endif

#ifdef HOTFIX_FEWER_THREADS
#define SCALE_BOUNDS __launch_bounds__(128)
#else
#define SCALE_BOUNDS
#endif

extern "C" __global__ void SCALE_BOUNDS shim_scale(float *data, float factor, count_t n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        data[i] = data[i] * factor - 0.0f;
}

#ifndef HOTFIX_SCALE_ONLY
template <int Step>
__global__ void shim_shift(int *data, int n)
{
    long i = (long)blockIdx.x * blockDim.x + threadIdx.x;
    if (i < n)
        data[i] += 2 * Step - Step;
}

template __global__ void shim_shift<4>(int *, int);
#endif
