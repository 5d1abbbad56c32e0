"""shim/repair.py on its own, against the stub torch (tests/repair/stub).

Runs the file as shim/repair_py.c does - compiled as "<sageshim-repair>",
executed in a fresh dictionary holding module, package, extension, log and
the LOG_* levels - and checks what it does to torch.library.register_fake
and to a stand-in of SageAttention's _fused module.

    python3 tests/repair/test_repair_py.py [-v]

check_repair runs it too (make check).
"""
import builtins
import os
import sys
import types
import unittest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
from repair_source import repair_code  # noqa: E402  (the files shim/repair_source.S embeds)
sys.path.insert(0, os.path.join(HERE, 'stub'))
# The stub's tensors are CPU tensors: count them as a device in `archs`.
os.environ['SAGESHIM_TEST_CPU_ARCH'] = '90'

import torch  # noqa: E402  (the stub)
import torch.library  # noqa: E402

# Deliberately not the C enum's values: the file must use the names.
LEVELS = {'LOG_ERROR': 10, 'LOG_WARN': 11, 'LOG_INFO': 12, 'LOG_DEBUG': 13}
WIDE = 1 << 32


def run_repair(module, package, extension=None):
    """Run repair.py once as the shim would; returns its log lines (level, text)."""
    lines = []
    code = repair_code()
    names = {
        '__builtins__': builtins,
        '__name__': 'sageshim_repair',
        'module': module,
        'package': package,
        'extension': extension,
        'log': lambda level, message: lines.append((level, message)),
        'count_cut': lambda kind: lines.append(('cut', kind)),
        'archs': (90, 120),
    }
    names.update(LEVELS)
    exec(code, names)
    return lines


def run_in_module(name, filename, source, **names):
    """Execute `source` as the body of a module `name` loaded from `filename`."""
    module = types.ModuleType(name)
    module.__dict__.update(names)
    module.__dict__['torch'] = torch
    sys.modules[name] = module
    exec(compile(source, filename, 'exec'), module.__dict__)
    return module


class RepairTest(unittest.TestCase):
    def setUp(self):
        self.original_register_fake = torch.library.register_fake
        self.added_modules = []
        self.package('sagepkg')

    def tearDown(self):
        torch.library.register_fake = self.original_register_fake
        for name in self.added_modules:
            sys.modules.pop(name, None)

    def package(self, name):
        sys.modules[name] = types.ModuleType(name)
        self.added_modules.append(name)

    def module(self, name, source, filename=None, **names):
        self.added_modules.append(name)
        return run_in_module(name, filename or '/lib/%s.py' % name.replace('.', '/'), source,
                             **names)


class LogLevels(RepairTest):
    def test_levels_are_the_names_given(self):
        lines = run_repair('sagepkg._qattn_sm90', 'sagepkg')
        self.assertIn((LEVELS['LOG_DEBUG'], 'repair: torch.library.register_fake wrapped'), lines)
        self.assertTrue(all(level in LEVELS.values() for level, _ in lines), lines)

    def test_wrapped_once_per_process(self):
        run_repair('sagepkg._qattn_sm90', 'sagepkg')
        wrapper = torch.library.register_fake
        lines = run_repair('sagepkg._qattn_sm89', 'sagepkg')
        self.assertIs(torch.library.register_fake, wrapper)
        self.assertEqual(lines, [])


