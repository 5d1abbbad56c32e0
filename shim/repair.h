/* repair.h: what repair.c (the PyInit_ wrappers) and repair_py.c (the Python
 * that fixes SageAttention's shadowed op) share. */
#ifndef SAGESHIM_REPAIR_H
#define SAGESHIM_REPAIR_H

/* An extension module's PyInit_<name>: returns a new reference to the module
 * (or a module definition), NULL with an exception set on failure. */
typedef void *(*repair_init_fn)(void);

/* Called right after the real init of the watched extension `module` (dotted
 * name) of `package` returned successfully, with the GIL held by the
 * importer.  Installs the register_fake wrapper (once per process) and
 * rebinds shadowed names of already imported modules.  Does nothing where no
 * Python runtime is in the process; never leaves an exception behind. */
void repair_py_after_init(const char *module, const char *package);

#endif
