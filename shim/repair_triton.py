"""sageshim's repair, part 5 of 6: SageAttention's Triton kernels past 2^31.

The Triton Q/K quantizers (the default path on sm_90 and sm_89/120) and the
Triton attention address their tensors as `base + off_b * stride_z + off_h *
stride_h + row * stride_n + column` in 32-bit signed arithmetic (Triton hands
an int below 2^31 over as i32): past 2^31 the address goes negative and the
launch ends in an illegal memory access that kills the CUDA context
(sageattention-long.md, section 3).  The kernels are globals of their
modules, looked up each time the module's function runs and launched as
`kernel[grid](...)` with grid (row blocks, heads, batch); the module's global
is replaced by a proxy whose launch runs the same kernel over pieces of that
grid - a range of batch elements, heads and row blocks, each handed base
pointers at its first element so that every offset inside it fits.  Every
program of the kernel computes the same bytes as in one launch: a quantizer's
block depends only on its own rows, and an attention row only on its query
row, all keys and its scales.  Launches that fit go straight to the kernel.
"""
import sys

PROXY_MARK = '__sageshim_kernel__'

# The quantizers' launch: (Input, Output, Scale, L, stride_iz, stride_ih,
# stride_in, stride_oz, stride_oh, stride_on, stride_sz, stride_sh, ...,
# C=head_dim, BLK=rows) with grid (programs along rows, heads, batch).  The
# number is how many programs share one block of BLK rows (the per-thread
# kernels split a block among 8 or 4 of them); the scale a program writes is
# at its own index along the grid's first dimension.
QUANTIZERS = {
    'quant_per_block_int8_kernel': 1,
    'quant_query_per_thread_int8_kernel': 8,
    'quant_key_per_thread_int8_kernel': 4,
    'quant_query_per_thread_int4_kernel': 8,
    'quant_key_per_thread_int4_kernel': 4,
}

# The attention kernel of the Triton path (non-causal and causal modules):
# (Q, K, V, Q_scale, K_scale, Out, Lse, 12 strides (q, k, v, o: z, h, n),
# qo_len, kv_len, H, num_kv_groups, BLOCK_M=, BLOCK_N=, HEAD_DIM=, ...)
# with grid (cdiv(qo_len, BLOCK_M), heads, batch).  Its scale offsets are
# computed from H, qo_len and kv_len, so a piece gets its own compact scales.
ATTENTION_KERNELS = ('_attn_fwd',)


def shifted(tensor, elements):
    """A one-element view of `tensor`'s memory `elements` past its start:
    what a Triton launch reads as the base pointer of a piece."""
    if elements == 0:
        return tensor
    return tensor.as_strided((1,), (1,), tensor.storage_offset() + elements)


def grid_of(grid):
    if not isinstance(grid, tuple) or not 1 <= len(grid) <= 3 \
            or not all(isinstance(g, int) for g in grid):
        return None
    return tuple(grid) + (1,) * (3 - len(grid))


