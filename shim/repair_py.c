/* repair_py.c: runs shim/repair.py (the Python side of the repair) through
 * whatever CPython runtime is in the process.
 *
 * The library is loaded into processes without Python too, so nothing here
 * links against libpython: the few C API functions used are looked up at run
 * time (all of them exported by every CPython 3.x), and each Python object is
 * an opaque pointer.  The Python code runs in a fresh private dictionary, so
 * it leaves no names in __main__ or in any user namespace. */
#include <dlfcn.h>
#include <stddef.h>
#include <sys/types.h>

#include "repair.h"
#include "shim.h"

typedef struct py_object py_object;      /* PyObject, never dereferenced */
typedef py_object *(*py_cfunction)(py_object *self, py_object *args);

/* PyMethodDef's layout, part of CPython's stable ABI. */
struct py_method_def {
    const char *name;
    py_cfunction function;
    int flags;
    const char *doc;
};

enum { PY_METH_VARARGS = 0x0001, PY_FILE_INPUT = 257 };

struct python_api {
    int (*Py_IsInitialized)(void);
    int (*PyGILState_Check)(void);
    py_object *(*Py_CompileString)(const char *source, const char *filename, int start);
    py_object *(*PyEval_EvalCode)(py_object *code, py_object *globals, py_object *locals);
    py_object *(*PyEval_GetBuiltins)(void);
    py_object *(*PyDict_New)(void);
    int (*PyDict_SetItemString)(py_object *dict, const char *key, py_object *value);
    py_object *(*PyUnicode_FromString)(const char *text);
    py_object *(*PyLong_FromLong)(long value);
    py_object *(*PyTuple_New)(ssize_t size);
    int (*PyTuple_SetItem)(py_object *tuple, ssize_t index, py_object *item);
    const char *(*PyUnicode_AsUTF8AndSize)(py_object *text, ssize_t *size);
    py_object *(*PyObject_Str)(py_object *object);
    py_object *(*PyCFunction_NewEx)(struct py_method_def *def, py_object *self,
                                    py_object *module);
    int (*PyArg_ParseTuple)(py_object *args, const char *format, ...);
    void (*PyErr_Fetch)(py_object **type, py_object **value, py_object **traceback);
    void (*PyErr_Restore)(py_object *type, py_object *value, py_object *traceback);
    void (*PyErr_Clear)(void);
    void (*Py_IncRef)(py_object *object);
    void (*Py_DecRef)(py_object *object);
    int (*PyErr_GivenExceptionMatches)(py_object *given, py_object *exception);
    py_object *(*PyObject_Type)(py_object *object);
    py_object *none;                     /* _Py_NoneStruct */
    py_object **exception;               /* &PyExc_Exception */
    py_object *module_def_type;          /* &PyModuleDef_Type */
};

/* Look one name up in the process's global scope; 0 when it is missing. */
static int find(void **slot, const char *name)
{
    *slot = shim_real_dlsym(RTLD_DEFAULT, name);
    return *slot != NULL;
}

/* Fill *api from the process; 0 when some function is missing (no Python). */
static int find_python(struct python_api *api)
{
    return find((void **)&api->Py_IsInitialized, "Py_IsInitialized")
        && find((void **)&api->PyGILState_Check, "PyGILState_Check")
        && find((void **)&api->Py_CompileString, "Py_CompileString")
        && find((void **)&api->PyEval_EvalCode, "PyEval_EvalCode")
        && find((void **)&api->PyEval_GetBuiltins, "PyEval_GetBuiltins")
        && find((void **)&api->PyDict_New, "PyDict_New")
        && find((void **)&api->PyDict_SetItemString, "PyDict_SetItemString")
        && find((void **)&api->PyUnicode_FromString, "PyUnicode_FromString")
        && find((void **)&api->PyLong_FromLong, "PyLong_FromLong")
        && find((void **)&api->PyTuple_New, "PyTuple_New")
        && find((void **)&api->PyTuple_SetItem, "PyTuple_SetItem")
        && find((void **)&api->PyUnicode_AsUTF8AndSize, "PyUnicode_AsUTF8AndSize")
        && find((void **)&api->PyObject_Str, "PyObject_Str")
        && find((void **)&api->PyCFunction_NewEx, "PyCFunction_NewEx")
        && find((void **)&api->PyArg_ParseTuple, "PyArg_ParseTuple")
        && find((void **)&api->PyErr_Fetch, "PyErr_Fetch")
        && find((void **)&api->PyErr_Restore, "PyErr_Restore")
        && find((void **)&api->PyErr_Clear, "PyErr_Clear")
        && find((void **)&api->Py_IncRef, "Py_IncRef")
        && find((void **)&api->Py_DecRef, "Py_DecRef")
        && find((void **)&api->PyErr_GivenExceptionMatches, "PyErr_GivenExceptionMatches")
        && find((void **)&api->PyObject_Type, "PyObject_Type")
        && find((void **)&api->none, "_Py_NoneStruct")
        && find((void **)&api->exception, "PyExc_Exception")
        && find((void **)&api->module_def_type, "PyModuleDef_Type");
}

