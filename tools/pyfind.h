/* pyfind.h: the Python interpreter doctor inspects, and its SageAttention. */
#ifndef SAGESHIM_PYFIND_H
#define SAGESHIM_PYFIND_H

#include <limits.h>
#include <stddef.h>
#include <sys/types.h>

struct py_choice {
    int found;                  /* 0: no interpreter to ask */
    char python[PATH_MAX];
    char why[PATH_MAX + 160];   /* how it was chosen, for a person */
    char looked[4096];          /* where doctor looked (for "nothing to check") */
    char skipped[4096];         /* "PATH: REASON\n" per interpreter found but not run */
};

/* The interpreter: `given` (--python, run as given: the user's choice);
 * else the first one of ComfyUI's layouts - python_embeded/bin/python*,
 * python_embeded/python*, venv/bin/python*, .venv/bin/python* - in
 * start_dir, then in its parent (the portable build keeps ComfyUI/ beside
 * python_embeded/), then $VIRTUAL_ENV/bin, then $CONDA_PREFIX/bin; an
 * interpreter that py_interpreter_trusted refuses is skipped and named in
 * `skipped`.  No other fallback: python3 on PATH may well not be the Python
 * that runs ComfyUI. */
void py_choose(const char *given, const char *start_dir, struct py_choice *c);

/* pytrust.c: may doctor run the interpreter at `path` without being asked
 * to?  1, or 0 with the component and the reason in why (rule: pytrust.c). */
int py_interpreter_trusted(const char *path, uid_t uid, char *why, size_t len);

enum py_located { PY_FOUND, PY_NOT_INSTALLED, PY_DID_NOT_RUN };

/* sageattention's directory for that interpreter, found without importing
 * it (importlib.util.find_spec); `why` says what went wrong (did not run,
 * timed out, gave no answer) or, when found, the interpreter's version. */
enum py_located py_locate(const char *python, unsigned timeout_s, char *dir, size_t len,
                          char *why, size_t whylen);

/* `import sageattention` in that interpreter.  0: it imports; -1: it does
 * not, with the error in why ("ModuleNotFoundError: No module named 'x'")
 * and, for a missing module, its name in missing (else ""); -2: no answer
 * (timed out, or did not run), why says which. */
int py_try_import(const char *python, unsigned timeout_s, char *why, size_t whylen,
                  char *missing, size_t missing_len);

#endif
