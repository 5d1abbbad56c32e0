/* forward_ext.c: a stand-in extension module of SageAttention for the GPU
 * suite, built with multi-phase init as pybind11 3 (torch 2.11) builds the
 * real ones: PyInit_<MODULE> returns only the definition, and the module's
 * functions are added when the import machinery executes it.  They are the
 * callables that sageattention.<MODULE>_impl lists in OPS (the host code and
 * Triton kernels of the stand-in, tests/gpu/pieces/site).
 *
 *   cc -shared -fPIC -DMODULE=_qattn_sm90 -I<python include> forward_ext.c
 *      -o _qattn_sm90<EXT_SUFFIX> */
#define PY_SSIZE_T_CLEAN
#include <Python.h>

#define STRING2(x) #x
#define STRING(x) STRING2(x)
#define JOIN2(a, b) a##b
#define JOIN(a, b) JOIN2(a, b)

static int forward_exec(PyObject *module)
{
    PyObject *impl = PyImport_ImportModule("sageattention." STRING(MODULE) "_impl");
    if (!impl)
        return -1;
    PyObject *names = PyObject_GetAttrString(impl, "OPS");
    int status = names ? 0 : -1;
    Py_ssize_t count = names ? PySequence_Size(names) : -1;
    for (Py_ssize_t i = 0; status == 0 && i < count; i++) {
        PyObject *name = PySequence_GetItem(names, i);
        PyObject *function = name ? PyObject_GetAttr(impl, name) : NULL;
        if (!function || PyObject_SetAttr(module, name, function) != 0)
            status = -1;
        Py_XDECREF(function);
        Py_XDECREF(name);
    }
    Py_XDECREF(names);
    Py_DECREF(impl);
    return status;
}

static PyModuleDef_Slot forward_slots[] = {
    {Py_mod_exec, (void *)forward_exec},
    {0, NULL},
};

static struct PyModuleDef forward_module = {
    PyModuleDef_HEAD_INIT,
    STRING(MODULE),
    "sageshim GPU suite: stand-in extension module (multi-phase init)",
    0,
    NULL,
    forward_slots,
    NULL,
    NULL,
    NULL,
};

PyMODINIT_FUNC JOIN(PyInit_, MODULE)(void)
{
    return PyModuleDef_Init(&forward_module);
}
