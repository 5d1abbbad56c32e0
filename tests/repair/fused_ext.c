/* fused_ext.c: fixture extension module standing in for SageAttention's
 * _fused: its entry point quant_per_block_int8_cuda forwards to the Python
 * stand-in of the kernel, sageattention._fused_impl.quant_per_block_int8_cuda,
 * which reads strides as the real host code does (32 bits).
 *
 * Built twice: single-phase init (PyInit returns the module, as pybind11 2.x
 * builds it) and, with -DFUSED_MULTI_PHASE, multi-phase init (PyInit returns
 * the definition; the functions are added when the module is executed, as
 * pybind11 3 builds it). */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static PyObject *forward(PyObject *self, PyObject *args)
{
    (void)self;
    PyObject *impl = PyImport_ImportModule("sageattention._fused_impl");
    if (!impl)
        return NULL;
    PyObject *fn = PyObject_GetAttrString(impl, "quant_per_block_int8_cuda");
    Py_DECREF(impl);
    if (!fn)
        return NULL;
    PyObject *result = PyObject_Call(fn, args, NULL);
    Py_DECREF(fn);
    return result;
}

static PyMethodDef fused_methods[] = {
    {"quant_per_block_int8_cuda", forward, METH_VARARGS, "the fixture's QuantInt8 launch"},
    {NULL, NULL, 0, NULL},
};

#ifdef FUSED_MULTI_PHASE
static int fused_exec(PyObject *module)
{
    return PyModule_AddFunctions(module, fused_methods);
}

static PyModuleDef_Slot fused_slots[] = {
    {Py_mod_exec, (void *)fused_exec},
    {0, NULL},
};

static struct PyModuleDef fused_module = {
    PyModuleDef_HEAD_INIT,
    "_fused",
    "sageshim test fixture: stand-in for SageAttention's _fused (multi-phase init)",
    0,
    NULL,
    fused_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__fused(void)
{
    return PyModuleDef_Init(&fused_module);
}
#else
static struct PyModuleDef fused_module = {
    PyModuleDef_HEAD_INIT,
    "_fused",
    "sageshim test fixture: stand-in for SageAttention's _fused",
    -1,
    fused_methods,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__fused(void)
{
    return PyModule_Create(&fused_module);
}
#endif
