"""sageshim's Python repair of SageAttention, run inside the user's process:
part 6 of 6, the entry.

shim/repair_py.c embeds the repair's files (shim/repair_source.S: pieces,
common, fused, attention, triton, then this one) and runs them, right after
the init of a watched extension module (`repair_modules`) returned, in a
fresh private dictionary holding these names, and nothing else of ours:

  module     the watched extension's dotted name ("sageattention._qattn_sm90")
  package    its package ("sageattention")
  extension  what the extension's PyInit returned: the module (single-phase
             init) or its definition (multi-phase init, as pybind11 3 and so
             torch 2.11's extensions build it)
  archs      the configured target architectures, e.g. (90, 120)
  log        log(level, message): one line in sageshim's log
  count_cut  count_cut(kind): one more cut call for the diagnose summary
  LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG   the levels log() takes

It does these things, each once per process whatever the number of runs (the
state lives on the register_fake wrapper it installs, so a second run finds
it):

1. SageAttention 2.2.0's sm90_compile.py defines the fake of a custom op
   under the op's own name, so the module attribute ends up bound to the fake
   and no attention kernel runs.  torch.library.register_fake is wrapped: for
   exactly that clash (the decorator form called from a module
   "<package>.*_compile", the fake named like the op) the fake is registered
   as before and the decorator returns the op instead.  Every other call gets
   the original's result, arguments unchanged except that the stack level
   torch uses to find the registering code counts this wrapper's frame.
   Names an earlier import already shadowed are rebound.

2. Long inputs: the functions of the watched extension modules (`_fused`'s
   entry points, the `_qattn_smXX` attention ops) and the Triton kernels of
   the package's quantizers and attention are wrapped so that a call whose
   offsets would pass 32 bits runs as pieces that fit (repair_fused.py,
   repair_attention.py, repair_triton.py), only on devices in `archs`.  A
   module built with multi-phase init has no functions when its PyInit
   returns: the loader importing it is found in the calling frames and its
   module is wrapped right after the import machinery executed it.

Nothing here imports SageAttention, and torch only where the package is
already imported.  Tested on its own by tests/repair/test_repair_py.py
(stub torch) and tests/pieces/ (real torch), inside the shim by
tests/repair/check_repair and tests/pieces/check_pieces.
"""
import functools
import inspect
import sys
import types

MARK = '__sageshim_repair__'
EXEC_MARK = '__sageshim_exec__'


def in_package(module_name, state):
    return (isinstance(module_name, str)
            and any(module_name == p or module_name.startswith(p + '.')
                    for p in state['packages']))


def watched(module_name, state):
    return in_package(module_name, state) and module_name.endswith('_compile')


# ---- 1. register_fake -------------------------------------------------------

def note(state, module_name, namespace, name):
    if (module_name, name) in state['repaired']:
        return
    state['repaired'].add((module_name, name))
    log(LOG_INFO, 'repair: %s.%s -> torch.ops.%s.%s (shadowed by its fake)'
        % (module_name, name, namespace, name))


def shadowed_op(fn, qualname, state):
    name = qualname.partition('::')[2]
    module_name = getattr(fn, '__module__', None)
    if getattr(fn, '__name__', None) != name or not watched(module_name, state):
        return None
    bound = getattr(sys.modules.get(module_name), '__dict__', {}).get(name)
    if bound is None or isinstance(bound, types.FunctionType):
        return None
    return bound


def stacklevel_default(function):
    """The default of `function`'s _stacklevel keyword, or None when it has none."""
    try:
        parameter = inspect.signature(function).parameters.get('_stacklevel')
    except (TypeError, ValueError):
        return None
    if parameter is None or parameter.default is inspect.Parameter.empty:
        return None
    return parameter.default


def wrap_register_fake(original, state):
    # torch finds the code that registers a fake (for its messages and its
    # check of a library's Python module) by going `_stacklevel` frames up
    # from the function that receives it.  Where this wrapper's frame sits
    # between the caller and that function, the level passed on counts it.
    default_level = stacklevel_default(original)

    def register_fake(op, *args, **kwargs):
        try:
            caller = sys._getframe(1).f_globals.get('__name__')
        except Exception:
            caller = None
        if in_package(caller, state):
            wrap_loaded(state)
        repairing = (not args and isinstance(op, str) and '::' in op
                     and watched(caller, state))
        # The direct form register_fake(op, fn) registers from inside the
        # original; the repaired decorator form from inside decorate() below.
        # The plain decorator form is called by the caller itself.
        if default_level is not None and (args or repairing):
            kwargs['_stacklevel'] = kwargs.get('_stacklevel', default_level) + 1
        result = original(op, *args, **kwargs)
        if not repairing or not callable(result):
            return result

        def decorate(fn):
            fake = result(fn)
            try:
                op_object = shadowed_op(fn, op, state)
                if op_object is None:
                    return fake
                note(state, fn.__module__, op.partition('::')[0], fn.__name__)
                return op_object
            except Exception as error:
                log(LOG_WARN, 'repair: %s left as is: %r' % (op, error))
                return fake
        return decorate

    functools.update_wrapper(register_fake, original)
    setattr(register_fake, MARK, state)
    return register_fake


