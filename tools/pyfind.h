/* pyfind.h: the Python interpreter doctor inspects, and its SageAttention. */
#ifndef SAGESHIM_PYFIND_H
#define SAGESHIM_PYFIND_H

#include <stddef.h>

/* The interpreter: `given` (--python), else ComfyUI's python_embeded/,
 * venv/ or .venv/ in start_dir or its parent, else "python3".  `how` says
 * which.  Returns 0. */
int py_choose(const char *given, const char *start_dir, char *python, size_t len, char *how,
              size_t howlen);

/* sageattention's directory for that interpreter, found without importing
 * it (importlib.util.find_spec).  0: found; 1: not installed; -1: the
 * interpreter did not run (why says what it printed). */
int py_locate(const char *python, char *dir, size_t len, char *why, size_t whylen);

/* `import sageattention` in that interpreter: 0, or -1 with the last line of
 * the error (e.g. "ModuleNotFoundError: No module named 'torch'") in why. */
int py_try_import(const char *python, char *why, size_t whylen);

#endif
