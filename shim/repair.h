/* repair.h: what repair.c (the PyInit_ wrappers) and repair_py.c (which runs
 * shim/repair.py) share. */
#ifndef SAGESHIM_REPAIR_H
#define SAGESHIM_REPAIR_H

/* An extension module's PyInit_<name>: returns a new reference to the module
 * (or a module definition), NULL with an exception set on failure. */
typedef void *(*repair_init_fn)(void);

/* Called right after the real init of the watched extension `module` (dotted
 * name) of `package` returned `extension` (not NULL: a module or a module
 * definition), with the GIL held by the importer.  Runs repair.py: installs
 * the register_fake wrapper (once per process), rebinds shadowed names of
 * already imported modules, and for a `_fused` module wraps its entry points
 * (batch strides past 32 bits).  Does nothing where no Python runtime is in
 * the process.  Returns 0 and leaves no exception behind (an error in the
 * repair is logged and cleared), or -1 when the repair was interrupted by
 * an exception that is not an error (KeyboardInterrupt, SystemExit): it is
 * left pending and the reference `extension` held has been released, so
 * the init must return NULL. */
int repair_py_after_init(const char *module, const char *package, void *extension);

#endif
