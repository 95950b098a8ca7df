"""LSTM and GRU (layout 0 and 1): forward, reverse, bidirectional; optional bias, initial states and peepholes;
activations from the mlc unary set; clip; GRU's linear_before_reset. Weights, bias and initial states
may be constants or run-time tensors (both in ONNX's layout). Each node is one kernel call with a scratch
buffer (gates and running state) reserved by the planner."""

from __future__ import annotations

from typing import Any

import numpy as np

from toolchain.ir import Graph, Node
from toolchain.ops.base import (
    NULL,
    Arg,
    KernelCall,
    LowerCtx,
    OpDef,
    Unsupported,
    check_float,
    param_arg,
    register,
    shape,
)

# activation name (lower case) -> (mlc_unary_op_t, default alpha, default beta, uses alpha, uses beta)
RNN_ACTS: dict[str, tuple[int, float, float, bool, bool]] = {
    "relu": (1, 0.0, 0.0, False, False),
    "tanh": (5, 0.0, 0.0, False, False),
    "sigmoid": (4, 0.0, 0.0, False, False),
    "leakyrelu": (3, 0.01, 0.0, True, False),
    "thresholdedrelu": (28, 1.0, 0.0, True, False),
    "hardsigmoid": (6, 0.2, 0.5, True, True),
    "elu": (21, 1.0, 0.0, True, False),
    "softsign": (27, 0.0, 0.0, False, False),
    "softplus": (26, 0.0, 0.0, False, False),
}


def _activations(node: Node, per_dir: int, defaults: list[str], dirs: int) -> list[dict[str, Any]]:
    """The activation forms, f g (h) per direction, consuming activation_alpha/beta in order."""
    names = list(node.attrs.get("activations", defaults * dirs))
    if len(names) != per_dir * dirs:
        raise Unsupported(f"{len(names)} activations for {dirs} direction(s) (expected {per_dir * dirs})")
    alphas = list(node.attrs.get("activation_alpha", []))
    betas = list(node.attrs.get("activation_beta", []))
    forms = []
    for name in names:
        key = str(name).lower()
        if key not in RNN_ACTS:
            raise Unsupported(f"activation {name}")
        code, alpha, beta, uses_a, uses_b = RNN_ACTS[key]
        if uses_a and alphas:
            alpha = float(alphas.pop(0))
        if uses_b and betas:
            beta = float(betas.pop(0))
        forms.append({"op": code, "alpha": alpha, "beta": beta})
    return forms


