"""Fixture: the QuantInt8 launch as the real host code makes it - every stride
keeps its low 32 bits - so with a batch of 2 or more and a batch stride of
2^32 elements or more, the elements after the first are read from the wrong
place (here: marked "wrapped")."""


def quant_per_block_int8_cuda(source, output, scale, sm_scale, block_size, layout):
    truncated = source.stride(0) % (1 << 32) != source.stride(0)
    for b, item in enumerate(source.items()):
        read = 'wrapped' if truncated and b > 0 else item
        output.set_item(b, 'int8(%s)' % read)
        scale.set_item(b, 'scale(%s)' % read)
