"""Operators whose output is input 0 with another shape (or the same): views, never copies."""

from __future__ import annotations

from toolchain.ir import Graph, Node
from toolchain.ops.base import OpDef, check_unused_outputs, register


@register
class Alias(OpDef):
    op_types = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")
    alias = True

    def check(self, node: Node, g: Graph) -> None:
        if node.op == "Dropout":
            check_unused_outputs(node, g, 1, "mask")
