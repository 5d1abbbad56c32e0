"""The repair's own cost per attention call, on this machine's CPU (no GPU
needed): the wrapper of shim/repair_attention.py around an op that does
nothing, called with meta tensors of real shapes, against the bare op.

    python3 bench/pieces_overhead.py

Prints a markdown table: microseconds per call for a call that fits (one
pass over the strides, then the op) and for one that is cut (planning the
pieces and making their views: the Python work a GPU run adds per cut call,
before the kernels' own time).  bench/bench.sh runs it as part of section 7.
"""
import builtins
import os
import sys
import time

import torch

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, '..', 'tests', 'repair'))
from repair_source import repair_code  # noqa: E402  (the files shim/repair_source.S embeds)


def repair_namespace():
    names = {'__builtins__': builtins, '__name__': 'bench', 'module': '', 'package': '',
             'extension': None, 'archs': (90,), 'log': lambda level, text: None,
             'count_cut': lambda kind: None, 'LOG_ERROR': 0, 'LOG_WARN': 1, 'LOG_INFO': 2,
             'LOG_DEBUG': 3}
    exec(repair_code(), names)
    names['on_target'] = lambda tensor: True
    return names


def operands(rows, heads=56, dim=128, kv=None):
    kv = kv or rows
    meta = {'device': 'meta'}
    q = torch.empty((1, heads, rows, dim), dtype=torch.int8, **meta)
    k = torch.empty((1, heads, kv, dim), dtype=torch.int8, **meta)
    v = torch.empty((1, heads, dim, -(-kv // 128) * 128), dtype=torch.float8_e4m3fn, **meta)
    o = torch.empty((1, heads, rows, dim), dtype=torch.bfloat16, **meta)
    qs = torch.empty((1, heads, -(-rows // 64) * 32), dtype=torch.float32, **meta)
    ks = torch.empty((1, heads, -(-kv // 128) * 4), dtype=torch.float32, **meta)
    vs = torch.empty((1, heads, dim), dtype=torch.float32, **meta)
    return (q, k, v, o, qs, ks, vs, 1, 0, 3, 0.088, 0)


def per_call(function, args, seconds=1.0):
    count, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        for _ in range(100):
            function(*args)
        count += 100
    return (time.perf_counter() - start) / count * 1e6


def main():
    names = repair_namespace()

    def op(*args):
        return None
    wrapped = names['wrap_attention'](op, 'sageattention._qattn_sm90.op', 'sm90',
                                      torch.Tensor, {})
    rows = []
    for label, n in (('fits: HND 32,760 x 40 x 128 (as measured in sageattention.md)', 32760),
                     ('cut: HND 610,112 x 56 x 128 (2 pieces by head group)', 610112)):
        args = operands(n, heads=40 if n == 32760 else 56)
        bare = per_call(op, args)
        shim = per_call(wrapped, args)
        rows.append('| %s | %.2f | %.2f | %.2f |' % (label, bare, shim, shim - bare))
    print('| call | bare op (us) | wrapped (us) | repair adds (us) |')
    print('|---|---|---|---|')
    print('\n'.join(rows))


if __name__ == '__main__':
    sys.exit(main())
