"""Fixture: an extension named like SageAttention's, in another package (not
watched: the shim must hand out the real PyInit)."""
import torch

from . import _qattn_sm90


def call():
    return "not watched"
