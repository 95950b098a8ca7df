"""Einsum of one or two operands rewritten at import as operators mlc has kernels for: ReduceSum of the
letters only one operand has, Transposes to [batch, kept, contracted] / [batch, contracted, kept], Reshapes
to three axes, one MatMul, and back. What it does not cover (a letter twice in one operand, three or more
operands, batch axes of different sizes) stays an Einsum node, which mlc then reports as unsupported.
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper, numpy_helper

from toolchain.functions import value_types, with_nodes


def _parse(equation: str, ranks: list[int]) -> tuple[list[str], str] | None:
    """The operands' letters and the output's, with '...' spelled as letters of its own; None if unusable."""
    eq = equation.replace(" ", "")
    lhs, arrow, out = eq.partition("->")
    terms = lhs.split(",")
    if len(terms) != len(ranks) or not all(c.isascii() for c in eq):
        return None
    width = max((r - len(t.replace("...", "")) for t, r in zip(terms, ranks) if "..." in t), default=0)
    ell = "".join(chr(0x3B1 + i) for i in range(width))  # Greek letters: never in an ONNX equation
    spelled = []
    for t, r in zip(terms, ranks):
        if "..." in t:
            n = r - len(t.replace("...", ""))
            t = t.replace("...", ell[width - n:] if n else "")
        if len(t) != r or len(set(t)) != len(t) or not t.isalpha():
            return None
        spelled.append(t)
    if arrow:
        out = out.replace("...", ell)
    else:
        letters = "".join(spelled)
        out = ell + "".join(sorted(c for c in set(letters) if letters.count(c) == 1 and c.isascii()))
    if len(set(out)) != len(out) or any(c not in "".join(spelled) for c in out):
        return None
    return spelled, out


class _Builder:
    def __init__(self, node: onnx.NodeProto, opset: int) -> None:
        self.prefix, self.opset = f"{node.name or 'Einsum'}/", opset
        self.nodes: list[onnx.NodeProto] = []
        self.inits: list[onnx.TensorProto] = []

    def add(self, op: str, inputs: list[str], out: str | None = None, **attrs) -> str:
        out = out or f"{self.prefix}{op}_{len(self.nodes)}"
        self.nodes.append(helper.make_node(op, inputs, [out], name=f"{self.prefix}{op}_{len(self.nodes)}", **attrs))
        return out

    def const(self, values: list[int]) -> str:
        name = f"{self.prefix}c{len(self.inits)}"
        self.inits.append(numpy_helper.from_array(np.asarray(values, np.int64), name))
        return name

    def reduce_sum(self, x: str, letters: str, drop: str) -> tuple[str, str]:
        axes = [i for i, c in enumerate(letters) if c in drop]
        if not axes:
            return x, letters
        if self.opset >= 13:
            x = self.add("ReduceSum", [x, self.const(axes)], keepdims=0)
        else:
            x = self.add("ReduceSum", [x], axes=axes, keepdims=0)
        return x, "".join(c for c in letters if c not in drop)

    def transpose(self, x: str, letters: str, order: str, out: str | None = None) -> str:
        if letters == order:
            return self.add("Identity", [x], out) if out else x
        return self.add("Transpose", [x], out, perm=[letters.index(c) for c in order])


def _rewrite(node: onnx.NodeProto, shapes: list[list[int]], opset: int) -> _Builder | None:
    equation = next((a.s.decode() for a in node.attribute if a.name == "equation"), "")
    parsed = _parse(equation, [len(s) for s in shapes])
    if parsed is None or len(shapes) not in (1, 2):
        return None
    terms, out = parsed
    size = {c: d for t, s in zip(terms, shapes) for c, d in zip(t, s)}
    if any(size[c] != d for t, s in zip(terms, shapes) for c, d in zip(t, s)):
        return None  # a letter with two sizes (broadcasting of size-1 axes is not rewritten)
    b = _Builder(node, opset)
    if len(terms) == 1:
        x, letters = b.reduce_sum(node.input[0], terms[0], "".join(c for c in terms[0] if c not in out))
        b.transpose(x, letters, out, node.output[0])
        return b
    (ta, tb), (xa, xb) = terms, list(node.input[:2])
    xa, ta = b.reduce_sum(xa, ta, "".join(c for c in ta if c not in tb and c not in out))
    xb, tb = b.reduce_sum(xb, tb, "".join(c for c in tb if c not in ta and c not in out))
    batch = "".join(c for c in out if c in ta and c in tb)
    kept_a = "".join(c for c in out if c in ta and c not in tb)
    kept_b = "".join(c for c in out if c in tb and c not in ta)
    contracted = "".join(c for c in ta if c in tb and c not in out)

    def prod(letters: str) -> int:
        return int(np.prod([size[c] for c in letters], dtype=np.int64))

    a3 = b.add("Reshape", [b.transpose(xa, ta, batch + kept_a + contracted),
                           b.const([prod(batch), prod(kept_a), prod(contracted)])])
    b3 = b.add("Reshape", [b.transpose(xb, tb, batch + contracted + kept_b),
                           b.const([prod(batch), prod(contracted), prod(kept_b)])])
    y = b.add("MatMul", [a3, b3])
    y = b.add("Reshape", [y, b.const([size[c] for c in batch + kept_a + kept_b] or [1])])
    if not out:  # a scalar result
        y = b.add("Reshape", [y, b.const([])])
    b.transpose(y, batch + kept_a + kept_b, out, node.output[0])
    return b


def rewrite_einsum(model: onnx.ModelProto, opset: int) -> onnx.ModelProto:
    """`model` with its Einsum nodes written as other operators where _rewrite covers them."""
    if not any(n.op_type == "Einsum" and n.domain in ("", "ai.onnx") for n in model.graph.node):
        return model
    shapes = {name: [d.dim_value if d.HasField("dim_value") else -1 for d in t.tensor_type.shape.dim]
              for name, t in value_types(model).items() if t.tensor_type.HasField("shape")}
    nodes: list[onnx.NodeProto] = []
    inits: list[onnx.TensorProto] = []
    for n in model.graph.node:
        ins = [shapes.get(i) for i in n.input]
        done = None
        if n.op_type == "Einsum" and n.domain in ("", "ai.onnx") and all(s is not None and -1 not in s for s in ins):
            done = _rewrite(n, ins, opset)  # type: ignore[arg-type]
        if done is None:
            nodes.append(n)
            continue
        nodes.extend(done.nodes)
        inits.extend(done.inits)
    return with_nodes(model, nodes, inits)
