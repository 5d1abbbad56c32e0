"""GPU stand-in of a SageAttention package (68de379's shape): the Triton
modules first, then the attention extension module, looked up at call time."""
from .core import sm90_attention, triton_attention, per_thread_int8_triton  # noqa: F401
