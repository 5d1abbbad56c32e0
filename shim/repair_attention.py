"""sageshim's repair, part 4 of 6: attention calls past 32-bit offsets.

Every attention op of `_qattn_sm80`, `_qattn_sm89` and `_qattn_sm90` takes
    (q, k, v, o, q_scale, k_scale, [v_scale,] [v_mean,] tensor_layout,
     is_causal, qk_quant_gran, sm_scale, return_lse) -> lse
writes `o` in place and returns the log-sum-exp (B, H, N) or an empty tensor
(sageattention-long.md, section 4).  The kernels write `o` and the LSE
through 32-bit offsets, and the sm_80/89 kernels read q, k and v the same
way; the host reads every stride into an `int`, and the sm_90 host builds
its tensor maps from those ints (section 2).  A call that would pass either
limit runs as pieces - batch elements, groups of key/value heads with their
query heads, and for non-causal calls ranges of query rows cut at
quantization-block boundaries - each a view of the caller's tensors with
offsets and strides that fit.  On sm_80/89/120, whose hosts want contiguous
q and k (sm_80) or v (sm_89) and whose kernels read all three in 32 bits,
the piece's q, k and v are compact copies (one piece of extra memory);
`o` is always written in place through a view.  Each query row then computes the same bytes as
in one call.  What no piece can fix raises Refused before any kernel runs.
"""
import functools
import sys

ATTENTION_MARK = '__sageshim_attention__'

# Query rows are cut at multiples of this: every CTA_Q and quantization block
# of the attention paths (64 or 128 rows) divides it.
ROW_BLOCK = 128

# Rows a kernel may address past the end of a sequence: the last block of
# query rows (CTA_Q) or keys (CTA_K) is padded to a whole block.
ROW_PADDING = 128

# Dimensions of q, k and o by tensor_layout: (batch, heads, sequence).
LAYOUT_DIMS = {0: (0, 2, 1), 1: (0, 1, 2)}     # 0 = NHD, 1 = HND


def op_family(module_name):
    """'sm90' (tensor maps: only o and the LSE in 32 bits) or 'sm80' (sm_80,
    sm_89, sm_120: q, k, v, o and the LSE in 32 bits)."""
    return 'sm90' if module_name.endswith('_qattn_sm90') else 'sm80'


# Query rows per CTA, the block the q scale counts in (upstream host code):
# 64 on sm_90, 128 on sm_80/89/120.  Both divide ROW_BLOCK.
CTA_Q = {'sm90': 64, 'sm80': 128}


class Call:
    """One attention call's arguments, named."""

    def __init__(self, args, tensor_type):
        count = 0
        while count < len(args) and isinstance(args[count], tensor_type):
            count += 1
        if count < 6 or len(args) < count + 5:
            raise ValueError('not an attention call')
        self.args = list(args)
        self.q, self.k, self.v, self.o, self.q_scale, self.k_scale = args[:6]
        self.per_kv_head = list(range(6, count))      # v_scale, v_mean: (B, H_kv, D)
        layout, causal = args[count], args[count + 1]
        self.layout = 0 if layout == 0 else 1          # the hosts read non-zero as HND
        self.causal = bool(causal)
        self.return_lse = bool(args[count + 4])
        self.dims = LAYOUT_DIMS[self.layout]
        batch_dim, head_dim, seq_dim = self.dims
        self.batch = self.q.size(batch_dim)
        self.heads = self.q.size(head_dim)
        self.rows = self.q.size(seq_dim)
        self.kv_heads = self.k.size(head_dim)
        if self.q.dim() != 4 or self.kv_heads < 1 or self.heads % self.kv_heads:
            raise ValueError('heads %d, kv heads %d' % (self.heads, self.kv_heads))
        self.group = self.heads // self.kv_heads
        # fp8 V (sm_89/90) is transposed and padded: HND (B, H_kv, D, N),
        # NHD (B, D, H_kv, N); fp16 V (sm_80) is laid out like k.
        if self.v.dtype == self.k.dtype or self.v.dtype in (
                getattr(sys.modules['torch'], 'float16', None),
                getattr(sys.modules['torch'], 'bfloat16', None)):
            self.v_dims = self.dims
        else:
            self.v_dims = (0, 1, 3) if self.layout == 1 else (0, 2, 3)


def piece_shape(tensor, dims, batch, heads, rows):
    sizes = list(tensor.size())
    batch_dim, head_dim, seq_dim = dims
    sizes[batch_dim], sizes[head_dim], sizes[seq_dim] = batch, heads, rows
    return sizes


def padded(sizes, seq_dim):
    sizes = list(sizes)
    sizes[seq_dim] = round_up(sizes[seq_dim], ROW_PADDING)
    return sizes


def contiguous_strides(sizes):
    strides, step = [], 1
    for size in reversed(sizes):
        strides.append(step)
        step *= max(size, 1)
    return list(reversed(strides))


