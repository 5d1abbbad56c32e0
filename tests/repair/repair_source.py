"""The repair's Python as the shim runs it: shim/repair_source.S lists the
files (its .incbin lines, in order); this joins them the same way, so the
tests and the bench never keep a list of their own.

    from repair_source import repair_code
    exec(repair_code(), names)
"""
import os
import re

ROOT = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', '..')


def repair_files():
    """The repair's files, in the order the library embeds them."""
    with open(os.path.join(ROOT, 'shim', 'repair_source.S')) as f:
        return [os.path.join(ROOT, path) for path in re.findall(r'\.incbin "([^"]+)"', f.read())]


def repair_code():
    """The files joined (one newline between them) and compiled as the
    library compiles them."""
    text = ''
    for path in repair_files():
        with open(path) as f:
            text += f.read() + '\n'
    return compile(text, '<sageshim-repair>', 'exec')
