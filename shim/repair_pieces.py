"""sageshim's repair, part 1 of 5: how to cut a call into pieces that fit.

SageAttention's kernels form element offsets in 32-bit arithmetic and its
host code reads every stride into an `int` (docs: sageattention-long.md).  A
call whose offsets would pass those limits is run as pieces - batch elements,
head groups and (where attention rows are independent) ranges of query rows -
each of which a kernel addresses with offsets that fit.  This part is plain
arithmetic on sizes and strides, a model of the upstream expressions; it
never touches a tensor, so it is tested alone (tests/pieces/test_pieces.py).

The repair's files are run in one private namespace, in the order
repair_source.S embeds them: this one first.
"""

# Element offsets of the CUDA kernels are unsigned 32-bit: an offset must stay
# below this.  The host's `int x = tensor.stride(i)` and Triton's i32
# arithmetic are signed: a stride, or a Triton offset, must stay below half.
OFFSET_LIMIT = 1 << 32
INT_LIMIT = 1 << 31


def limits_from(environment):
    """(offset limit, int limit).  SAGESHIM_OFFSET_BITS=k (12..32) lowers the
    32-bit limit to 2^k (and the int limit to 2^(k-1)) so that tests can cut
    small tensors as the real limits cut long ones; anything else is ignored.
    Lower limits only make more pieces, never a different result."""
    text = environment.get('SAGESHIM_OFFSET_BITS', '')
    if text.isdigit() and 12 <= int(text) <= 32:
        bits = int(text)
        return 1 << bits, 1 << (bits - 1)
    return OFFSET_LIMIT, INT_LIMIT


def round_up(value, multiple):
    return -(-value // multiple) * multiple


def span(sizes, strides):
    """One past the largest element offset of a view with these sizes and
    strides (0 when it is empty): what a kernel's offset must stay below."""
    if any(size == 0 for size in sizes):
        return 0
    return 1 + sum((size - 1) * stride for size, stride in zip(sizes, strides))


def small_strides(sizes, strides, int_limit):
    """The strides a piece is handed: a dimension of size 1 is never stepped
    along, so a stride there that an `int` would mangle is replaced by the
    next inner stride (the host builds tensor maps from it: it must stay a
    valid, aligned value).  Others are kept, so pieces that need no change
    are the caller's own views."""
    result = list(strides)
    for index, size in enumerate(sizes):
        if size == 1 and result[index] >= int_limit:
            inner = [result[j] for j in range(index + 1, len(sizes)) if sizes[j] > 1]
            result[index] = inner[0] if inner else 1
    return tuple(result)


def step_choices(total):
    """The piece sizes worth trying along a dimension of `total`: one per
    piece count (ceil(total / k) for k = 1..total), largest first."""
    choices = []
    for count in range(1, total + 1):
        size = -(-total // count)
        if not choices or size < choices[-1]:
            choices.append(size)
    return choices


def row_choices(rows, block):
    """Row-range sizes, multiples of `block`, largest (all rows) first."""
    if rows <= block:
        return [rows]
    choices = [rows]
    for count in range(2, -(-rows // block) + 1):
        size = round_up(-(-rows // count), block)
        if size < choices[-1]:
            choices.append(size)
    return choices


def plan(batch, heads, rows, fits, row_block, cut_rows):
    """The fewest pieces (batch_step, head_step, row_step) such that
    fits(batch_step, head_step, row_step) holds for the largest piece, or
    None when even the smallest allowed piece does not fit.  `heads` counts
    the units heads are cut in (key/value heads for attention), `row_block`
    the multiple a row cut must be (a quantization block), `cut_rows` whether
    rows may be cut at all (not for causal attention).  fits() must be
    monotone: a smaller piece fits whenever a larger one does."""
    best = None
    for batch_step in step_choices(batch):
        for head_step in step_choices(heads):
            candidates = row_choices(rows, row_block) if cut_rows else [rows]
            # The smallest count of row pieces that fits (candidates shrink).
            low, high = 0, len(candidates) - 1
            if not fits(batch_step, head_step, candidates[high]):
                continue
            while low < high:
                middle = (low + high) // 2
                if fits(batch_step, head_step, candidates[middle]):
                    high = middle
                else:
                    low = middle + 1
            row_step = candidates[low]
            count = (-(-batch // batch_step)) * (-(-heads // head_step)) * (-(-rows // row_step))
            key = (count, -row_step, -head_step)
            if best is None or key < best[0]:
                best = (key, (batch_step, head_step, row_step))
    return None if best is None else best[1]


def pieces(batch, heads, rows, steps):
    """Every piece of a plan: (b0, b1, h0, h1, r0, r1), half-open ranges."""
    batch_step, head_step, row_step = steps
    for b0 in range(0, batch, batch_step):
        for h0 in range(0, heads, head_step):
            for r0 in range(0, max(rows, 1), row_step):
                yield (b0, min(b0 + batch_step, batch), h0, min(h0 + head_step, heads),
                       r0, min(r0 + row_step, rows))


def count_pieces(batch, heads, rows, steps):
    batch_step, head_step, row_step = steps
    return (-(-batch // batch_step)) * (-(-heads // head_step)) * (-(-max(rows, 1) // row_step))
