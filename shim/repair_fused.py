"""sageshim's repair, part 3 of 6: `_fused`'s batch strides past 32 bits.

`_fused`'s entry points truncate every stride to 32 bits before the launch
(docs: sageattention-fused.md, section 7), so with a batch of 2 or more a
batch stride of 2^32 elements or more addresses batch elements 1.. wrongly
whatever the kernel does (the hotfix makes the kernels' own offsets 64-bit).
For exactly those calls the entry point runs once per batch element, on views
of every batched argument (outputs included; each element's batch index is
then 0), writing the same values the call would with 64-bit strides.  Other
calls go straight through after one stride check per tensor argument.
"""
import functools
import sys

SPLIT_MARK = '__sageshim_split__'

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


def split_batches(real, name, tensor_type, state):
    """`real` (a _fused entry point) run once per batch element when a batch
    stride of its arguments does not fit 32 bits."""
    stride_limit = LIMITS[0]

    def entry_point(*args, **kwargs):
        batch = 0
        wide = False
        first = None
        for value in args:
            if isinstance(value, tensor_type) and value.dim() > 0:
                if not batch:
                    batch = value.size(0)
                    first = value
                if value.stride(0) >= stride_limit:
                    wide = True
        if not wide or batch < 2 or not on_target(first):
            return real(*args, **kwargs)
        say_cut(state, 'batch split',
                '%s: a batch stride does not fit 32 bits; running its %d batch elements'
                ' one at a time' % (name, batch))
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


def split_fused(fused, module_name, state):
    """Wrap the entry points `fused` has and that are not wrapped yet."""
    tensor_type = getattr(sys.modules.get('torch'), 'Tensor', None)
    if not isinstance(tensor_type, type):
        return
    wrapped = []
    for name in FUSED_ENTRY_POINTS:
        real = getattr(fused, name, None)
        if real is None or hasattr(real, SPLIT_MARK):
            continue
        setattr(fused, name, split_batches(real, '%s.%s' % (module_name, name), tensor_type,
                                           state))
        wrapped.append(name)
    if wrapped:
        log(LOG_DEBUG, 'repair: %s: %d entry points split batches past 32-bit strides'
            % (module_name, len(wrapped)))