def operand_fits(tensor, dims, sizes, addressed, copied, offset_limit, int_limit):
    """Does one operand's piece of `sizes` fit: its strides (as handed over,
    or compact when `copied`) in an int, and when the kernel addresses it in
    32 bits, its padded span below the offset limit?"""
    strides = small_strides(sizes, contiguous_strides(sizes) if copied else tensor.stride(),
                            int_limit)
    if max(strides) >= int_limit:
        return False
    return not addressed or span(padded(sizes, dims[2]), strides) <= offset_limit


def fits(call, family, batch, kv_heads, rows, offset_limit, int_limit, o_copy=False):
    """Does the piece of `batch` elements, `kv_heads` key/value heads (and
    their query heads) and `rows` query rows run with offsets and host ints
    that fit?  The model of the upstream expressions (sageattention-long.md,
    section 2), with the last block of rows padded.  On sm_80/89/120 the
    pieces of q, k and v are handed over compact (copied: those hosts want
    contiguous q and k, or v, and address all three in 32 bits); on sm_90
    they are views (tensor maps address them in 64 bits).  The output is a
    view of the caller's, or with `o_copy` a compact buffer copied back."""
    heads = kv_heads * call.group
    copied = family != 'sm90'
    operands = (
        (call.q, call.dims, piece_shape(call.q, call.dims, batch, heads, rows), copied, copied),
        (call.o, call.dims, piece_shape(call.o, call.dims, batch, heads, rows), True, o_copy),
        (call.k, call.dims, piece_shape(call.k, call.dims, batch, kv_heads,
                                        call.k.size(call.dims[2])), copied, copied),
        (call.v, call.v_dims, piece_shape(call.v, call.v_dims, batch, kv_heads,
                                          call.v.size(call.v_dims[2])), copied, copied),
    )
    for tensor, dims, sizes, addressed, compact in operands:
        if not operand_fits(tensor, dims, sizes, addressed, compact, offset_limit, int_limit):
            return False
    # LSE: batch_id * (qo_len * heads) + head_id * qo_len + row, in 32 bits.
    return batch * heads * round_up(rows, ROW_PADDING) <= offset_limit


def fits_as_given(call, family, offset_limit, int_limit):
    """Does the call run right as the caller made it: every stride of q, k,
    v and o below the int limit, and every tensor the kernel addresses in 32
    bits (o; on sm_80/89/120 also q, k, v) with its padded span below the
    offset limit?  One cheap pass, the whole cost of a call that fits."""
    for tensor, dims, addressed in ((call.o, call.dims, True),
                                    (call.q, call.dims, family != 'sm90'),
                                    (call.k, call.dims, family != 'sm90'),
                                    (call.v, call.v_dims, family != 'sm90')):
        strides = tensor.stride()
        if max(strides) >= int_limit:
            return False
        if addressed and span(padded(tensor.size(), dims[2]), strides) > offset_limit:
            return False
    return call.batch * call.heads * round_up(call.rows, ROW_PADDING) <= offset_limit


