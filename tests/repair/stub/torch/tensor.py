"""torch.Tensor as far as the repair's batch splitting needs it: sizes,
strides, narrow along the batch dimension, and torch.cat.

A tensor's data is one Python object per batch element, kept in a list the
tensor shares with its views (narrow), so writing through a view writes the
tensor, as in torch.  Sizes and strides are only numbers: a stub tensor of
2 x 200,000 x 56 x 128 elements holds two objects."""


class Device:
    """Where a stub tensor lives: the CPU (the repair touches CPU tensors only
    when a test sets SAGESHIM_TEST_CPU_ARCH)."""
    type = 'cpu'
    index = None


class Tensor:
    device = Device()

    def __init__(self, sizes, strides=None, items=None, _storage=None, _offset=0):
        self._sizes = tuple(sizes)
        if strides is None:
            strides, step = [], 1
            for size in reversed(self._sizes):
                strides.insert(0, step)
                step *= size
        self._strides = tuple(strides)
        if _storage is None:
            _storage = list(items) if items is not None else [None] * self._sizes[0]
            if len(_storage) != self._sizes[0]:
                raise ValueError("one item per batch element")
        self._storage = _storage
        self._offset = _offset

    def dim(self):
        return len(self._sizes)

    def size(self, dim=None):
        return self._sizes if dim is None else self._sizes[dim]

    def stride(self, dim=None):
        return self._strides if dim is None else self._strides[dim]

    def narrow(self, dim, start, length):
        if dim != 0 or start < 0 or start + length > self._sizes[0]:
            raise IndexError("narrow(%d, %d, %d) of %r" % (dim, start, length, self._sizes))
        return Tensor((length,) + self._sizes[1:], self._strides, _storage=self._storage,
                      _offset=self._offset + start)

    def items(self):
        """The batch elements' objects."""
        return self._storage[self._offset:self._offset + self._sizes[0]]

    def set_item(self, index, value):
        if not 0 <= index < self._sizes[0]:
            raise IndexError(index)
        self._storage[self._offset + index] = value


def cat(tensors, dim=0):
    if dim != 0:
        raise ValueError("the stub joins along the batch dimension only")
    first = tensors[0]
    items = [item for tensor in tensors for item in tensor.items()]
    return Tensor((len(items),) + first.size()[1:], first.stride(), items)
