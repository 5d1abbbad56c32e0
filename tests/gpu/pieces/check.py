"""check.py: issue 18 on the GPU - long inputs past 32-bit offsets, through
the stand-ins of tests/gpu/pieces/site (an sm_90 attention op whose host and
kernel keep upstream's 32-bit arithmetic, in a multi-phase extension module;
Triton quantizers and a Triton attention with upstream's i32 addressing),
each case in a fresh process, with and without the preload library:

    python3 check.py --site DIR --shim SO --logs DIR [--cases a,b,...] [--bench FILE]

A token is right when its output's relative error against a float32
reference computed from the same quantized operands is below 0.02; the
output starts as NaN, so a row never written is wrong.  Sampled query rows:
0..511, the middle 512, the last 2,048 (as sageattention-long.md samples).
Prints "PASS name" / "FAIL name: detail"; exit 0 when all passed.
"""
import argparse
import json
import os
import subprocess
import sys
import time

H, D, KV = 56, 128, 256


def sample_rows(n):
    middle = n // 2 - 256
    rows = list(range(512)) + list(range(middle, middle + 512)) + list(range(n - 2048, n))
    return sorted(set(r for r in rows if 0 <= r < n))


# ---- inside a child ----------------------------------------------------------------

def operands(torch, layout, rows, causal=False, gran=3, kv=KV, batch=1):
    """Quantized operands as core.py hands them to the sm90 op."""
    g = torch.Generator(device='cuda').manual_seed(1)
    shape = (lambda n: (batch, n, H, D)) if layout == 0 else (lambda n: (batch, H, n, D))
    q = torch.randint(-40, 41, shape(rows), dtype=torch.int8, device='cuda', generator=g)
    k = torch.randint(-40, 41, shape(kv), dtype=torch.int8, device='cuda', generator=g)
    q_entries = -(-rows // 64) * 4 * (8 if gran == 3 else 1)
    k_entries = -(-kv // 128) * (4 if gran == 3 else 1)
    q_scale = torch.rand(batch, H, q_entries, device='cuda', generator=g) * 0.02 + 0.01
    k_scale = torch.rand(batch, H, k_entries, device='cuda', generator=g) * 0.02 + 0.01
    padded = -(-kv // 128) * 128
    vshape = (batch, H, D, padded) if layout == 1 else (batch, D, H, padded)
    v = (torch.randn(vshape, device='cuda', generator=g)).to(torch.float8_e4m3fn)
    v_scale = torch.rand(batch, H, D, device='cuda', generator=g) + 0.5
    o = torch.full(q.shape, float('nan'), dtype=torch.bfloat16, device='cuda')
    return q, k, v, o, q_scale, k_scale, v_scale


def reference_rows(torch, ops, layout, rows_idx, causal, gran, sm_scale):
    """float32 attention for the sampled rows (head-major: (H, R, D))."""
    q, k, v, o, q_scale, k_scale, v_scale = ops
    r = torch.tensor(rows_idx, device='cuda')
    qh = (q[0].index_select(0, r).permute(1, 0, 2) if layout == 0
          else q[0].index_select(1, r)).float()                  # (H, R, D)
    kh = (k[0].permute(1, 0, 2) if layout == 0 else k[0]).float()  # (H, KV, D)
    kv = kh.size(1)
    warp = (r % 64) // 16
    qsi = (r // 64) * 32 + warp * 8 + r % 8 if gran == 3 else (r // 64) * 4 + warp
    cols = torch.arange(kv, device='cuda')
    ksi = (cols // 128) * 4 + cols % 4 if gran == 3 else cols // 128
    qs = q_scale[0][:, qsi]                                         # (H, R)
    ks = k_scale[0][:, ksi]                                         # (H, KV)
    s = torch.einsum('hrd,hkd->hrk', qh, kh) * qs[:, :, None] * ks[:, None, :] * sm_scale
    if causal:
        s = s.masked_fill(cols[None, None, :] > r[None, :, None], float('-inf'))
    p = torch.softmax(s, dim=-1)
    vh = (v[0].permute(1, 2, 0) if layout == 0 else v[0].permute(0, 2, 1))[:, :kv].float()
    out = torch.einsum('hrk,hkd->hrd', p.half().float(), vh) * v_scale[0][:, None, :]
    return out


def got_rows(torch, o, layout, rows_idx):
    r = torch.tensor(rows_idx, device='cuda')
    return (o[0].index_select(0, r).permute(1, 0, 2) if layout == 0
            else o[0].index_select(1, r)).float()


def wrong_tokens(torch, got, ref):
    """Per (head, row): relative error; a token is wrong when any head is."""
    err = (got - ref).norm(dim=-1) / ref.norm(dim=-1).clamp_min(1e-6)
    bad = ~(err < 0.02)                                             # NaN is bad
    return int(bad.any(dim=0).sum()), [int(h) for h in bad.any(dim=1).nonzero().flatten()]


def case_sm90(layout, rows, causal=False):
    import torch
    import sageattention
    ops = operands(torch, layout, rows, causal)
    sm_scale = D ** -0.5
    sageattention.sm90_attention(*ops, layout, int(causal), 3, sm_scale, 1)
    torch.cuda.synchronize()
    idx = sample_rows(rows)
    ref = reference_rows(torch, ops, layout, idx, causal, 3, sm_scale)
    wrong, heads = wrong_tokens(torch, got_rows(torch, ops[3], layout, idx), ref)
    return {'wrong_tokens': wrong, 'sampled': len(idx), 'wrong_heads': heads[:8]}


def case_bytes(layout, rows):
    """The output's bytes (a digest), for cut-versus-uncut equality."""
    import hashlib
    import torch
    import sageattention
    ops = operands(torch, layout, rows)
    lse = sageattention.sm90_attention(*ops, layout, 0, 3, D ** -0.5, 1)
    torch.cuda.synchronize()
    digest = hashlib.sha256(ops[3].view(torch.int16).cpu().numpy().tobytes())
    digest.update(lse.cpu().numpy().tobytes())
    return {'digest': digest.hexdigest()}


def case_quant(rows):
    """Per-thread quantization of a fused-QKV NHD view (sequence stride 3 * H
    * D): bytes against the same quantizer on contiguous copies (which fit)."""
    import torch
    import sageattention
    g = torch.Generator(device='cuda').manual_seed(2)
    qkv = torch.randn(1, rows, 3, H, D, device='cuda', generator=g, dtype=torch.bfloat16)
    q, k = qkv[:, :, 0], qkv[:, :, 1]
    got = sageattention.per_thread_int8_triton(q, k, tensor_layout='NHD', BLKQ=64, WARPQ=16,
                                               BLKK=128, WARPK=128)
    torch.cuda.synchronize()
    want = sageattention.per_thread_int8_triton(q.contiguous(), k.contiguous(),
                                                tensor_layout='NHD', BLKQ=64, WARPQ=16,
                                                BLKK=128, WARPK=128)
    torch.cuda.synchronize()
    return {'equal': all(bool(torch.equal(a, b)) for a, b in zip(got, want))}


def case_triton_attention(rows):
    """Triton attention on contiguous NHD int8 q past 2^31 elements."""
    import torch
    import sageattention
    g = torch.Generator(device='cuda').manual_seed(3)
    q = torch.randint(-40, 41, (1, rows, H, D), dtype=torch.int8, device='cuda', generator=g)
    k = torch.randint(-40, 41, (1, KV, H, D), dtype=torch.int8, device='cuda', generator=g)
    v = torch.randn(1, KV, H, D, device='cuda', generator=g).half()
    q_scale = torch.rand(1, H, -(-rows // 128), device='cuda', generator=g) * 0.02 + 0.01
    k_scale = torch.rand(1, H, -(-KV // 64), device='cuda', generator=g) * 0.02 + 0.01
    o, _ = sageattention.triton_attention(q, k, v, q_scale, k_scale, 'NHD')
    torch.cuda.synchronize()
    idx = sample_rows(rows)
    r = torch.tensor(idx, device='cuda')
    qh = q[0].index_select(0, r).permute(1, 0, 2).float()
    kh = k[0].permute(1, 0, 2).float()
    s = torch.einsum('hrd,hkd->hrk', qh, kh) * q_scale[0][:, r // 128][:, :, None] \
        * k_scale[0][:, torch.arange(KV, device='cuda') // 64][:, None, :]
    p = torch.softmax(s * 0.6931471805599453, dim=-1)             # the kernel's exp2
    ref = torch.einsum('hrk,hkd->hrd', p.half().float(), v[0].permute(1, 0, 2).float())
    got = o[0].index_select(0, r).permute(1, 0, 2).float()
    wrong, heads = wrong_tokens(torch, got, ref)
    return {'wrong_tokens': wrong, 'sampled': len(idx)}


def case_timing(layout, rows, repeat):
    """Median seconds of the sm90 op (inputs made once)."""
    import torch
    import sageattention
    ops = operands(torch, layout, rows)
    args = list(ops) + [layout, 0, 3, D ** -0.5, 0]
    sageattention.sm90_attention(*args)
    torch.cuda.synchronize()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        sageattention.sm90_attention(*args)
        torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    times.sort()
    return {'seconds': times[len(times) // 2], 'rows': rows}


CHILD_CASES = {
    'sm90': lambda a: case_sm90(int(a[0]), int(a[1]), a[2:3] == ['causal']),
    'bytes': lambda a: case_bytes(int(a[0]), int(a[1])),
    'quant': lambda a: case_quant(int(a[0])),
    'triton': lambda a: case_triton_attention(int(a[0])),
    'timing': lambda a: case_timing(int(a[0]), int(a[1]), int(a[2])),
}


# ---- the parent ------------------------------------------------------------------------

class Runner:
    def __init__(self, options):
        self.options = options
        self.passed = self.failed = 0
        self.results = {}

    def child(self, label, case, args, shim=True, env=None, timeout=300):
        log = os.path.join(self.options.logs, label + '.log')
        if os.path.exists(log):
            os.unlink(log)
        environment = {k: v for k, v in os.environ.items() if not k.startswith('SAGESHIM')}
        environment.pop('LD_PRELOAD', None)
        environment['PYTHONPATH'] = self.options.site
        environment['SAGESHIM_LOG'] = log
        environment.update(env or {})
        if shim:
            environment['LD_PRELOAD'] = self.options.shim
        command = [sys.executable, __file__, '--child', case] + [str(a) for a in args]
        try:
            done = subprocess.run(command, env=environment, capture_output=True, text=True,
                                  timeout=timeout)
            status, out, err = done.returncode, done.stdout, done.stderr
        except subprocess.TimeoutExpired:
            status, out, err = 'timeout', '', ''
        with open(os.path.join(self.options.logs, label + '.out'), 'w') as f:
            f.write('status %s\n--- stdout\n%s\n--- stderr\n%s\n' % (status, out, err))
        result = None
        for line in out.splitlines():
            if line.startswith('RESULT '):
                result = json.loads(line[7:])
        text = open(log).read() if os.path.exists(log) else ''
        self.results[label] = {'status': status, 'result': result}
        return status, result, text, err

    def check(self, name, ok, detail=''):
        if ok:
            self.passed += 1
            print('PASS %s' % name)
        else:
            self.failed += 1
            print('FAIL %s: %s' % (name, detail))
        sys.stdout.flush()


def run_checks(options):
    run = Runner(options)
    cases = options.cases.split(',') if options.cases else None

    def wanted(name):
        return cases is None or name in cases

    if wanted('nhd600k'):
        status, r, log, err = run.child('nhd600k-bare', 'sm90', [0, 600064], shim=False)
        run.check('sm90 NHD 600,064: wrong without the shim',
                  status == 0 and r and r['wrong_tokens'] > 0, '%s %s' % (status, r))
        status, r, log, err = run.child('nhd600k-shim', 'sm90', [0, 600064])
        run.check('sm90 NHD 600,064: right under the shim (default config)',
                  status == 0 and r and r['wrong_tokens'] == 0, '%s %s %s' % (status, r, err[-300:]))
        run.check('sm90 NHD 600,064: one repair line says the cut',
                  log.count('repair: attention: offsets past 2^32') == 1
                  and 'pieces by query range' in log, log[-600:])
        status, r, log, err = run.child('nhd600k-archs120', 'sm90', [0, 600064],
                                        env={'SAGESHIM_ARCHS': '120'})
        run.check('sm90 NHD 600,064: untouched with SAGESHIM_ARCHS=120 (wrong as bare)',
                  status == 0 and r and r['wrong_tokens'] > 0 and 'pieces' not in log,
                  '%s %s' % (status, r))
    if wanted('hnd610k'):
        status, r, _, _ = run.child('hnd610k-bare', 'sm90', [1, 610112], shim=False)
        run.check('sm90 HND 610,112: heads wrong without the shim',
                  status == 0 and r and r['wrong_tokens'] > 0 and 55 in r['wrong_heads'],
                  '%s %s' % (status, r))
        status, r, log, err = run.child('hnd610k-shim', 'sm90', [1, 610112])
        run.check('sm90 HND 610,112: right under the shim',
                  status == 0 and r and r['wrong_tokens'] == 0, '%s %s %s' % (status, r, err[-300:]))
        status, r, log, err = run.child('hnd610k-causal', 'sm90', [1, 610112, 'causal'])
        run.check('sm90 HND 610,112 causal: right under the shim (cut by head group)',
                  status == 0 and r and r['wrong_tokens'] == 0, '%s %s %s' % (status, r, err[-300:]))
    if wanted('hnd300k'):
        status, r, _, _ = run.child('hnd300k-bare', 'sm90', [1, 300032], shim=False)
        run.check('sm90 HND 300,032: aborts without the shim (host int stride)',
                  status == -6, 'status %s' % status)
        status, r, log, err = run.child('hnd300k-shim', 'sm90', [1, 300032])
        run.check('sm90 HND 300,032: right under the shim, no abort',
                  status == 0 and r and r['wrong_tokens'] == 0, '%s %s %s' % (status, r, err[-300:]))
    if wanted('bytes'):
        _, bare, _, _ = run.child('bytes-bare', 'bytes', [0, 100032], shim=False)
        status, cut, log, _ = run.child('bytes-cut', 'bytes', [0, 100032],
                                        env={'SAGESHIM_OFFSET_BITS': '28'})
        run.check('sm90 NHD 100,032: cut (offsets forced below 2^28) equals uncut, bit for bit',
                  bare and cut and bare['digest'] == cut['digest'] and 'pieces' in log,
                  '%s %s' % (bare, cut))
    if wanted('quant'):
        status, r, _, err = run.child('quant-bare', 'quant', [150016], shim=False)
        run.check('Triton quantizer, fused-QKV view of 150,016: faults without the shim',
                  status != 0 and 'illegal memory access' in err, 'status %s' % status)
        status, r, log, err = run.child('quant-shim', 'quant', [150016])
        run.check('Triton quantizer, fused-QKV view of 150,016: bytes of the contiguous run '
                  'under the shim', status == 0 and r and r['equal'],
                  '%s %s %s' % (status, r, err[-300:]))
        run.check('Triton quantizer: one repair line says the cut',
                  log.count('repair: Triton quant_query_per_thread_int8_kernel') == 1, log[-400:])
    if wanted('triton'):
        status, r, _, err = run.child('triton-bare', 'triton', [300032], shim=False)
        run.check('Triton attention, NHD 300,032: faults without the shim',
                  status != 0 and 'illegal memory access' in err, 'status %s' % status)
        status, r, log, err = run.child('triton-shim', 'triton', [300032])
        run.check('Triton attention, NHD 300,032: right under the shim',
                  status == 0 and r and r['wrong_tokens'] == 0,
                  '%s %s %s' % (status, r, err[-300:]))
    if options.bench and wanted('bench'):
        bench(run, options)
    print('pieces: %d passed, %d failed' % (run.passed, run.failed))
    return run.failed == 0


def bench(run, options):
    """The two speeds issue 18 asks for, as ratios within one run."""
    lines = ['| measure | value |', '|---|---|']
    _, bare, _, _ = run.child('time-bare-100k', 'timing', [0, 100032, 9], shim=False)
    _, shim, _, _ = run.child('time-shim-100k', 'timing', [0, 100032, 9])
    if bare and shim:
        ratio = bare['seconds'] / shim['seconds']
        lines.append('| uncut call, NHD 100,032: speed with the shim / bare | %.3f (%.2f ms / '
                     '%.2f ms) |' % (ratio, shim['seconds'] * 1e3, bare['seconds'] * 1e3))
    _, whole, _, _ = run.child('time-shim-300k', 'timing', [0, 300032, 5])
    _, cut, _, _ = run.child('time-shim-600k', 'timing', [0, 600064, 5])
    if whole and cut:
        # Per query token (the keys are the same 256): a cut call against one
        # that fits, both under the shim.
        per_whole = whole['seconds'] / whole['rows']
        per_cut = cut['seconds'] / cut['rows']
        lines.append('| cut call (NHD 600,064, 2 pieces) throughput / uncut (NHD 300,032) | '
                     '%.3f (%.2f ms, %.2f ms) |' % (per_whole / per_cut, cut['seconds'] * 1e3,
                                                   whole['seconds'] * 1e3))
    with open(options.bench, 'w') as f:
        f.write('\n'.join(lines) + '\n')
    print('\n'.join(lines))


def main():
    if len(sys.argv) > 2 and sys.argv[1] == '--child':
        result = CHILD_CASES[sys.argv[2]](sys.argv[3:])
        print('RESULT ' + json.dumps(result))
        return 0
    parser = argparse.ArgumentParser()
    parser.add_argument('--site', required=True)
    parser.add_argument('--shim', required=True)
    parser.add_argument('--logs', required=True)
    parser.add_argument('--cases', default='')
    parser.add_argument('--bench', default='')
    options = parser.parse_args()
    os.makedirs(options.logs, exist_ok=True)
    return 0 if run_checks(options) else 1


if __name__ == '__main__':
    sys.exit(main())