def scale_range(call, family, r0, r1):
    """The q_scale entries of rows [r0, r1): its last dimension counts
    quantization blocks of CTA_Q rows (per block, warp or thread), which a
    cut at a multiple of ROW_BLOCK never splits."""
    cta = CTA_Q[family]
    blocks = -(-call.rows // cta)
    entries = call.q_scale.size(-1)
    if entries % blocks:
        raise ValueError('q_scale of %d entries for %d rows' % (entries, call.rows))
    per_block = entries // blocks
    return r0 // cta * per_block, -(-r1 // cta) * per_block


def output_fits_as_view(view, dims, offset_limit):
    return span(padded(view.size(), dims[2]), view.stride()) <= offset_limit


def run_pieces(real, call, family, steps, offset_limit, int_limit):
    """Run `real` once per piece of `steps`; returns what one call returns.
    A piece's output is a view of the caller's `o` where that view's offsets
    fit, else a compact buffer (one piece of memory) copied back after."""
    torch = sys.modules['torch']
    batch_dim, head_dim, seq_dim = call.dims
    compact = family != 'sm90'
    lse = None
    for b0, b1, g0, g1, r0, r1 in pieces(call.batch, call.kv_heads, call.rows, steps):
        h0, h1 = g0 * call.group, g1 * call.group
        args = list(call.args)
        qo_ranges = {batch_dim: (b0, b1), head_dim: (h0, h1), seq_dim: (r0, r1)}
        args[0] = piece_view(call.q, qo_ranges, int_limit)
        output = piece_view(call.o, qo_ranges, int_limit)
        buffer = None
        if not output_fits_as_view(output, call.dims, offset_limit):
            buffer = piece_view(torch.empty(output.shape, dtype=output.dtype,
                                            device=output.device), {}, int_limit)
        args[3] = output if buffer is None else buffer
        args[1] = piece_view(call.k, {call.dims[0]: (b0, b1), call.dims[1]: (g0, g1)}, int_limit)
        args[2] = piece_view(call.v, {call.v_dims[0]: (b0, b1), call.v_dims[1]: (g0, g1)},
                             int_limit)
        if compact:
            for index in (0, 1, 2):
                args[index] = piece_view(args[index].contiguous(), {}, int_limit)
        scale_ranges = {0: (b0, b1), 1: (h0, h1)}
        if steps[2] < call.rows:
            scale_ranges[2] = scale_range(call, family, r0, r1)
        args[4] = piece_view(call.q_scale, scale_ranges, int_limit).contiguous()
        args[5] = piece_view(call.k_scale, {0: (b0, b1), 1: (g0, g1)}, int_limit).contiguous()
        for index in call.per_kv_head:
            args[index] = piece_view(call.args[index], {0: (b0, b1), 1: (g0, g1)},
                                     int_limit).contiguous()
        piece_lse = real(*args)
        if buffer is not None:
            output.copy_(buffer)
        if not call.return_lse or not isinstance(piece_lse, torch.Tensor) \
                or piece_lse.dim() != 3:
            lse = piece_lse if lse is None else lse
            continue
        if lse is None:
            lse = piece_lse.new_empty((call.batch, call.heads, call.rows))
        lse[b0:b1, h0:h1, r0:r1].copy_(piece_lse)
        del args
    return lse


def describe(call, family, steps):
    layout = 'NHD' if call.layout == 0 else 'HND'
    cuts = []
    if steps[0] < call.batch:
        cuts.append('batch')
    if steps[1] < call.kv_heads:
        cuts.append('head group')
    if steps[2] < call.rows:
        cuts.append('query range')
    count = count_pieces(call.batch, call.kv_heads, call.rows, steps)
    how = ('%d pieces by %s' % (count, ', '.join(cuts)) if cuts
           else '1 call with strides the host int holds')
    return ('%s x %d x %d, B=%d, N=%d, %s%s): %s'
            % (layout, call.heads, call.q.size(-1), call.batch, call.rows,
               'causal' if call.causal else 'non-causal',
               '' if family == 'sm90' else ', q/k/v in 32 bits', how))


def call_key(call):
    """What a plan depends on: the operands' sizes and strides, the layout
    and causality (a model, denoising step after step, repeats its shapes)."""
    return (call.layout, call.causal) + tuple(
        (tuple(t.size()), tuple(t.stride())) for t in (call.q, call.k, call.v, call.o))


def plan_call(call, family, offset_limit, int_limit):
    """The pieces for `call`, or None: views of the caller's output first;
    a compact output buffer (copied back) only where no cut of views fits,
    e.g. a causal NHD call, whose rows cannot be cut and whose output rows
    span all heads."""
    for o_copy in (False, True):
        steps = plan(call.batch, call.kv_heads, call.rows,
                     lambda b, g, r: fits(call, family, b, g, r, offset_limit, int_limit, o_copy),
                     ROW_BLOCK, not call.causal)
        if steps is not None:
            return steps
    return None


def wrap_attention(real, name, family, tensor_type, state):
    offset_limit, int_limit = LIMITS
    plans = {}

    def attention(*args, **kwargs):
        if kwargs or len(args) < 11 or not isinstance(args[0], tensor_type) \
                or not on_target(args[0]):
            return real(*args, **kwargs)
        try:
            call = Call(args, tensor_type)
        except (ValueError, IndexError, TypeError):
            return real(*args, **kwargs)
        if fits_as_given(call, family, offset_limit, int_limit):
            return real(*args)
        key = call_key(call)
        if key not in plans:
            if len(plans) >= 64:
                plans.clear()
            plans[key] = plan_call(call, family, offset_limit, int_limit)
        steps = plans[key]
        if steps is None:
            refuse(name, 'no piece of this %s call fits 32-bit offsets (%s x %d heads x %d '
                   'rows x %d; %s)' % ('causal' if call.causal else 'non-causal',
                                       'NHD' if call.layout == 0 else 'HND', call.heads,
                                       call.rows, call.q.size(-1),
                                       'a causal call is cut by batch and head only, and '
                                       'one head of it passes the limit'
                                       if call.causal else 'even one block of rows does not'))
        say_cut(state, 'attention', 'attention: offsets past 2^32 elements or strides past '
                '2^31 (%s' % describe(call, family, steps))
        return run_pieces(real, call, family, steps, offset_limit, int_limit)

    functools.update_wrapper(attention, real)
    setattr(attention, ATTENTION_MARK, real)
    return attention


def wrap_attention_module(module_object, module_name, state):
    """Wrap every public function of an attention extension module that is
    not wrapped yet (each is an attention op: section 4 of the doc)."""
    tensor_type = getattr(sys.modules.get('torch'), 'Tensor', None)
    if not isinstance(tensor_type, type):
        return
    family = op_family(module_name)
    wrapped = 0
    for name in sorted(vars(module_object)):
        real = getattr(module_object, name)
        if name.startswith('_') or not callable(real) or hasattr(real, ATTENTION_MARK) \
                or isinstance(real, type):
            continue
        setattr(module_object, name,
                wrap_attention(real, '%s.%s' % (module_name, name), family, tensor_type, state))
        wrapped += 1
    if wrapped:
        log(LOG_DEBUG, 'repair: %s: %d attention ops run in pieces past 32-bit offsets'
            % (module_name, wrapped))