/* shim/repair.py, NUL-terminated (repair_source.S embeds it at build time).
 * Its docstring says what it does and which names it expects. */
extern const char shim_repair_source[];

/* log(level, message) as seen from Python.  Only ever called while a run
 * below (or a wrapper it installed) holds the GIL, so the API looked up for
 * that run is still valid: it is looked up again here to stay stateless. */
static py_object *python_log(py_object *self, py_object *args)
{
    (void)self;
    struct python_api api;
    if (!find_python(&api))
        return NULL;
    int level = SS_LOG_INFO;
    const char *message = NULL;
    if (!api.PyArg_ParseTuple(args, "is:log", &level, &message))
        return NULL;
    if (level < SS_LOG_ERROR)
        level = SS_LOG_ERROR;
    if (level > SS_LOG_DEBUG)
        level = SS_LOG_DEBUG;
    shim_log((enum ss_log_level)level, "%s", message);
    api.Py_IncRef(api.none);
    return api.none;
}

/* Python keeps a pointer to this for as long as the function object lives. */
static struct py_method_def python_log_def = {
    "log", python_log, PY_METH_VARARGS, "sageshim: write one line to its log",
};

/* count_cut(kind) as seen from Python: one more call the repair ran as
 * pieces, for the diagnose summary (cuts.c). */
static py_object *python_count_cut(py_object *self, py_object *args)
{
    (void)self;
    struct python_api api;
    if (!find_python(&api))
        return NULL;
    const char *kind = NULL;
    if (!api.PyArg_ParseTuple(args, "s:count_cut", &kind))
        return NULL;
    shim_count_cut(kind);
    api.Py_IncRef(api.none);
    return api.none;
}

static struct py_method_def python_count_cut_def = {
    "count_cut", python_count_cut, PY_METH_VARARGS,
    "sageshim: count one call run as pieces (diagnose summary)",
};

/* The configured target architectures as a tuple of ints, e.g. (90, 120). */
static py_object *archs_tuple(const struct python_api *api)
{
    const struct ss_config *cfg = shim_config();
    size_t count = cfg ? cfg->narchs : 0;
    py_object *tuple = api->PyTuple_New((ssize_t)count);
    for (size_t i = 0; tuple && i < count; i++) {
        py_object *arch = api->PyLong_FromLong((long)cfg->archs[i]);
        /* PyTuple_SetItem takes the reference, also when it fails. */
        if (!arch || api->PyTuple_SetItem(tuple, (ssize_t)i, arch) != 0) {
            api->Py_DecRef(tuple);
            return NULL;
        }
    }
    return tuple;
}

/* Log the pending Python exception (it is cleared). */
static void log_python_error(const struct python_api *api, const char *module)
{
    py_object *type = NULL, *value = NULL, *traceback = NULL;
    api->PyErr_Fetch(&type, &value, &traceback);
    const char *text = "(no message)";
    py_object *described = NULL;
    if (value || type)
        described = api->PyObject_Str(value ? value : type);
    if (described) {
        const char *utf8 = api->PyUnicode_AsUTF8AndSize(described, NULL);
        if (utf8)
            text = utf8;
    }
    api->PyErr_Clear();
    shim_log(SS_LOG_WARN, "repair: failed after importing %s (import goes on): %s",
             module, text);
    if (described)
        api->Py_DecRef(described);
    if (type)
        api->Py_DecRef(type);
    if (value)
        api->Py_DecRef(value);
    if (traceback)
        api->Py_DecRef(traceback);
}

/* Put `value` (a new reference, may be NULL) into dict; 0 on failure. */
static int set_item(const struct python_api *api, py_object *dict, const char *key,
                    py_object *value)
{
    if (!value)
        return 0;
    int ok = api->PyDict_SetItemString(dict, key, value) == 0;
    api->Py_DecRef(value);
    return ok;
}

/* The log levels as repair.py names them. */
static const struct {
    const char *name;
    enum ss_log_level level;
} python_log_levels[] = {
    {"LOG_ERROR", SS_LOG_ERROR},
    {"LOG_WARN", SS_LOG_WARN},
    {"LOG_INFO", SS_LOG_INFO},
    {"LOG_DEBUG", SS_LOG_DEBUG},
};

/* The names repair.py expects (its docstring); 0 on failure. */
static int set_names(const struct python_api *api, py_object *globals, const char *module,
                     const char *package, py_object *extension)
{
    py_object *builtins = api->PyEval_GetBuiltins();     /* borrowed */
    if (!builtins)
        return 0;
    /* set_item takes a new reference: these two are borrowed. */
    api->Py_IncRef(builtins);
    if (!set_item(api, globals, "__builtins__", builtins))
        return 0;
    api->Py_IncRef(extension);
    int ok = set_item(api, globals, "extension", extension)
        && set_item(api, globals, "__name__", api->PyUnicode_FromString("sageshim_repair"))
        && set_item(api, globals, "module", api->PyUnicode_FromString(module))
        && set_item(api, globals, "package", api->PyUnicode_FromString(package))
        && set_item(api, globals, "log", api->PyCFunction_NewEx(&python_log_def, NULL, NULL))
        && set_item(api, globals, "count_cut",
                    api->PyCFunction_NewEx(&python_count_cut_def, NULL, NULL))
        && set_item(api, globals, "archs", archs_tuple(api));
    for (size_t i = 0; ok && i < sizeof python_log_levels / sizeof python_log_levels[0]; i++)
        ok = set_item(api, globals, python_log_levels[i].name,
                      api->PyLong_FromLong((long)python_log_levels[i].level));
    return ok;
}

