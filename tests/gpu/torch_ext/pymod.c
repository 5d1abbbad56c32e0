/* pymod.c: the Python face of the suite's own "PyTorch extension".
 *
 * Linked with wrongsm90.o into <site>/sageattention/_qattn_sm90<EXT_SUFFIX>,
 * so CPython imports it the way it imports SageAttention's module (dlopen,
 * then PyInit__qattn_sm90) and the shim's default glob watches it.  It takes
 * raw device pointers and a stream handle (tensor.data_ptr(),
 * torch.cuda.current_stream().cuda_stream) rather than tensors: that keeps
 * the build to Python.h, with no torch headers, ninja or C++ ABI to match,
 * while the kernels still run on PyTorch's memory, stream and libcudart. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#include <stdint.h>

#include "wrongsm90.h"

int wrong_scale(float *x, float factor, int n, void *stream);
int wrong_scale_smem(float *x, float factor, int n, void *stream);

/* (data_ptr, factor, n, stream) -> cudaError_t as int */
static PyObject *call_launch(PyObject *args, wrong_scale_fn launch)
{
    unsigned long long data, stream;
    float factor;
    int n;
    if (!PyArg_ParseTuple(args, "KfiK", &data, &factor, &n, &stream))
        return NULL;
    int err = launch((float *)(uintptr_t)data, factor, n, (void *)(uintptr_t)stream);
    return PyLong_FromLong(err);
}

static PyObject *py_scale(PyObject *self, PyObject *args)
{
    return call_launch(args, wrong_scale);
}

static PyObject *py_scale_smem(PyObject *self, PyObject *args)
{
    return call_launch(args, wrong_scale_smem);
}

static PyMethodDef methods[] = {
    { "scale", py_scale, METH_VARARGS, "scale(data_ptr, factor, n, stream) -> cudaError" },
    { "scale_smem", py_scale_smem, METH_VARARGS,
      "scale_smem(data_ptr, factor, n, stream) -> cudaError (64 KiB dynamic smem)" },
    { NULL, NULL, 0, NULL },
};

static struct PyModuleDef module = {
    PyModuleDef_HEAD_INIT, "_qattn_sm90", "GPU-suite stand-in for a miscompiled module", -1,
    methods, NULL, NULL, NULL, NULL,
};

PyMODINIT_FUNC PyInit__qattn_sm90(void)
{
    return PyModule_Create(&module);
}
