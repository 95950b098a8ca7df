"""Operators whose output is input 0 with another shape (or the same): views, never copies."""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node, QParams
from toolchain.ops.base import ANY, OpDef, Unsupported, check_unused_outputs, register


@register
class Alias(OpDef):
    op_types = ("Reshape", "Flatten", "Squeeze", "Unsqueeze", "Identity", "Dropout")
    dtypes = ANY
    rejects = ("Dropout training_mode true or at run time", "Dropout mask output")
    alias = True

    def check_s8(self, node: Node, g: Graph) -> None:
        self.check(node, g)
        xq, yq = g.tensors[node.inputs[0]].quant, g.tensors[node.outputs[0]].quant
        if xq is None or not xq.same(yq):
            raise Unsupported("input and output quantization differ (a view cannot rescale)")

    def s8_output_quant(self, node: Node, g: Graph) -> QParams | None:
        return g.tensors[node.inputs[0]].quant

    def check(self, node: Node, g: Graph) -> None:
        if node.op == "Dropout":
            check_unused_outputs(node, g, 1, "mask")
            # Opset 12+: training_mode (input 2) true makes it random; only inference mode is a pass-through.
            if node.input(2):
                mode = g.const(node.input(2))
                if mode is None:
                    raise Unsupported("training_mode (input 2) must be a constant")
                if bool(np.asarray(mode).reshape(-1)[0]):
                    raise Unsupported("training_mode=true")