/* Compile and run repair.py in a fresh dictionary; 0 with a Python
 * exception pending on failure. */
static int run_source(const struct python_api *api, const char *module, const char *package,
                      py_object *extension)
{
    py_object *code = api->Py_CompileString(shim_repair_source, "<sageshim-repair>",
                                            PY_FILE_INPUT);
    if (!code)
        return 0;
    py_object *globals = api->PyDict_New();
    int ok = globals && set_names(api, globals, module, package, extension);
    if (ok) {
        py_object *result = api->PyEval_EvalCode(code, globals, globals);
        ok = result != NULL;
        if (result)
            api->Py_DecRef(result);
    }
    if (globals)
        api->Py_DecRef(globals);
    api->Py_DecRef(code);
    return ok;
}

/* Is the pending exception one that is not an error (not an Exception:
 * KeyboardInterrupt, SystemExit, ...)?  It stays pending either way. */
static int pending_is_not_an_error(const struct python_api *api)
{
    py_object *type = NULL, *value = NULL, *traceback = NULL;
    api->PyErr_Fetch(&type, &value, &traceback);
    int passes = type && *api->exception
                 && !api->PyErr_GivenExceptionMatches(type, *api->exception);
    api->PyErr_Restore(type, value, traceback);
    return passes;
}

/* Log the pending exception that is passed on, leaving it pending. */
static void log_passed_on(const struct python_api *api, const char *module)
{
    py_object *type = NULL, *value = NULL, *traceback = NULL;
    api->PyErr_Fetch(&type, &value, &traceback);
    /* "<class 'KeyboardInterrupt'>": the class's str(), with no exception
     * pending while it runs (a metaclass could run code there). */
    py_object *described = type ? api->PyObject_Str(type) : NULL;
    const char *text = described ? api->PyUnicode_AsUTF8AndSize(described, NULL) : NULL;
    shim_log(SS_LOG_INFO, "repair: %s raised while repairing %s; passed on to the import",
             text ? text : "an exception", module);
    if (described)
        api->Py_DecRef(described);
    /* Anything PyObject_Str left behind is dropped: ours goes back. */
    api->PyErr_Clear();
    api->PyErr_Restore(type, value, traceback);
}

/* The init's result is not handed on: drop its reference, as an init that
 * fails does.  A multi-phase init returns its static PyModuleDef, which
 * holds no reference of ours and must never be released. */
static void release_extension(const struct python_api *api, py_object *extension)
{
    py_object *type = NULL, *value = NULL, *traceback = NULL;
    api->PyErr_Fetch(&type, &value, &traceback);
    py_object *extension_type = api->PyObject_Type(extension);
    if (extension_type && extension_type != api->module_def_type)
        api->Py_DecRef(extension);
    if (extension_type)
        api->Py_DecRef(extension_type);
    api->PyErr_Clear();
    api->PyErr_Restore(type, value, traceback);
}

static void drop(const struct python_api *api, py_object *object)
{
    if (object)
        api->Py_DecRef(object);
}

int repair_py_after_init(const char *module, const char *package, void *extension)
{
    struct python_api api;
    if (!find_python(&api)) {
        shim_log(SS_LOG_DEBUG, "repair: no Python runtime found; %s left as is", module);
        return 0;
    }
    if (!api.Py_IsInitialized() || !api.PyGILState_Check())
        return 0;
    /* The import machinery must see exactly the state it left. */
    py_object *saved_type = NULL, *saved_value = NULL, *saved_traceback = NULL;
    api.PyErr_Fetch(&saved_type, &saved_value, &saved_traceback);
    if (run_source(&api, module, package, extension ? extension : api.none)) {
        api.PyErr_Restore(saved_type, saved_value, saved_traceback);
        return 0;
    }
    /* A Ctrl-C (KeyboardInterrupt) or sys.exit() while the repair ran is
     * the user's, not a failure of ours: swallowing it would lose it.  It
     * stays pending and the import fails with it, as it would have had it
     * come a moment earlier, inside the extension's own init. */
    if (extension && pending_is_not_an_error(&api)) {
        log_passed_on(&api, module);
        drop(&api, saved_type);
        drop(&api, saved_value);
        drop(&api, saved_traceback);
        release_extension(&api, extension);
        return -1;
    }
    log_python_error(&api, module);
    api.PyErr_Restore(saved_type, saved_value, saved_traceback);
    return 0;
}
