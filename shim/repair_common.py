"""sageshim's repair, part 2 of 6: which devices are cut for, how a cut is
said, and views of tensors as pieces.

Everything the repair changes in a call happens only for tensors on a device
whose architecture is in the configured `archs` (the C side hands the list
over as `archs`, e.g. (90, 120)): elsewhere every wrapper calls the original
with its arguments untouched.
"""
import os
import sys

# (offset limit, int limit) of this process: the real ones unless a test
# lowered them (SAGESHIM_OFFSET_BITS, repair_pieces.limits_from).
LIMITS = limits_from(os.environ)


def test_cpu_arch(environment):
    """Tests on a machine without a GPU (make check) run the wrappers on CPU
    tensors: SAGESHIM_TEST_CPU_ARCH=<arch> makes CPU tensors count as a
    device of that architecture.  Unset (always, outside tests), a CPU
    tensor is never touched."""
    text = environment.get('SAGESHIM_TEST_CPU_ARCH', '')
    return int(text) if text.isdigit() else None


CPU_ARCH = test_cpu_arch(os.environ)


# Device index -> SM number, asked of torch once per device.
ARCH_OF_DEVICE = {}


def device_arch(tensor):
    """The SM number (90, 120, ...) of the device holding `tensor`, or None."""
    device = getattr(tensor, 'device', None)
    kind = getattr(device, 'type', None)
    if kind == 'cpu':
        return CPU_ARCH
    if kind != 'cuda':
        return None
    index = device.index
    if index is None:
        index = sys.modules['torch'].cuda.current_device()
    arch = ARCH_OF_DEVICE.get(index)
    if arch is None:
        major, minor = sys.modules['torch'].cuda.get_device_capability(index)
        arch = ARCH_OF_DEVICE[index] = major * 10 + minor
    return arch


def on_target(tensor):
    """Is `tensor` on a device whose arch is in `archs`?"""
    try:
        return device_arch(tensor) in archs
    except Exception:
        return False


def say_cut(state, kind, text):
    """One `repair:` line per process and kind the first time a call of that
    kind is cut, and a count for the diagnose summary every time."""
    cuts = state.setdefault('cuts', {})
    if kind not in cuts:
        cuts[kind] = 0
        log(LOG_INFO, 'repair: %s (logged once per process)' % text)
    cuts[kind] += 1
    try:
        count_cut(kind)
    except Exception:
        pass


class Refused(RuntimeError):
    """A call no cut can make right: raised before any kernel runs."""


def refuse(what, detail):
    message = ('sageshim: %s cannot run correctly: %s. No kernel was launched (the '
               'result would be wrong or the CUDA context lost); shorten the input, '
               'or see `sageshim doctor`.' % (what, detail))
    log(LOG_WARN, 'repair: refused %s: %s' % (what, detail))
    raise Refused(message)


def piece_view(tensor, ranges, int_limit):
    """`tensor` narrowed to `ranges` ({dim: (start, stop)}), with the stride of
    every size-1 dimension kept small (repair_pieces.small_strides): a view
    of the caller's memory, so kernels writing it write the caller's tensor."""
    view = tensor
    for dim, (start, stop) in ranges.items():
        if start != 0 or stop != view.size(dim):
            view = view.narrow(dim, start, stop - start)
    sizes = tuple(view.size())
    strides = tuple(view.stride())
    fixed = small_strides(sizes, strides, int_limit)
    if fixed != strides:
        view = view.as_strided(sizes, fixed, view.storage_offset())
    return view
