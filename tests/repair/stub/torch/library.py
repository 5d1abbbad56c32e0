"""torch.library as far as the repair tests need it (see torch/__init__.py)."""
import sys


class _OpNamespace:
    """torch.ops.<namespace>: attributes are the ops registered in it; a name
    that is not an op raises AttributeError, as in torch."""

    def __init__(self, name):
        self._name = name
        self._ops = {}

    def __getattr__(self, name):
        try:
            return self.__dict__["_ops"][name]
        except KeyError:
            raise AttributeError("no op %s::%s" % (self._name, name)) from None


class _Ops:
    """torch.ops: namespaces appear on first access, as in torch."""

    def __init__(self):
        self._namespaces = {}

    def __getattr__(self, name):
        if name.startswith("__"):
            raise AttributeError(name)
        namespaces = self.__dict__["_namespaces"]
        if name not in namespaces:
            namespaces[name] = _OpNamespace(name)
        return namespaces[name]


ops = _Ops()

# qualname -> CustomOpDef; qualname -> the fake registered for it.
custom_ops = {}
fakes = {}
# Every register_fake call: (op, args, kwargs), to check they pass unchanged.
register_fake_calls = []
# Where each fake was registered from, as torch finds it: the module name and
# file of the frame `_stacklevel` levels above the function that takes it
# (register_fake in the direct form, the returned decorator otherwise).
register_fake_sources = {}


def _source(levels):
    """The frame `levels` above the caller of _source (+1: _source's own);
    None where the stack is not that deep."""
    try:
        frame = sys._getframe(levels + 1)
    except ValueError:
        return None
    return frame.f_globals.get("__name__"), frame.f_code.co_filename


class CustomOpDef:
    """What torch.library.custom_op returns: callable, runs the real function."""

    def __init__(self, qualname, fn):
        self._qualname = qualname
        self._fn = fn
        self.calls = 0
        self.__name__ = fn.__name__

    def __call__(self, *args, **kwargs):
        self.calls += 1
        return self._fn(*args, **kwargs)

    def register_fake(self, fn):
        fakes[self._qualname] = fn
        return fn


def custom_op(qualname, fn=None, *, mutates_args, device_types=None, schema=None):
    def decorate(f):
        op = CustomOpDef(qualname, f)
        namespace, name = qualname.split("::")
        custom_ops[qualname] = op
        getattr(ops, namespace)._ops[name] = op
        return op

    return decorate if fn is None else decorate(fn)


def register_fake(op, func=None, /, *, lib=None, _stacklevel=1, allow_override=False):
    register_fake_calls.append((op, (func,) if func is not None else (),
                                {"lib": lib, "_stacklevel": _stacklevel,
                                 "allow_override": allow_override}))

    def register(f, _direct=False):
        # Called by the decorator's caller (level 1), or from register_fake
        # below (one frame more).
        register_fake_sources[op] = _source(_stacklevel + (1 if _direct else 0))
        fakes[op] = f
        return f

    return register if func is None else register(func, _direct=True)