class QuantizerLaunch:
    """One quantizer launch, named."""

    def __init__(self, args, kwargs, grid, per_block):
        (self.input, self.output, self.scale, self.length) = args[:4]
        self.input_strides = args[4:7]
        self.output_strides = args[7:10]
        self.scale_strides = args[10:12]
        self.rest = args[12:]
        self.kwargs = kwargs
        self.rows_per_block = kwargs['BLK']
        self.columns = kwargs['C']
        self.per_block = per_block
        self.programs, self.heads, self.batch = grid
        self.blocks = -(-self.programs // per_block)

    def fits(self, batch, heads, blocks, int_limit):
        rows = blocks * self.rows_per_block
        for strides in (self.input_strides, self.output_strides):
            if span((batch, heads, rows, self.columns), tuple(strides) + (1,)) > int_limit:
                return False
        return True

    def run(self, kernel, steps):
        zb, hb, nb = self.input_strides
        zo, ho, no = self.output_strides
        zs, hs = self.scale_strides
        for b0, b1, h0, h1, k0, k1 in pieces(self.batch, self.heads, self.blocks, steps):
            row0 = k0 * self.rows_per_block
            program0 = k0 * self.per_block
            programs = min(k1 * self.per_block, self.programs) - program0
            args = (shifted(self.input, b0 * zb + h0 * hb + row0 * nb),
                    shifted(self.output, b0 * zo + h0 * ho + row0 * no),
                    shifted(self.scale, b0 * zs + h0 * hs + program0),
                    self.length - row0) + tuple(self.input_strides) \
                + tuple(self.output_strides) + tuple(self.scale_strides) + tuple(self.rest)
            kernel[(programs, h1 - h0, b1 - b0)](*args, **self.kwargs)


class AttentionLaunch:
    """One Triton attention launch, named."""

    def __init__(self, args, kwargs, grid):
        (self.q, self.k, self.v, self.q_scale, self.k_scale, self.out, self.lse) = args[:7]
        strides = args[7:19]
        self.q_strides, self.k_strides = strides[0:3], strides[3:6]
        self.v_strides, self.o_strides = strides[6:9], strides[9:12]
        self.rows, self.kv_rows, self.heads, self.group = args[19:23]
        self.rest = args[23:]
        self.kwargs = kwargs
        self.block_m = kwargs['BLOCK_M']
        self.block_n = kwargs['BLOCK_N']
        self.columns = kwargs['HEAD_DIM']
        self.return_lse = bool(kwargs.get('RETURN_LSE', False))
        self.batch = grid[2]
        self.kv_heads = self.heads // self.group

    def fits(self, batch, kv_heads, rows, int_limit):
        heads = kv_heads * self.group
        rows = round_up(rows, self.block_m)
        for strides in (self.q_strides, self.o_strides):
            if span((batch, heads, rows, self.columns), tuple(strides) + (1,)) > int_limit:
                return False
        for strides in (self.k_strides, self.v_strides):
            if span((batch, kv_heads, self.block_n, self.columns),
                    tuple(strides) + (1,)) > int_limit:
                return False
        return batch * heads * rows <= int_limit

    def run(self, kernel, steps):
        torch = sys.modules['torch']
        q_blocks = -(-self.rows // self.block_m)
        k_blocks = -(-self.kv_rows // self.block_n)
        q_scale = self.q_scale.reshape(-1)[:self.batch * self.heads * q_blocks] \
            .view(self.batch, self.heads, q_blocks)
        k_scale = self.k_scale.reshape(-1)[:self.batch * self.kv_heads * k_blocks] \
            .view(self.batch, self.kv_heads, k_blocks)
        lse = self.lse.view(self.batch, self.heads, self.rows) if self.return_lse else None
        zq, hq, nq = self.q_strides
        zk, hk, _ = self.k_strides
        zv, hv, _ = self.v_strides
        zo, ho, no = self.o_strides
        for b0, b1, g0, g1, r0, r1 in pieces(self.batch, self.kv_heads, self.rows, steps):
            h0, h1 = g0 * self.group, g1 * self.group
            blocks0, blocks1 = r0 // self.block_m, -(-r1 // self.block_m)
            piece_lse = (torch.empty((b1 - b0, h1 - h0, r1 - r0), dtype=self.lse.dtype,
                                     device=self.lse.device)
                         if self.return_lse else self.lse)
            args = (shifted(self.q, b0 * zq + h0 * hq + r0 * nq),
                    shifted(self.k, b0 * zk + g0 * hk),
                    shifted(self.v, b0 * zv + g0 * hv),
                    q_scale[b0:b1, h0:h1, blocks0:blocks1].contiguous(),
                    k_scale[b0:b1, g0:g1].contiguous(),
                    shifted(self.out, b0 * zo + h0 * ho + r0 * no),
                    piece_lse) + tuple(self.q_strides) + tuple(self.k_strides) \
                + tuple(self.v_strides) + tuple(self.o_strides) \
                + (r1 - r0, self.kv_rows, h1 - h0, self.group) + tuple(self.rest)
            kernel[(blocks1 - blocks0, h1 - h0, b1 - b0)](*args, **self.kwargs)
            if self.return_lse:
                lse[b0:b1, h0:h1, r0:r1].copy_(piece_lse)


class KernelProxy:
    """Stands in for one @triton.jit kernel in its module's globals: launches
    that fit (or are not on a device in `archs`) go to the kernel as they
    are; others run in pieces.  Everything else is the kernel's."""

    def __init__(self, kernel, name, kind, per_block, causal, state):
        self.__dict__.update(kernel=kernel, name=name, kind=kind, per_block=per_block,
                             causal=causal, state=state, plans={})
        setattr(self, PROXY_MARK, kernel)

    def __getattr__(self, attribute):
        return getattr(self.kernel, attribute)

    def __getitem__(self, grid):
        launch = self.kernel[grid]

        def run(*args, **kwargs):
            sizes = grid_of(grid)
            if sizes is None or not args or not on_target(args[0]):
                return launch(*args, **kwargs)
            try:
                if self.kind == 'quantizer':
                    call = QuantizerLaunch(args, kwargs, sizes, self.per_block)
                else:
                    call = AttentionLaunch(args, kwargs, sizes)
            except (KeyError, ValueError, TypeError, IndexError):
                return launch(*args, **kwargs)
            return launch_in_pieces(self, launch, call, args, kwargs)
        return run


def launch_in_pieces(proxy, launch, call, args, kwargs):
    int_limit = LIMITS[1]
    if proxy.kind == 'quantizer':
        units, row_units, block = call.heads, call.blocks, 1
        whole = (call.batch, call.heads, call.blocks)
    else:
        units, row_units, block = call.kv_heads, call.rows, call.block_m
        whole = (call.batch, call.kv_heads, call.rows)
    if call.fits(whole[0], whole[1], whole[2], int_limit):
        return launch(*args, **kwargs)
    # One plan per launch geometry (a model repeats its shapes).
    key = whole + tuple(a for a in args if isinstance(a, int)) + tuple(sorted(
        (k, v) for k, v in kwargs.items() if isinstance(v, int)))
    if key not in proxy.plans:
        if len(proxy.plans) >= 64:
            proxy.plans.clear()
        proxy.plans[key] = plan(call.batch, units, row_units,
                                lambda b, h, r: call.fits(b, h, r, int_limit), block,
                                not proxy.causal)
    steps = proxy.plans[key]
    if steps is None:
        refuse('the Triton kernel %s' % proxy.name,
               'no piece of this launch keeps its offsets below 2^31')
    count = count_pieces(call.batch, units, row_units, steps)
    if proxy.kind == 'quantizer':
        say_cut(proxy.state, 'quantizer', 'Triton %s: offsets past 2^31 elements (B=%d, %d '
                'heads, %d rows of %d): %d pieces' % (proxy.name, call.batch, call.heads,
                                                      call.length, call.columns, count))
    else:
        say_cut(proxy.state, 'attention', 'Triton attention %s: offsets past 2^31 elements '
                '(B=%d, %d heads, N=%d, %s): %d pieces' % (
                    proxy.name, call.batch, call.heads, call.rows,
                    'causal' if proxy.causal else 'non-causal', count))
    call.run(proxy.kernel, steps)


def is_kernel(value):
    return hasattr(value, 'run') and hasattr(type(value), '__getitem__') \
        and not hasattr(value, PROXY_MARK)


def wrap_triton_module(module_object, module_name, state):
    wrapped = 0
    causal = 'causal' in module_name.rpartition('.')[2]
    for name, per_block in QUANTIZERS.items():
        kernel = getattr(module_object, name, None)
        if is_kernel(kernel):
            setattr(module_object, name,
                    KernelProxy(kernel, name, 'quantizer', per_block, False, state))
            wrapped += 1
    for name in ATTENTION_KERNELS:
        kernel = getattr(module_object, name, None)
        if is_kernel(kernel):
            setattr(module_object, name,
                    KernelProxy(kernel, '%s.%s' % (module_name, name), 'attention', 1,
                                causal, state))
            wrapped += 1
    if wrapped:
        log(LOG_DEBUG, 'repair: %s: %d Triton kernels run in pieces past 2^31' % (
            module_name, wrapped))


def wrap_triton_modules(state):
    """The Triton modules of the watched packages imported by now."""
    for module_name, module_object in list(sys.modules.items()):
        if module_object is None or not any(module_name.startswith(package + '.')
                                            for package in state['packages']):
            continue
        if not str(getattr(module_object, '__file__', '')).endswith('.py'):
            continue
        wrap_triton_module(module_object, module_name, state)
