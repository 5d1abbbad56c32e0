/* qattn_ext.c: fixture extension module standing in for SageAttention's
 * _qattn_sm90 - an empty module; the tests only need its PyInit to run. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

static struct PyModuleDef qattn_module = {
    PyModuleDef_HEAD_INIT,
    "_qattn_sm90",
    "sageshim test fixture: empty stand-in for SageAttention's _qattn_sm90",
    -1,
    NULL,
    NULL,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC PyInit__qattn_sm90(void)
{
    return PyModule_Create(&qattn_module);
}
