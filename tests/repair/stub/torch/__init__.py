"""A stand-in for torch with just what the repair touches: torch.library's
custom_op / register_fake and the torch.ops namespaces, and tensors with
sizes and strides (torch.Tensor, torch.cat).  It records what was registered
and called so the tests can tell the op from its fake."""
from . import library
from .library import ops
from .tensor import Tensor, cat

__all__ = ["library", "ops", "Tensor", "cat"]
