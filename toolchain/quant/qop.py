"""QOperator models (QLinearConv, QGemm, ...) rewritten as QDQ: DequantizeLinear -> float op -> QuantizeLinear.

After this rewrite a QOperator model is an ordinary QDQ model, so one path (toolchain.quant.qdq) turns both
into integer programs. It runs on the ONNX model before shape inference, because ONNX cannot infer the
shapes of the com.microsoft operators. Operators that move int8 values without arithmetic (MaxPool, Flatten,
Reshape, ...) are wrapped in a DequantizeLinear / QuantizeLinear pair with their input's parameters, which is
what they mean on quantized values.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from toolchain.errors import ModelError

MS = "com.microsoft"
# Operator -> (float operator, [(x, scale, zero point) input index triples], output (scale, zp) indices or
# None for a float output, bias index or None).
_QLINEAR = {
    ("", "QLinearConv"): ("Conv", [(0, 1, 2), (3, 4, 5)], (6, 7), 8),
    ("", "QLinearMatMul"): ("MatMul", [(0, 1, 2), (3, 4, 5)], (6, 7), None),
    (MS, "QLinearAdd"): ("Add", [(0, 1, 2), (3, 4, 5)], (6, 7), None),
    (MS, "QLinearMul"): ("Mul", [(0, 1, 2), (3, 4, 5)], (6, 7), None),
    (MS, "QLinearAveragePool"): ("AveragePool", [(0, 1, 2)], (3, 4), None),
    (MS, "QLinearGlobalAveragePool"): ("GlobalAveragePool", [(0, 1, 2)], (3, 4), None),
    (MS, "QLinearSigmoid"): ("Sigmoid", [(0, 1, 2)], (3, 4), None),
    (MS, "QLinearLeakyRelu"): ("LeakyRelu", [(0, 1, 2)], (3, 4), None),
    (MS, "QLinearSoftmax"): ("Softmax", [(0, 1, 2)], (3, 4), None),
    (MS, "QGemm"): ("Gemm", [(0, 1, 2), (3, 4, 5)], (7, 8), 6),
}
# Operators whose meaning on quantized values is the same operator on the real values, with the input's
# quantization on the output.
# (Resize in nearest mode only copies; its linear modes on quantized values round as the float operator
# followed by the quantization does, within one step of onnxruntime's integer interpolation.)
PASS_THROUGH = {"MaxPool", "GlobalMaxPool", "Flatten", "Reshape", "Squeeze", "Unsqueeze", "Transpose", "Identity",
                "Slice", "DepthToSpace", "SpaceToDepth", "Split", "Pad", "Resize", "Gather", "Tile", "Expand"}
# Operators that read quantized values and write something else (indices): the same on the real values.
DEQUANTIZED_INPUT = {"ArgMax", "ArgMin"}
_INTEGER_MATMUL = {"MatMulInteger": "MatMul", "ConvInteger": "Conv"}
_FLOAT24 = 1 << 24


def _dom(node: onnx.NodeProto) -> str:
    return "" if node.domain in ("", "ai.onnx") else node.domain


_SPECIAL = {(MS, "QLinearConcat"), (MS, "QLinearWhere")}


def is_qoperator(model: onnx.ModelProto) -> bool:
    return any((_dom(n), n.op_type) in _QLINEAR or (_dom(n), n.op_type) in _SPECIAL or n.op_type in _INTEGER_MATMUL
               for n in model.graph.node)


class _Rewriter:
    def __init__(self, model: onnx.ModelProto, where: str) -> None:
        self.model = model
        self.where = where
        self.consts = {i.name: numpy_helper.to_array(i) for i in model.graph.initializer}
        self.names = {n for node in model.graph.node for n in list(node.input) + list(node.output)}
        self.names |= set(self.consts) | {i.name for i in model.graph.input}
        self.quant: dict[str, tuple[str, str]] = {}  # int8 run-time tensor -> (scale name, zero point name)
        self.nodes: list[onnx.NodeProto] = []
        self.new_inits: list[onnx.TensorProto] = []

    def fresh(self, hint: str) -> str:
        name, k = hint, 1
        while name in self.names:
            name, k = f"{hint}_{k}", k + 1
        self.names.add(name)
        return name

    def const(self, hint: str, value: np.ndarray) -> str:
        name = self.fresh(hint)
        self.consts[name] = value
        self.new_inits.append(numpy_helper.from_array(value, name))
        return name

    def dq(self, x: str, scale: str, zp: str, axis: int | None = None) -> str:
        out = self.fresh(f"{x}_dequantized")
        attrs = {} if axis is None else {"axis": axis}
        self.nodes.append(helper.make_node("DequantizeLinear", [x, scale, zp] if zp else [x, scale], [out],
                                           name=out, **attrs))
        return out

    def q(self, x: str, y: str, scale: str, zp: str, name: str) -> None:
        self.nodes.append(helper.make_node("QuantizeLinear", [x, scale, zp] if zp else [x, scale], [y], name=name))
        self.quant[y] = (scale, zp)

    def _axis_of(self, scale: str, tensor: str, default: int) -> int | None:
        s = self.consts.get(scale)
        return None if s is None or s.size <= 1 else default

    def qlinear(self, node: onnx.NodeProto) -> None:
        op, triples, out_q, bias = _QLINEAR[(_dom(node), node.op_type)]
        ins = list(node.input) + [""] * 10
        float_ins = []
        for k, (xi, si, zi) in enumerate(triples):
            axis = None
            if k == 1:  # weights: per output channel (Conv axis 0; MatMul / Gemm along the output columns)
                trans_b = next((a.i for a in node.attribute if a.name == "transB"), 0)
                axis = self._axis_of(ins[si], ins[xi], {"Conv": 0, "MatMul": -1, "Gemm": 0 if trans_b else 1}.get(op, 0))
            float_ins.append(self.dq(ins[xi], ins[si], ins[zi], axis))
        if bias is not None and ins[bias]:
            float_ins.append(self._bias(node, ins, triples))
        attrs = [a for a in node.attribute if a.name not in ("channels_last", "opset")]
        self._check_opset(node)
        if any(a.name == "channels_last" and a.i for a in node.attribute):
            raise ModelError(f"{self.where}: node {node.name!r} ({node.op_type}): channels_last=1 is not supported; "
                             "export the model with NCHW pooling")
        y = node.output[0]
        if out_q is None or not ins[out_q[0]]:
            self.nodes.append(helper.make_node(op, float_ins, [y], name=node.name or y))
            self.nodes[-1].attribute.extend(attrs)
            return
        yf = self.fresh(f"{y}_float")
        self.nodes.append(helper.make_node(op, float_ins, [yf], name=node.name or yf))
        self.nodes[-1].attribute.extend(attrs)
        self.q(yf, y, ins[out_q[0]], ins[out_q[1]], self.fresh(f"{y}_quantize"))

    def _check_opset(self, node: onnx.NodeProto) -> None:
        """QLinearSoftmax records the opset of the Softmax it replaced, which decides what its axis means
        (before 13: the input flattened to 2-D at the axis); the rewritten Softmax has the model's opset."""
        own = next((a.i for a in node.attribute if a.name == "opset"), None)
        model = next((o.version for o in self.model.opset_import if o.domain in ("", "ai.onnx")), None)
        if own is not None and model is not None and (own >= 13) != (model >= 13):
            raise ModelError(f"{self.where}: node {node.name!r} ({node.op_type}): written for opset {own} in a model "
                             f"of opset {model}, whose Softmax axis means something else; re-export the model "
                             "with one opset")

    def concat(self, node: onnx.NodeProto) -> None:
        """QLinearConcat: Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input."""
        ins = list(node.input)
        if len(ins) < 5 or (len(ins) - 2) % 3:
            raise ModelError(f"{self.where}: node {node.name!r} (QLinearConcat): expected 2 + 3k inputs, got {len(ins)}")
        floats = [self.dq(ins[k], ins[k + 1], ins[k + 2]) for k in range(2, len(ins), 3)]
        y = node.output[0]
        yf = self.fresh(f"{y}_float")
        self.nodes.append(helper.make_node("Concat", floats, [yf], name=node.name or yf))
        self.nodes[-1].attribute.extend(node.attribute)
        self.q(yf, y, ins[0], ins[1], self.fresh(f"{y}_quantize"))

    def where_node(self, node: onnx.NodeProto) -> None:
        """QLinearWhere: condition, X, X_scale, X_zero_point, Y, Y_scale, Y_zero_point, Z_scale, Z_zero_point."""
        ins = list(node.input) + [""] * 9
        fx, fy = self.dq(ins[1], ins[2], ins[3]), self.dq(ins[4], ins[5], ins[6])
        z = node.output[0]
        zf = self.fresh(f"{z}_float")
        self.nodes.append(helper.make_node("Where", [ins[0], fx, fy], [zf], name=node.name or zf))
        self.q(zf, z, ins[7], ins[8], self.fresh(f"{z}_quantize"))

    def dequantized_input(self, node: onnx.NodeProto) -> None:
        """An operator whose result is not a quantized value (ArgMax) reads the dequantized input."""
        new = onnx.NodeProto()
        new.CopyFrom(node)
        new.input[0] = self.dq(node.input[0], *self.quant[node.input[0]])
        self.nodes.append(new)

    def _bias(self, node: onnx.NodeProto, ins: list[str], triples: list[tuple[int, int, int]]) -> str:
        """int32 bias with scale x_scale * w_scale (per channel), as the QLinear operators define it."""
        xs, ws = self.consts.get(ins[triples[0][1]]), self.consts.get(ins[triples[1][1]])
        if xs is None or ws is None:
            raise ModelError(f"{self.where}: node {node.name!r} ({node.op_type}): input and weight scales must be "
                             "constants")
        scale = (xs.astype(np.float32) * ws.astype(np.float32)).reshape(-1).astype(np.float32)
        bias = ins[6] if node.op_type == "QGemm" else ins[8]
        s = self.const(f"{bias}_scale", scale if scale.size > 1 else scale.reshape(()))
        z = self.const(f"{bias}_zero_point", np.zeros(scale.shape if scale.size > 1 else (), np.int32))
        return self.dq(bias, s, z, 0 if scale.size > 1 else None)

    def integer_matmul(self, node: onnx.NodeProto) -> None:
        """MatMulInteger / ConvInteger: the int32 result computed as a float product of the zero-point-shifted
        integers (exact while every partial sum stays below 2^24, checked here), then cast to int32."""
        ins = list(node.input) + ["", ""]
        w = self.consts.get(ins[1])
        if w is None:
            raise ModelError(f"{self.where}: node {node.name!r} ({node.op_type}): the second input must be a constant")
        taps = int(np.prod(w.shape[1:])) if node.op_type == "ConvInteger" else int(w.shape[-2])
        wz = self.consts.get(ins[3]) if ins[3] else np.zeros((), w.dtype)
        wmax = int(np.max(np.abs(w.astype(np.int64) - np.asarray(wz, np.int64).reshape(-1)[0]))) if w.size else 0
        if taps * 255 * wmax >= _FLOAT24:
            raise ModelError(f"{self.where}: node {node.name!r} ({node.op_type}): {taps} products of up to 255 x "
                             f"{wmax} may exceed 2^24, which mlc cannot accumulate exactly; use a QDQ model instead")
        one = self.const(f"{node.name}_one", np.ones((), np.float32))
        fa = self.dq(ins[0], one, ins[2])
        fb = self.dq(ins[1], one, ins[3])
        yf = self.fresh(f"{node.output[0]}_float")
        self.nodes.append(helper.make_node(_INTEGER_MATMUL[node.op_type], [fa, fb], [yf], name=node.name or yf))
        self.nodes[-1].attribute.extend(node.attribute)
        self.nodes.append(helper.make_node("Cast", [yf], [node.output[0]], to=onnx.TensorProto.INT32,
                                           name=self.fresh(f"{node.output[0]}_cast")))

    def pass_through(self, node: onnx.NodeProto) -> None:
        """Wrap an int8 data-movement operator in DequantizeLinear / QuantizeLinear with its input's parameters."""
        x = node.input[0]
        scale, zp = self.quant[x]
        xf = self.dq(x, scale, zp)
        outs = []
        for y in node.output:
            outs.append(self.fresh(f"{y}_float") if y else "")
        new = onnx.NodeProto()
        new.CopyFrom(node)
        new.input[0] = xf
        if node.op_type == "Pad" and len(node.input) > 2 and node.input[2]:
            new.input[2] = self.dq(node.input[2], scale, zp)  # the pad value is stored quantized
        del new.output[:]
        new.output.extend(outs)
        self.nodes.append(new)
        for y, yf in zip(node.output, outs):
            if y:
                self.q(yf, y, scale, zp, self.fresh(f"{y}_quantize"))

    def run(self) -> onnx.ModelProto:
        for node in self.model.graph.node:
            key = (_dom(node), node.op_type)
            if key in _QLINEAR:
                self.qlinear(node)
            elif key == (MS, "QLinearConcat"):
                self.concat(node)
            elif key == (MS, "QLinearWhere"):
                self.where_node(node)
            elif _dom(node) == "" and node.op_type in DEQUANTIZED_INPUT and node.input[0] in self.quant:
                self.dequantized_input(node)
            elif node.op_type in _INTEGER_MATMUL and _dom(node) == "":
                self.integer_matmul(node)
            elif _dom(node) == "" and node.op_type in PASS_THROUGH and node.input and node.input[0] in self.quant:
                self.pass_through(node)
            else:
                self.nodes.append(node)
                if node.op_type == "QuantizeLinear" and _dom(node) == "":
                    ins = list(node.input) + [""]
                    self.quant[node.output[0]] = (ins[1], ins[2])
        new = onnx.ModelProto()
        new.CopyFrom(self.model)
        del new.graph.node[:]
        new.graph.node.extend(self.nodes)
        new.graph.initializer.extend(self.new_inits)
        # Shapes recorded for rewritten tensors may be stale (int8 -> float); shape inference recomputes them.
        keep = [vi for vi in new.graph.value_info if vi.name in self.names]
        del new.graph.value_info[:]
        new.graph.value_info.extend(keep)
        if not any(o.domain in ("", "ai.onnx") for o in new.opset_import):
            new.opset_import.append(helper.make_opsetid("", 13))
        return new