def fix_loaded(torch, package, state):
    ops = getattr(torch, 'ops', None)
    for short in ('sm80', 'sm89', 'sm90'):
        module_name = '%s.%s_compile' % (package, short)
        module = sys.modules.get(module_name)
        if module is None or ops is None:
            continue
        namespace = '%s_%s' % (package, short)
        for name, value in list(vars(module).items()):
            if (not isinstance(value, types.FunctionType) or value.__name__ != name
                    or value.__module__ != module_name):
                continue
            try:
                op_object = getattr(getattr(ops, namespace), name)
            except Exception:
                continue
            setattr(module, name, op_object)
            note(state, module_name, namespace, name)


# ---- 2. wrapping what a module gives, when it gives it ----------------------------

def wrap_module(module_object, module_name, state):
    """Wrap the long-input entry points of one watched extension module."""
    short = module_name.rpartition('.')[2]
    if short == '_fused':
        split_fused(module_object, module_name, state)
    elif short.startswith('_qattn_sm'):
        wrap_attention_module(module_object, module_name, state)


def wrap_loaded(state):
    """Everything watched that is imported by now: the extension modules
    seen (a multi-phase one once executed) and the package's Triton modules."""
    for module_name in sorted(state['extensions']):
        module_object = sys.modules.get(module_name)
        if isinstance(module_object, types.ModuleType):
            try:
                wrap_module(module_object, module_name, state)
            except Exception as error:
                log(LOG_WARN, 'repair: %s: long inputs not wrapped: %r' % (module_name, error))
    try:
        wrap_triton_modules(state)
    except Exception as error:
        log(LOG_WARN, 'repair: Triton kernels not wrapped: %r' % (error,))


def loader_of(module_name):
    """The loader importing `module_name` right now, found in the calling
    frames (importlib's create_module and module_from_spec hold the spec)."""
    frame = sys._getframe(1)
    try:
        while frame is not None:
            spec = frame.f_locals.get('spec')
            if getattr(spec, 'name', None) == module_name:
                return getattr(spec, 'loader', None)
            frame = frame.f_back
    finally:
        del frame
    return None


def after_exec(module_name, state):
    """Have the loader of `module_name` (multi-phase init: its PyInit only
    returned the definition) wrap the module right after it executed it.
    The loader gets its own method back at once."""
    loader = loader_of(module_name)
    if loader is None or hasattr(loader.exec_module, EXEC_MARK):
        return loader is not None
    real_exec = loader.exec_module

    def exec_module(module_object):
        try:
            real_exec(module_object)
        finally:
            try:
                del loader.exec_module
            except AttributeError:
                pass
        wrap_loaded(state)

    setattr(exec_module, EXEC_MARK, True)
    loader.exec_module = exec_module
    return True


# ---- entry -----------------------------------------------------------------------

def run(module, package, extension):
    torch = sys.modules.get('torch')
    if torch is None:
        if package not in sys.modules:
            return
        try:
            import torch
        except ImportError:
            log(LOG_DEBUG, 'repair: torch is not importable; nothing to repair')
            return
    library = sys.modules.get('torch.library')
    if library is None:
        import torch.library as library
    state = getattr(library.register_fake, MARK, None)
    if not isinstance(state, dict):
        state = {'packages': set(), 'repaired': set(), 'extensions': set()}
        library.register_fake = wrap_register_fake(library.register_fake, state)
        log(LOG_DEBUG, 'repair: torch.library.register_fake wrapped')
    state['packages'].add(package)
    state['extensions'].add(module)
    fix_loaded(torch, package, state)
    if isinstance(extension, types.ModuleType):
        # Single-phase init: the module is complete (and not yet in
        # sys.modules: the importer adds it when this returns).
        wrap_module(extension, module, state)
    elif extension is not None and not after_exec(module, state):
        log(LOG_DEBUG, 'repair: %s: no loader found; wrapped at the next call from '
            'its package' % module)
    wrap_loaded(state)


if __name__ == 'sageshim_repair':
    run(module, package, extension)