class _Recurrent(OpDef):
    gates: int = 4
    per_dir: int = 3
    defaults: list[str] = ["Sigmoid", "Tanh", "Tanh"]

    def _dirs(self, node: Node) -> int:
        direction = node.attrs.get("direction", "forward")
        if direction not in ("forward", "reverse", "bidirectional"):
            raise Unsupported(f"direction={direction}")
        return 2 if direction == "bidirectional" else 1

    def check(self, node: Node, g: Graph) -> None:
        check_float(node, g, [0, 1, 2, 3, 5, 6, 7])
        if int(node.attrs.get("layout", 0)) not in (0, 1):
            raise Unsupported(f"layout={node.attrs['layout']}")
        if node.input(4):
            lens = g.const(node.input(4))
            seq = self._base_params(node, g)["seq"]
            if lens is None or np.any(np.asarray(lens) != seq):
                raise Unsupported("sequence_lens other than the full sequence length")
        _activations(node, self.per_dir, self.defaults, self._dirs(node))

    def _base_params(self, node: Node, g: Graph) -> dict[str, Any]:
        layout = int(node.attrs.get("layout", 0))
        seq, batch, inp = shape(g, node.inputs[0])
        if layout:
            seq, batch = batch, seq
        hidden = shape(g, node.inputs[2])[-1]
        return {"seq": seq, "batch": batch, "input": inp, "hidden": hidden, "num_dirs": self._dirs(node),
                "reverse": int(node.attrs.get("direction", "forward") == "reverse"), "layout": layout}

    def scratch_bytes(self, node: Node, g: Graph, kernels: tuple[str, ...] = ("ref",)) -> int:
        p = self._base_params(node, g)
        return 4 * self._scratch_floats(p["batch"], p["hidden"])

    def _scratch_floats(self, batch: int, hidden: int) -> int:
        raise NotImplementedError

    def _acts(self, node: Node, dirs: int) -> list[list[dict[str, Any]]]:
        """[f, g, (h)] each a 2-slot list (direction 0 and 1; the second repeats the first when forward)."""
        forms = _activations(node, self.per_dir, self.defaults, dirs)
        per = [forms[d * self.per_dir:(d + 1) * self.per_dir] for d in range(dirs)]
        if dirs == 1:
            per.append(per[0])
        return [[per[0][k], per[1][k]] for k in range(self.per_dir)]

    def _opt(self, ctx: LowerCtx, node: Node, index: int) -> Arg:
        return ctx.tensor(node.inputs[index]) if node.input(index) else NULL

    def _out(self, ctx: LowerCtx, node: Node, index: int) -> Arg:
        return ctx.tensor(node.outputs[index]) if len(node.outputs) > index and node.outputs[index] else NULL

    def _weights(self, ctx: LowerCtx, node: Node) -> list[Arg]:
        return [param_arg(ctx, node, i, f"{node.name}_{what}") for i, what in ((1, "W"), (2, "R"), (3, "B"))]

    def macs(self, node: Node, g: Graph) -> int:
        p = self._base_params(node, g)
        return p["seq"] * p["num_dirs"] * p["batch"] * self.gates * p["hidden"] * (p["input"] + p["hidden"])


@register
class LSTM(_Recurrent):
    op_types = ("LSTM",)
    rejects = ("input_forget=1", "sequence_lens other than the full sequence length", "activations outside the mlc unary set (Affine, ScaledTanh)", "direction other than forward, reverse, bidirectional")

    def check(self, node: Node, g: Graph) -> None:
        super().check(node, g)
        if int(node.attrs.get("input_forget", 0)):
            raise Unsupported("input_forget=1")

    def _scratch_floats(self, batch: int, hidden: int) -> int:
        return batch * 6 * hidden

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        params = self._base_params(node, g)
        f, gg, h = self._acts(node, params["num_dirs"])
        params.update({"clip": float(node.attrs.get("clip", 0.0)), "f": f, "g": gg, "h": h})
        args = ([ctx.tensor(node.inputs[0])] + self._weights(ctx, node)
                + [self._opt(ctx, node, 5), self._opt(ctx, node, 6), self._opt(ctx, node, 7)]
                + [self._out(ctx, node, 0), self._out(ctx, node, 1), self._out(ctx, node, 2), ctx.scratch(node)])
        return [KernelCall("mlc_lstm_f32", "mlc_lstm_params_t", params, args)]


@register
class GRU(_Recurrent):
    op_types = ("GRU",)
    rejects = ("sequence_lens other than the full sequence length", "activations outside the mlc unary set (Affine, ScaledTanh)", "direction other than forward, reverse, bidirectional")
    gates = 3
    per_dir = 2
    defaults = ["Sigmoid", "Tanh"]

    def _scratch_floats(self, batch: int, hidden: int) -> int:
        return batch * 7 * hidden

    def lower(self, node: Node, ctx: LowerCtx) -> list[KernelCall]:
        g = ctx.graph
        params = self._base_params(node, g)
        f, gg = self._acts(node, params["num_dirs"])
        params.update({"linear_before_reset": int(node.attrs.get("linear_before_reset", 0)),
                       "clip": float(node.attrs.get("clip", 0.0)), "f": f, "g": gg})
        args = ([ctx.tensor(node.inputs[0])] + self._weights(ctx, node) + [self._opt(ctx, node, 5)]
                + [self._out(ctx, node, 0), self._out(ctx, node, 1), ctx.scratch(node)])
        return [KernelCall("mlc_gru_f32", "mlc_gru_params_t", params, args)]