_FOUR_BIT = {onnx.TensorProto.INT4: np.int8, onnx.TensorProto.UINT4: np.uint8}


def standard_qdq(model: onnx.ModelProto, where: str) -> onnx.ModelProto:
    """com.microsoft QuantizeLinear / DequantizeLinear, which onnxruntime writes for 4- and 16-bit types below
    opset 21, are the standard operators. 4-bit constants (weights) become 8-bit constants with the same
    values, exactly; 4-bit run-time tensors are refused."""
    if not any(n.domain == MS and n.op_type in ("QuantizeLinear", "DequantizeLinear") for n in model.graph.node):
        return model
    new = onnx.ModelProto()
    new.CopyFrom(model)
    inits = {i.name: i for i in new.graph.initializer}
    for node in new.graph.node:
        if node.domain != MS or node.op_type not in ("QuantizeLinear", "DequantizeLinear"):
            continue
        zp = inits.get(node.input[2]) if len(node.input) > 2 and node.input[2] else None
        if node.op_type == "QuantizeLinear" and zp is not None and zp.data_type in _FOUR_BIT:
            raise ModelError(f"{where}: node {node.name!r} quantizes tensor {node.input[0]!r} to 4 bits; mlc's "
                             "run-time tensors are 8-bit: quantize activations to int8 or uint8 (4-bit weights work)")
        node.domain = ""
        for name in node.input:
            init = inits.get(name)
            if init is not None and init.data_type in _FOUR_BIT:
                wide = numpy_helper.from_array(numpy_helper.to_array(init).astype(_FOUR_BIT[init.data_type]), name)
                init.CopyFrom(wide)
    return new


def expand(model: onnx.ModelProto, where: str) -> onnx.ModelProto:
    """The model with every QOperator node written as DequantizeLinear -> float op -> QuantizeLinear (and
    onnxruntime's com.microsoft Quantize/DequantizeLinear as the standard ones)."""
    model = standard_qdq(model, where)
    if not is_qoperator(model):
        return model
    return _Rewriter(model, where).run()
