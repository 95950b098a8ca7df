"""QuantizeLinear and DequantizeLinear on run-time tensors: the float boundary of an integer program.

Quantized constants never reach these definitions: toolchain.quant.qdq turns DequantizeLinear of an
initializer into a float constant that remembers its integers. At run time only per-tensor int8 is supported
(uint8 tensors are re-based to int8 by the importer where they pair up; what remains is rejected here).
"""

from __future__ import annotations

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import KernelCall, LowerCtx, OpDef, Unsupported, register, require_const, shape
from toolchain.quant.qdq import integer_io_mark


def boundary_params(node: Node, g: Graph) -> tuple[float, int]:
    """(scale, zero point) of a per-tensor QuantizeLinear / DequantizeLinear with constant parameters."""
    scale = np.asarray(require_const(g, node, 1, "scale"))
    if scale.size != 1:
        raise Unsupported("per-axis quantization of a run-time tensor (only per tensor)")
    zp = np.asarray(g.const(node.input(2))) if node.input(2) else np.zeros((), np.int8)
    if node.input(2) and g.const(node.input(2)) is None:
        raise Unsupported("zero point (input 2) must be a constant")
    int_dtype = g.tensors[node.outputs[0] if node.op == "QuantizeLinear" else node.inputs[0]].dtype
    if int_dtype != "int8" or zp.dtype != np.int8:
        raise Unsupported(f"{int_dtype} run-time tensors (only int8)")
    s = float(scale.reshape(-1)[0])
    if not s > 0 or not np.isfinite(s):
        raise Unsupported(f"scale {s} (must be positive)")
    if node.attrs.get("saturate", 1) != 1:
        raise Unsupported("saturate=0")
    return s, int(zp.reshape(-1)[0])


@register
class QuantizeLinear(OpDef):
    op_types = ("QuantizeLinear", "DequantizeLinear")
    dtypes = ("float32", "int8")
    rejects = ("per-axis or block quantization of run-time tensors", "uint8, int16, int4 and float8 run-time tensors")

    def check(self, node: Node, g: Graph) -> None:
        if integer_io_mark(g, node) is None:  # else integerize connects it to the int8 side
            boundary_params(node, g)

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        s, zp = boundary_params(node, ctx.graph)
        params = {"size": int(np.prod(shape(ctx.graph, node.outputs[0]) or (1,))), "scale": s, "zero_point": zp}
        args = [ctx.tensor(node.inputs[0]), ctx.tensor(node.outputs[0])]
        if node.op == "QuantizeLinear":
            return [KernelCall("mlc_quantize_f32_s8", "mlc_quant_params_t", params, args)]
        return [KernelCall("mlc_dequantize_s8_f32", "mlc_quant_params_t", params, args)]
