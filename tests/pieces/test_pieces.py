"""The cutting logic of the repair (shim/repair_pieces.py, repair_attention.py,
repair_triton.py) against an independent model of the upstream 32-bit
expressions, at the real sizes of sageattention-long.md, on torch's meta
device (sizes and strides, no memory):

    python3 tests/pieces/test_pieces.py [-v]

Every piece an attention op or a Triton kernel is handed is checked the way
the upstream host and kernel would use it: each stride through an `int`,
each element offset and LSE index in 32 bits (unsigned for CUDA, signed for
Triton), the host's contiguity and exact-shape checks; and the pieces must
tile the call exactly (every output row of every head and batch element
once).  check_pieces runs it too (make check).
"""
import builtins
import os
import sys
import unittest

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'repair'))
from repair_source import repair_code  # noqa: E402  (the files shim/repair_source.S embeds)

U32 = 1 << 32
I32 = 1 << 31


def load_repair():
    """The repair's namespace, as the shim builds it, every tensor on target."""
    names = {'__builtins__': builtins, '__name__': 'test_pieces', 'module': '', 'package': '',
             'extension': None, 'archs': (90, 120), 'log': lambda level, text: None,
             'count_cut': lambda kind: None, 'LOG_ERROR': 0, 'LOG_WARN': 1, 'LOG_INFO': 2,
             'LOG_DEBUG': 3}
    exec(repair_code(), names)
    names['on_target'] = lambda tensor: True
    return names


REPAIR = load_repair()


def span(sizes, strides):
    return 1 + sum((n - 1) * s for n, s in zip(sizes, strides)) if all(sizes) else 0


# ---- attention ------------------------------------------------------------------

def layout_dims(layout):
    return (0, 2, 1) if layout == 0 else (0, 1, 2)


