"""Operator definitions. Importing this package registers every operator."""

from toolchain.ops import (  # noqa: F401  (imported for registration)
    activations,
    conv,
    elementwise,
    gemm,
    math,
    movement,
    norm,
    pool,
    quantize,
    recurrent,
    reduce,
    reshape,
    resize,
    softmax,
    tensor,
)
from toolchain.ops.base import REGISTRY, OpDef, Unsupported, opdef

__all__ = ["REGISTRY", "OpDef", "Unsupported", "opdef"]
