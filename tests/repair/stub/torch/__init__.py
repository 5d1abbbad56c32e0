"""A stand-in for torch with just what the repair touches: torch.library's
custom_op / register_fake and the torch.ops namespaces.  It records what was
registered and called so the tests can tell the op from its fake."""
from . import library
from .library import ops

__all__ = ["library", "ops"]