class Recorder:
    """Stands in for an attention op: checks each piece as upstream's host
    and kernel would, and records which part of the call it covers."""

    def __init__(self, test, family, call_q, call_o):
        self.test, self.family = test, family
        self.call_q, self.call_o = call_q, call_o
        self.boxes = []

    def __call__(self, q, k, v, o, q_scale, k_scale, *rest):
        t = self.test
        layout, causal, gran, _, return_lse = rest[-5:]
        bd, hd, nd = layout_dims(layout)
        batch, heads, rows, dim = q.size(bd), q.size(hd), q.size(nd), q.size(3)
        kv_heads, kv_rows = k.size(hd), k.size(nd)
        # The host: every stride through an int (and for sm_90's tensor maps,
        # positive and 16-byte aligned).
        for tensor in (q, k, v, o):
            for stride in tensor.stride():
                t.assertLess(stride, I32)
                t.assertGreater(stride, 0)
        if self.family == 'sm90':
            for tensor in (q, k, v):
                for stride in tensor.stride()[:3]:
                    t.assertEqual(stride * tensor.element_size() % 16, 0)
        # The host's checks: contiguity and exact scale shapes.
        t.assertEqual(o.stride(3), 1)
        if self.family == 'sm80':
            t.assertTrue(q.is_contiguous() and k.is_contiguous())
        if self.family == 'sm89':
            t.assertTrue(v.is_contiguous())
        t.assertTrue(q_scale.is_contiguous() and k_scale.is_contiguous())
        cta_q, warp_q, cta_k = (64, 16, 128) if self.family == 'sm90' else (128, 32, 64)
        t.assertEqual(tuple(q_scale.shape), (batch, heads, -(-rows // cta_q) * (cta_q // warp_q)
                                             * (8 if gran == 3 else 1)))
        t.assertEqual(tuple(k_scale.shape), (batch, kv_heads, -(-kv_rows // cta_k)
                                             * (4 if gran == 3 else 1)))
        # The kernel: output (every family) and q, k, v (sm_80/89) offsets
        # in 32 bits, over the rows it stores; the LSE index.
        addressed = [(o, (batch, heads, rows, dim), (o.stride(bd), o.stride(hd), o.stride(nd), 1))]
        if self.family != 'sm90':
            addressed.append((q, (batch, heads, rows, dim),
                              (q.stride(bd), q.stride(hd), q.stride(nd), 1)))
            addressed.append((k, (batch, kv_heads, kv_rows, dim),
                              (k.stride(bd), k.stride(hd), k.stride(nd), 1)))
        for _, sizes, strides in addressed:
            t.assertLessEqual(span(sizes, strides), U32)
        t.assertLessEqual(batch * heads * rows, U32)
        # Where the piece lies in the call's output.  A compact output buffer
        # (copied back by the repair) is not a view of it: only its size
        # counts.
        root = self.call_o._base if self.call_o._base is not None else self.call_o
        if o._base is not root:
            self.boxes.append((None, batch * heads * rows, causal))
            return self.lse(batch, heads, rows, return_lse)
        start = o.storage_offset() - self.call_o.storage_offset()
        cb, ch, cn = (self.call_o.stride(bd), self.call_o.stride(hd), self.call_o.stride(nd))
        b0, rest_ = divmod(start, cb)
        if layout == 0:
            r0, h0 = divmod(rest_, cn)
            h0 //= ch
        else:
            h0, r0 = divmod(rest_, ch)
            r0 //= cn
        self.boxes.append((b0, b0 + batch, h0, h0 + heads, r0, r0 + rows, causal))
        return self.lse(batch, heads, rows, return_lse)

    @staticmethod
    def lse(batch, heads, rows, return_lse):
        if return_lse:
            return torch.empty((batch, heads, rows), dtype=torch.float32, device='meta')
        return torch.empty((0,), dtype=torch.float32, device='meta')


def meta(shape, dtype, strides=None):
    if strides is None:
        return torch.empty(shape, dtype=dtype, device='meta')
    return torch.empty_strided(shape, strides, dtype=dtype, device='meta')


def attention_call(family, layout, batch, heads, kv_heads, rows, dim=128, gran=3, causal=0,
                   q_view=None):
    shaped = (lambda b, h, n: (b, n, h, dim)) if layout == 0 else (lambda b, h, n: (b, h, n, dim))
    q = q_view if q_view is not None else meta(shaped(batch, heads, rows), torch.int8)
    k = meta(shaped(batch, kv_heads, rows), torch.int8)
    cta_q, warp_q, cta_k = (64, 16, 128) if family == 'sm90' else (128, 32, 64)
    padded = -(-rows // cta_k) * cta_k
    if family == 'sm80':
        v = meta(shaped(batch, kv_heads, rows), torch.float16)
    else:
        v = meta((batch, kv_heads, dim, padded) if layout == 1 else (batch, dim, kv_heads, padded),
                 torch.float8_e4m3fn)
    o = meta(tuple(q.shape), torch.bfloat16)
    q_scale = meta((batch, heads, -(-rows // cta_q) * (cta_q // warp_q) * (8 if gran == 3 else 1)),
                   torch.float32)
    k_scale = meta((batch, kv_heads, -(-rows // cta_k) * (4 if gran == 3 else 1)), torch.float32)
    extra = [] if family == 'sm80' else [meta((batch, kv_heads, dim), torch.float32)]
    return [q, k, v, o, q_scale, k_scale] + extra + [layout, causal, gran, 0.088, 1]


class AttentionPieces(unittest.TestCase):
    def run_call(self, family, args):
        module = {'sm90': 'sageattention._qattn_sm90', 'sm89': 'sageattention._qattn_sm89',
                  'sm80': 'sageattention._qattn_sm80'}[family]
        recorder = Recorder(self, family, args[0], args[3])
        wrapped = REPAIR['wrap_attention'](recorder, module + '.op', REPAIR['op_family'](module),
                                           torch.Tensor, {})
        lse = wrapped(*args)
        return recorder.boxes, lse

    def assert_tiles(self, boxes, batch, heads, rows):
        cells = sum(box[1] for box in boxes if box[0] is None)
        boxes = [box for box in boxes if box[0] is not None]
        cells += sum((b1 - b0) * (h1 - h0) * (r1 - r0) for b0, b1, h0, h1, r0, r1, _ in boxes)
        self.assertEqual(cells, batch * heads * rows)
        for i, a in enumerate(boxes):
            for b in boxes[i + 1:]:
                overlap = (min(a[1], b[1]) > max(a[0], b[0]) and min(a[3], b[3]) > max(a[2], b[2])
                           and min(a[5], b[5]) > max(a[4], b[4]))
                self.assertFalse(overlap, (a, b))
            self.assertEqual(a[4] % 128, 0)        # rows cut at block boundaries

    def test_the_documented_cases(self):
        # sageattention-long.md, section 2: NHD 600,064 and 610,112, HND 610,112
        # (56 x 128), and HND 300,032 whose batch stride the host int wraps.
        for family in ('sm90', 'sm89', 'sm80'):
            for layout, rows in ((0, 600064), (0, 610112), (1, 610112), (1, 300032)):
                with self.subTest(family=family, layout=layout, rows=rows):
                    boxes, lse = self.run_call(family, attention_call(family, layout, 1, 56, 56,
                                                                      rows))
                    # HND 300,032 fits 32-bit offsets: one call, but with a batch
                    # stride the host's int can hold.
                    self.assertEqual(len(boxes) == 1, rows == 300032)
                    self.assert_tiles(boxes, 1, 56, rows)
                    self.assertEqual(tuple(lse.shape), (1, 56, rows))

    def test_batches_gqa_causal_granularities_odd_lengths(self):
        for family in ('sm90', 'sm89', 'sm80'):
            for layout in (0, 1):
                for batch in (1, 2, 3):
                    for heads, kv_heads in ((40, 40), (56, 8)):
                        for causal in (0, 1):
                            for gran in (2, 3):
                                rows = 599187 + batch * 1001 if layout == 0 else 777777
                                args = attention_call(family, layout, batch, heads, kv_heads,
                                                      rows, gran=gran, causal=causal)
                                with self.subTest(family=family, layout=layout, batch=batch,
                                                  heads=heads, causal=causal, gran=gran):
                                    boxes, _ = self.run_call(family, args)
                                    self.assert_tiles(boxes, batch, heads, rows)
                                    if causal:
                                        self.assertTrue(all(b[0] is None or b[4] == 0
                                                            for b in boxes))

    def test_a_fused_qkv_view(self):
        # q as a view of a fused QKV tensor: sequence stride 3 * H * D.
        rows, heads = 200064, 56
        qkv = meta((2, rows, 3 * heads, 128), torch.int8)
        q = qkv[:, :, :heads, :]
        for family in ('sm90', 'sm89', 'sm80'):
            with self.subTest(family=family):
                boxes, _ = self.run_call(family, attention_call(family, 0, 2, heads, heads, rows,
                                                                q_view=q))
                self.assert_tiles(boxes, 2, heads, rows)

    def test_a_call_that_fits_is_one_call_of_the_callers_tensors(self):
        args = attention_call('sm90', 1, 1, 40, 40, 32760)
        seen = []
        wrapped = REPAIR['wrap_attention'](lambda *a: seen.append(a) or a[0].new_empty(0),
                                           'sageattention._qattn_sm90.op', 'sm90', torch.Tensor, {})
        wrapped(*args)
        self.assertEqual(len(seen), 1)
        self.assertTrue(all(x is y for x, y in zip(seen[0], args)))

    def test_a_causal_nhd_call_writes_through_a_compact_buffer(self):
        # Its rows cannot be cut and an output row spans all heads: per head
        # group the output goes through a compact buffer, copied back.
        boxes, _ = self.run_call('sm90', attention_call('sm90', 0, 1, 56, 56, 610112, causal=1))
        self.assertTrue(all(box[0] is None for box in boxes))
        self.assert_tiles(boxes, 1, 56, 610112)

    def test_a_causal_call_no_cut_fits_is_refused_before_any_launch(self):
        # One head of 40,000,000 rows x 128 passes 2^32 elements.
        args = attention_call('sm90', 1, 1, 1, 1, 40000000, causal=1)
        seen = []
        wrapped = REPAIR['wrap_attention'](lambda *a: seen.append(a), 'x._qattn_sm90.op', 'sm90',
                                           torch.Tensor, {})
        with self.assertRaises(RuntimeError) as raised:
            wrapped(*args)
        self.assertIn('causal', str(raised.exception))
        self.assertEqual(seen, [])


# ---- Triton ------------------------------------------------------------------------

class FakeKernel:
    """A @triton.jit kernel as the proxy sees it; each launch is checked the
    way the kernel's i32 arithmetic would use it."""

    def __init__(self, test, check):
        self.test, self.check, self.launches = test, check, []

    def run(self):
        pass

    def __getitem__(self, grid):
        return lambda *args, **kwargs: self.launches.append((grid, args, kwargs))


def quantizer_launch(rows, heads, batch, seq_stride, head_stride, batch_stride, dim, block,
                     per_block):
    """per_thread_int8's query launch on an input view with these strides."""
    inp = meta((batch * batch_stride,), torch.bfloat16)
    out = meta((batch, rows, heads, dim), torch.int8)
    programs = -(-rows // (block * 1)) * per_block
    scale = meta((batch, heads, programs), torch.float32)
    args = (inp, out, scale, rows, batch_stride, head_stride, seq_stride,
            out.stride(0), out.stride(2), out.stride(1), scale.stride(0), scale.stride(1))
    return (programs, heads, batch), args, {'C': dim, 'BLK': block}


class TritonPieces(unittest.TestCase):
    def test_quantizer_pieces_keep_every_offset_below_2_31(self):
        # The doc's crash: fused-QKV NHD views (sequence stride 3 * 56 * 128).
        for rows, batch in ((150016, 1), (200064, 2), (1000000, 1)):
            grid, args, kwargs = quantizer_launch(rows, 56, batch, 21504, 128, rows * 21504,
                                                  128, 16, 8)
            kernel = FakeKernel(self, None)
            proxy = REPAIR['KernelProxy'](kernel, 'quant_query_per_thread_int8_kernel',
                                          'quantizer', 8, False, {})
            proxy[grid](*args, **kwargs)
            self.assertGreater(len(kernel.launches), 1)
            covered = 0
            for (programs, heads, pieces_batch), piece, _ in kernel.launches:
                length = piece[3]
                rows_here = min(length, -(-programs // 8) * 16)
                for strides in (piece[4:7], piece[7:10]):
                    self.assertLess(span((pieces_batch, heads, rows_here, 128),
                                         tuple(strides) + (1,)), I32)
                covered += programs * heads * pieces_batch
            self.assertEqual(covered, grid[0] * grid[1] * grid[2])

    def test_a_launch_that_fits_goes_straight_through(self):
        grid, args, kwargs = quantizer_launch(4096, 40, 1, 5120, 128, 4096 * 5120, 128, 16, 8)
        kernel = FakeKernel(self, None)
        proxy = REPAIR['KernelProxy'](kernel, 'quant_query_per_thread_int8_kernel', 'quantizer',
                                      8, False, {})
        proxy[grid](*args, **kwargs)
        self.assertEqual(kernel.launches, [(grid, args, kwargs)])

    def test_attention_pieces_get_their_own_scales(self):
        rows, heads, dim = 300000, 56, 128
        q = meta((1, rows, heads, dim), torch.int8)
        k = meta((1, rows, heads, dim), torch.int8)
        v = meta((1, rows, heads, dim), torch.float16)
        o = meta((1, rows, heads, dim), torch.float16)
        q_scale = meta((1, heads, -(-rows // 128)), torch.float32)
        k_scale = meta((1, heads, -(-rows // 64)), torch.float32)
        lse = meta((1, heads, rows), torch.float32)
        strides = []
        for t in (q, k, v, o):
            strides += [t.stride(0), t.stride(2), t.stride(1)]
        args = (q, k, v, q_scale, k_scale, o, lse) + tuple(strides) + (rows, rows, heads, 1)
        kwargs = {'BLOCK_M': 128, 'BLOCK_N': 64, 'HEAD_DIM': dim, 'STAGE': 1, 'RETURN_LSE': True}
        kernel = FakeKernel(self, None)
        proxy = REPAIR['KernelProxy'](kernel, '_attn_fwd', 'attention', 1, False, {})
        proxy[(-(-rows // 128), heads, 1)](*args, **kwargs)
        self.assertGreater(len(kernel.launches), 1)
        total_rows = 0
        for grid, piece, _ in kernel.launches:
            piece_rows, piece_heads = piece[19], piece[21]
            self.assertEqual(grid, (-(-piece_rows // 128), piece_heads, 1))
            self.assertEqual(tuple(piece[3].shape), (1, piece_heads, -(-piece_rows // 128)))
            self.assertTrue(piece[3].is_contiguous())
            self.assertLess(span((1, piece_heads, piece_rows, dim),
                                 (piece[16], piece[17], piece[18], 1)), I32)
            total_rows += piece_rows * piece_heads
        self.assertEqual(total_rows, rows * heads)


if __name__ == '__main__':
    unittest.main()
