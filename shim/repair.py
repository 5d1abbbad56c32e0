"""sageshim's Python repair of SageAttention, run inside the user's process.

shim/repair_py.c embeds this file (shim/repair_source.S) and runs it, right
after the init of a watched extension module (`repair_modules`) returned, in
a fresh private dictionary holding these names, and nothing else of ours:

  module     the watched extension's dotted name ("sageattention._qattn_sm90")
  package    its package ("sageattention")
  extension  what the extension's PyInit returned: the module (single-phase
             init) or its definition (multi-phase init)
  log        log(level, message): one line in sageshim's log
  LOG_ERROR, LOG_WARN, LOG_INFO, LOG_DEBUG   the levels log() takes

It does two things, each once per process whatever the number of runs (the
state lives on the wrapper it installs, so a second run finds it):

1. SageAttention 2.2.0's sm90_compile.py defines the fake of a custom op
   under the op's own name, so the module attribute ends up bound to the fake
   and no attention kernel runs.  torch.library.register_fake is wrapped: for
   exactly that clash (the decorator form called from a module
   "<package>.*_compile", the fake named like the op) the fake is registered
   as before and the decorator returns the op instead.  Every other call gets
   the original's result, arguments unchanged except that the stack level
   torch uses to find the registering code counts this wrapper's frame.
   Names an earlier import already shadowed are rebound.

2. `_fused`'s entry points truncate every stride to 32 bits before the
   launch (docs: sageattention-fused.md, section 7), so with a batch of 2 or
   more a batch stride of 2^32 elements or more addresses batch elements 1..
   wrongly whatever the kernel does.  For exactly those calls the entry point
   runs once per batch element, on views of every batched argument (outputs
   included; each element's batch index is then 0), writing the same values
   the call would with 64-bit strides.  Other calls go straight through after
   one stride check per tensor argument.

Nothing here imports SageAttention, and torch only where the package is
already imported.  Tested on its own by tests/repair/test_repair_py.py
(stub torch) and inside the shim by tests/repair/check_repair.
"""
import functools
import inspect
import sys
import types

MARK = '__sageshim_repair__'
SPLIT_MARK = '__sageshim_split__'

# A stride the host converts to 32 bits loses information from here on.
STRIDE_LIMIT = 1 << 32

# `_fused`'s Python entry points (sageattention-fused.md, section 1); each
# takes batched tensors (batch first) and scalars, and returns nothing.
FUSED_ENTRY_POINTS = (
    'quant_per_block_int8_cuda',
    'quant_per_block_int8_fuse_sub_mean_cuda',
    'quant_per_warp_int8_cuda',
    'sub_mean_cuda',
    'transpose_pad_permute_cuda',
    'scale_fuse_quant_cuda',
    'mean_scale_fuse_quant_cuda',
)


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
            try:
                split_loaded(state)
            except Exception as error:
                log(LOG_WARN, 'repair: batch splitting not set up: %r' % (error,))
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


# ---- 2. batch strides past 32 bits in _fused -----------------------------------

def split_batches(real, name, tensor_type, split_state):
    """`real` (a _fused entry point) run once per batch element when a batch
    stride of its arguments does not fit 32 bits."""

    def entry_point(*args, **kwargs):
        batch = 0
        wide = False
        for value in args:
            if isinstance(value, tensor_type) and value.dim() > 0:
                if not batch:
                    batch = value.size(0)
                if value.stride(0) >= STRIDE_LIMIT:
                    wide = True
        if not wide or batch < 2:
            return real(*args, **kwargs)
        if not split_state['logged']:
            split_state['logged'] = True
            log(LOG_INFO, 'repair: %s: a batch stride does not fit 32 bits; running its %d'
                ' batch elements one at a time (logged once per process)' % (name, batch))
        results = []
        for index in range(batch):
            part = [value.narrow(0, index, 1)
                    if isinstance(value, tensor_type) and value.dim() > 0
                    and value.size(0) == batch else value
                    for value in args]
            results.append(real(*part, **kwargs))
        return concatenate(results)

    functools.update_wrapper(entry_point, real)
    setattr(entry_point, SPLIT_MARK, real)
    return entry_point


def concatenate(results):
    """The per-element results as one: None stays None, tensors are joined
    along the batch dimension, tuples element by element."""
    first = results[0]
    if first is None:
        return None
    if isinstance(first, tuple):
        return tuple(concatenate([r[i] for r in results]) for i in range(len(first)))
    return sys.modules['torch'].cat(results, 0)


def split_module(fused, module_name, state):
    """Wrap the entry points `fused` has and that are not wrapped yet."""
    tensor_type = getattr(sys.modules.get('torch'), 'Tensor', None)
    if not isinstance(fused, types.ModuleType) or not isinstance(tensor_type, type):
        return
    split_state = state.setdefault('split', {'logged': False})
    wrapped = []
    for name in FUSED_ENTRY_POINTS:
        real = getattr(fused, name, None)
        if real is None or hasattr(real, SPLIT_MARK):
            continue
        setattr(fused, name, split_batches(real, '%s.%s' % (module_name, name), tensor_type,
                                           split_state))
        wrapped.append(name)
    if wrapped:
        log(LOG_DEBUG, 'repair: %s: %d entry points split batches past 32-bit strides'
            % (module_name, len(wrapped)))


def split_loaded(state):
    """The watched _fused modules imported by now (a module built with
    multi-phase init gets its functions after its PyInit returned: it is
    wrapped at the next call of register_fake from its package)."""
    for module_name in state['fused']:
        fused = sys.modules.get(module_name)
        if fused is not None:
            split_module(fused, module_name, state)


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
        state = {'packages': set(), 'repaired': set(), 'fused': set()}
        library.register_fake = wrap_register_fake(library.register_fake, state)
        log(LOG_DEBUG, 'repair: torch.library.register_fake wrapped')
    state['packages'].add(package)
    fix_loaded(torch, package, state)
    if module.rpartition('.')[2] == '_fused':
        state['fused'].add(module)
        split_module(extension, module, state)
    split_loaded(state)


if __name__ == 'sageshim_repair':
    run(module, package, extension)