class CallerLocation(RepairTest):
    """torch finds who registered a fake by counting `_stacklevel` frames; the
    wrapper's own frame must not be the one found (issue 15)."""

    def setUp(self):
        super().setUp()
        run_repair('sagepkg._qattn_sm90', 'sagepkg')

    def test_direct_form_is_attributed_to_the_library(self):
        self.module('otherlib', "def fake(q):\n    return 'fake'\n"
                    "torch.library.register_fake('otherlib::direct', fake)\n")
        self.assertEqual(torch.library.register_fake_sources['otherlib::direct'],
                         ('otherlib', '/lib/otherlib.py'))
        self.assertEqual(torch.library.register_fake_calls[-1][2]['_stacklevel'], 2)

    def test_direct_form_with_a_stack_level_of_its_own(self):
        self.module('helperlib', "def fake(q):\n    return 'fake'\n"
                    "def register():\n"
                    "    torch.library.register_fake('helperlib::op', fake, _stacklevel=2)\n"
                    "register()\n")
        self.assertEqual(torch.library.register_fake_sources['helperlib::op'],
                         ('helperlib', '/lib/helperlib.py'))
        self.assertEqual(torch.library.register_fake_calls[-1][2]['_stacklevel'], 3)

    def test_decorator_form_is_attributed_to_the_library(self):
        self.module('decolib', "@torch.library.register_fake('decolib::op')\n"
                    "def op_fake(q):\n    return 'fake'\n")
        self.assertEqual(torch.library.register_fake_sources['decolib::op'],
                         ('decolib', '/lib/decolib.py'))
        self.assertEqual(torch.library.register_fake_calls[-1][2]['_stacklevel'], 1)

    def test_repaired_decorator_form_is_attributed_to_its_module(self):
        compile_module = self.module(
            'sagepkg.sm90_compile',
            "@torch.library.custom_op('sagepkg_sm90::attn', mutates_args=())\n"
            "def attn(q):\n    return 'op'\n"
            "@torch.library.register_fake('sagepkg_sm90::attn')\n"
            "def attn(q):\n    return 'fake'\n")
        self.assertEqual(compile_module.attn('q'), 'op')
        self.assertEqual(torch.library.register_fake_sources['sagepkg_sm90::attn'],
                         ('sagepkg.sm90_compile', '/lib/sagepkg/sm90_compile.py'))

    def test_without_a_stack_level_nothing_is_added(self):
        calls = []

        def register_fake(op, func=None, /, *, lib=None):
            calls.append(lib)
            return func
        torch.library.register_fake = register_fake
        run_repair('sagepkg._qattn_sm90', 'sagepkg')

        def fake(q):
            return 'fake'
        self.assertIs(torch.library.register_fake('x::y', fake), fake)
        self.assertEqual(calls, [None])


class FakeFused:
    """A stand-in for SageAttention's _fused: entry points that, like the real
    host code, keep only the low 32 bits of each stride, so with a batch of 2
    or more and a batch stride of 2^32 or more the elements after the first
    are read wrongly."""

    def __init__(self, name='sagepkg._fused'):
        self.calls = []
        self.module = types.ModuleType(name)
        self.module.quant_per_block_int8_cuda = self.quant
        self.module.sub_mean_cuda = self.sub_mean
        self.module.not_an_entry_point = self.quant

    def quant(self, source, output, scale, sm_scale, block_size, layout):
        self.calls.append((source.size(0), source.stride(0), output.stride(0)))
        truncated = source.stride(0) % WIDE != source.stride(0)
        for b, item in enumerate(source.items()):
            read = 'wrapped' if truncated and b > 0 else item
            output.set_item(b, ('int8', read, sm_scale, block_size, layout))
            scale.set_item(b, ('scale', read))

    def sub_mean(self, source, mean, output, layout):
        self.calls.append((source.size(0), source.stride(0), output.stride(0)))
        truncated = output.stride(0) % WIDE != output.stride(0)
        for b, item in enumerate(source.items()):
            output.set_item(b, ('smoothed', 'wrapped' if truncated and b > 0 else item,
                                mean.items()[b]))


