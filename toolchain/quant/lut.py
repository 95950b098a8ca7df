"""The real-valued function of a one-input elementwise node, for the int8 lookup tables.

onnx.reference evaluates the node itself, so every elementwise operator (with its attributes and constant
extra inputs, e.g. Clip's bounds) gets its table from the ONNX definition rather than a second copy here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
from onnx import TensorProto, helper, numpy_helper
from onnx.reference import ReferenceEvaluator

from toolchain.ir import Graph, Node


def node_function(node: Node, g: Graph) -> Callable[[np.ndarray], np.ndarray]:
    extra = [i for i in node.inputs[1:]]
    inits = [numpy_helper.from_array(np.asarray(g.const(i)), f"c{k}") for k, i in enumerate(extra) if i]
    inputs = ["x"] + [f"c{k}" if i else "" for k, i in enumerate(extra)]
    onnx_node = helper.make_node(node.op, inputs, ["y"], **node.attrs)
    graph = helper.make_graph([onnx_node], "lut", [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None])], inits)
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", g.opset)])
    evaluator = ReferenceEvaluator(model)

    def fn(x: np.ndarray) -> np.ndarray:
        (y,) = evaluator.run(None, {"x": np.asarray(x, np.float32)})
        return np.asarray(y, np.float64)

    return fn
