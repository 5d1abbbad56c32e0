/* repair_py.c: the Python side of the repair, run through whatever CPython
 * runtime is in the process.
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
    py_object *none;                     /* _Py_NoneStruct */
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
        && find((void **)&api->PyUnicode_AsUTF8AndSize, "PyUnicode_AsUTF8AndSize")
        && find((void **)&api->PyObject_Str, "PyObject_Str")
        && find((void **)&api->PyCFunction_NewEx, "PyCFunction_NewEx")
        && find((void **)&api->PyArg_ParseTuple, "PyArg_ParseTuple")
        && find((void **)&api->PyErr_Fetch, "PyErr_Fetch")
        && find((void **)&api->PyErr_Restore, "PyErr_Restore")
        && find((void **)&api->PyErr_Clear, "PyErr_Clear")
        && find((void **)&api->Py_IncRef, "Py_IncRef")
        && find((void **)&api->Py_DecRef, "Py_DecRef")
        && find((void **)&api->none, "_Py_NoneStruct");
}

/* The Python that does the work.  `packages` (set by the caller) is the
 * package of the watched extension; `log(level, message)` writes through
 * shim_log (levels as enum ss_log_level).
 *
 * run() wraps torch.library.register_fake once per process (the wrapper
 * carries its state in an attribute, so a second run finds it) and then
 * rebinds names that an earlier import already shadowed.  The wrapper only
 * looks closer when the decorator form is called from a module
 * "<package>.*_compile"; every other call returns the original's result, with
 * the arguments passed through unchanged.  For such a call it registers the
 * fake as before and returns, instead of the fake, the op the module binds to
 * that name when the fake has the op's own name. */
static const char repair_source[] =
    "import functools\n"
    "import sys\n"
    "import types\n"
    "\n"
    "MARK = '__sageshim_repair__'\n"
    "\n"
    "\n"
    "def watched(module_name, state):\n"
    "    return (isinstance(module_name, str) and module_name.endswith('_compile')\n"
    "            and any(module_name.startswith(p + '.') for p in state['packages']))\n"
    "\n"
    "\n"
    "def note(state, module_name, namespace, name):\n"
    "    if (module_name, name) in state['repaired']:\n"
    "        return\n"
    "    state['repaired'].add((module_name, name))\n"
    "    log(2, 'repair: %s.%s -> torch.ops.%s.%s (shadowed by its fake)'\n"
    "        % (module_name, name, namespace, name))\n"
    "\n"
    "\n"
    "def shadowed_op(fn, qualname, state):\n"
    "    name = qualname.partition('::')[2]\n"
    "    module_name = getattr(fn, '__module__', None)\n"
    "    if getattr(fn, '__name__', None) != name or not watched(module_name, state):\n"
    "        return None\n"
    "    bound = getattr(sys.modules.get(module_name), '__dict__', {}).get(name)\n"
    "    if bound is None or isinstance(bound, types.FunctionType):\n"
    "        return None\n"
    "    return bound\n"
    "\n"
    "\n"
    "def wrap_register_fake(original, state):\n"
    "    def register_fake(op, *args, **kwargs):\n"
    "        result = original(op, *args, **kwargs)\n"
    "        if args or not isinstance(op, str) or '::' not in op or not callable(result):\n"
    "            return result\n"
    "        try:\n"
    "            caller = sys._getframe(1).f_globals.get('__name__')\n"
    "        except Exception:\n"
    "            caller = None\n"
    "        if not watched(caller, state):\n"
    "            return result\n"
    "\n"
    "        def decorate(fn):\n"
    "            fake = result(fn)\n"
    "            try:\n"
    "                op_object = shadowed_op(fn, op, state)\n"
    "                if op_object is None:\n"
    "                    return fake\n"
    "                note(state, fn.__module__, op.partition('::')[0], fn.__name__)\n"
    "                return op_object\n"
    "            except Exception as error:\n"
    "                log(1, 'repair: %s left as is: %r' % (op, error))\n"
    "                return fake\n"
    "        return decorate\n"
    "\n"
    "    functools.update_wrapper(register_fake, original)\n"
    "    setattr(register_fake, MARK, state)\n"
    "    return register_fake\n"
    "\n"
    "\n"
    "def fix_loaded(torch, package, state):\n"
    "    ops = getattr(torch, 'ops', None)\n"
    "    for short in ('sm80', 'sm89', 'sm90'):\n"
    "        module_name = '%s.%s_compile' % (package, short)\n"
    "        module = sys.modules.get(module_name)\n"
    "        if module is None or ops is None:\n"
    "            continue\n"
    "        namespace = '%s_%s' % (package, short)\n"
    "        for name, value in list(vars(module).items()):\n"
    "            if (not isinstance(value, types.FunctionType) or value.__name__ != name\n"
    "                    or value.__module__ != module_name):\n"
    "                continue\n"
    "            try:\n"
    "                op_object = getattr(getattr(ops, namespace), name)\n"
    "            except Exception:\n"
    "                continue\n"
    "            setattr(module, name, op_object)\n"
    "            note(state, module_name, namespace, name)\n"
    "\n"
    "\n"
    "def run(package):\n"
    "    torch = sys.modules.get('torch')\n"
    "    if torch is None:\n"
    "        if package not in sys.modules:\n"
    "            return\n"
    "        try:\n"
    "            import torch\n"
    "        except ImportError:\n"
    "            log(3, 'repair: torch is not importable; nothing to repair')\n"
    "            return\n"
    "    library = sys.modules.get('torch.library')\n"
    "    if library is None:\n"
    "        import torch.library as library\n"
    "    state = getattr(library.register_fake, MARK, None)\n"
    "    if not isinstance(state, dict):\n"
    "        state = {'packages': set(), 'repaired': set()}\n"
    "        library.register_fake = wrap_register_fake(library.register_fake, state)\n"
    "        log(3, 'repair: torch.library.register_fake wrapped')\n"
    "    state['packages'].add(package)\n"
    "    fix_loaded(torch, package, state)\n"
    "\n"
    "\n"
    "run(package)\n";

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

/* Compile and run repair_source in a fresh dictionary; 0 with a Python
 * exception pending on failure. */
static int run_source(const struct python_api *api, const char *package)
{
    py_object *code = api->Py_CompileString(repair_source, "<sageshim-repair>",
                                            PY_FILE_INPUT);
    if (!code)
        return 0;
    py_object *globals = api->PyDict_New();
    py_object *builtins = api->PyEval_GetBuiltins();     /* borrowed */
    int ok = globals && builtins;
    if (ok) {
        api->Py_IncRef(builtins);
        ok = set_item(api, globals, "__builtins__", builtins)
            && set_item(api, globals, "__name__", api->PyUnicode_FromString("sageshim_repair"))
            && set_item(api, globals, "package", api->PyUnicode_FromString(package))
            && set_item(api, globals, "log",
                        api->PyCFunction_NewEx(&python_log_def, NULL, NULL));
    }
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

void repair_py_after_init(const char *module, const char *package)
{
    struct python_api api;
    if (!find_python(&api)) {
        shim_log(SS_LOG_DEBUG, "repair: no Python runtime found; %s left as is", module);
        return;
    }
    if (!api.Py_IsInitialized() || !api.PyGILState_Check())
        return;
    /* The import machinery must see exactly the state it left. */
    py_object *saved_type = NULL, *saved_value = NULL, *saved_traceback = NULL;
    api.PyErr_Fetch(&saved_type, &saved_value, &saved_traceback);
    if (!run_source(&api, package))
        log_python_error(&api, module);
    api.PyErr_Restore(saved_type, saved_value, saved_traceback);
}