def tensors(batch, stride, items=None):
    """An input (B, N, 56, 128) with batch stride `stride`, an output and a scale."""
    source = torch.Tensor((batch, stride // 7168, 56, 128), (stride, 7168, 128, 1),
                          items or ['x%d' % b for b in range(batch)])
    output = torch.Tensor((batch, 10, 56, 128))
    scale = torch.Tensor((batch, 56, 2))
    return source, output, scale


class BatchSplit(RepairTest):
    def setUp(self):
        super().setUp()
        self.fused = FakeFused()
        self.original = self.fused.module.quant_per_block_int8_cuda
        self.lines = run_repair('sagepkg._fused', 'sagepkg', self.fused.module)
        self.quant = self.fused.module.quant_per_block_int8_cuda

    def test_entry_points_are_wrapped_others_are_not(self):
        self.assertIsNot(self.quant, self.original)
        self.assertIs(self.quant.__wrapped__, self.original)
        self.assertIsNot(self.fused.module.sub_mean_cuda, self.fused.sub_mean)
        self.assertEqual(self.fused.module.not_an_entry_point, self.fused.quant)

    def test_batch_stride_below_2_32_goes_straight_through(self):
        source, output, scale = tensors(2, WIDE - 7168)
        self.quant(source, output, scale, 0.5, 128, 1)
        self.assertEqual(self.fused.calls, [(2, WIDE - 7168, 10 * 56 * 128)])
        self.assertEqual(output.items(), [('int8', 'x0', 0.5, 128, 1),
                                          ('int8', 'x1', 0.5, 128, 1)])
        self.assertEqual([l for l in self.lines if l[0] == LEVELS['LOG_INFO']], [])

    def test_batch_stride_of_2_32_runs_one_element_at_a_time(self):
        source, output, scale = tensors(3, WIDE, ['a', 'b', 'c'])
        self.assertIsNone(self.quant(source, output, scale, 0.5, 128, 1))
        self.assertEqual(self.fused.calls, [(1, WIDE, 10 * 56 * 128)] * 3)
        # What the call would write with 64-bit strides, in order.
        self.assertEqual(output.items(), [('int8', x, 0.5, 128, 1) for x in 'abc'])
        self.assertEqual(scale.items(), [('scale', x) for x in 'abc'])

    def test_without_the_split_the_stand_in_is_wrong(self):
        source, output, scale = tensors(2, WIDE, ['a', 'b'])
        self.original(source, output, scale, 0.5, 128, 1)
        self.assertEqual(output.items()[1][1], 'wrapped')

    def test_a_wide_output_alone_splits(self):
        source = torch.Tensor((2, 4, 56, 128), None, ['a', 'b'])
        mean = torch.Tensor((2, 56, 128), None, ['ma', 'mb'])
        output = torch.Tensor((2, 4, 56, 128), (WIDE, 7168, 128, 1))
        self.fused.module.sub_mean_cuda(source, mean, output, 1)
        self.assertEqual(output.items(), [('smoothed', 'a', 'ma'), ('smoothed', 'b', 'mb')])
        self.assertEqual(len(self.fused.calls), 2)

    def test_one_batch_element_is_never_split(self):
        source, output, scale = tensors(1, 2 * WIDE)
        self.quant(source, output, scale, 0.5, 128, 1)
        self.assertEqual(self.fused.calls, [(1, 2 * WIDE, 10 * 56 * 128)])

    def test_logged_once_per_process(self):
        lines = []
        for _ in range(3):
            source, output, scale = tensors(2, WIDE)
            self.quant(source, output, scale, 0.5, 128, 1)
        run_repair('sagepkg._fused', 'sagepkg', self.fused.module)
        source, output, scale = tensors(2, WIDE)
        self.fused.module.quant_per_block_int8_cuda(source, output, scale, 0.5, 128, 1)
        lines = [line for line in self.lines if line[0] == LEVELS['LOG_INFO']]
        self.assertEqual(len(lines), 1, self.lines)
        self.assertIn('sagepkg._fused.quant_per_block_int8_cuda: a batch stride does not fit'
                      ' 32 bits; running its 2 batch elements one at a time', lines[0][1])

    def test_a_second_run_does_not_wrap_twice(self):
        run_repair('sagepkg._fused', 'sagepkg', self.fused.module)
        self.assertIs(self.fused.module.quant_per_block_int8_cuda, self.quant)

    def test_results_are_joined_in_order(self):
        def entry(source):
            return (torch.Tensor((1, 3), None, [('r', source.items()[0])]), None)
        fused = types.ModuleType('sagepkg._fused')
        fused.sub_mean_cuda = entry
        run_repair('sagepkg._fused', 'sagepkg', fused)
        source = torch.Tensor((3, 8), (WIDE, 1), ['a', 'b', 'c'])
        joined, nothing = fused.sub_mean_cuda(source)
        self.assertIsNone(nothing)
        self.assertEqual(joined.size(), (3, 3))
        self.assertEqual(joined.items(), [('r', 'a'), ('r', 'b'), ('r', 'c')])


class MultiPhaseInit(RepairTest):
    """An extension built with multi-phase init hands its PyInit caller a
    definition, not the module: its entry points are wrapped once the module
    is imported, at the next register_fake call from the package."""

    def test_wrapped_at_the_next_call_from_the_package(self):
        fused = FakeFused()
        original = fused.module.quant_per_block_int8_cuda
        run_repair('sagepkg._fused', 'sagepkg', object())
        self.assertIs(fused.module.quant_per_block_int8_cuda, original)
        sys.modules['sagepkg._fused'] = fused.module
        self.added_modules.append('sagepkg._fused')
        self.module('otherlib', "torch.library.register_fake('otherlib::x', lambda q: q)\n")
        self.assertIs(fused.module.quant_per_block_int8_cuda, original)
        self.module('sagepkg.core', "torch.library.register_fake('sagepkg::y')(lambda q: q)\n")
        self.assertIs(fused.module.quant_per_block_int8_cuda.__wrapped__, original)


if __name__ == '__main__':
    unittest.main()
