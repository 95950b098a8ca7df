"""LSTM and GRU: the C kernels against onnxruntime and against the numpy reference below (the ONNX
equations written out), forward, reverse, bidirectional, with and without bias, initial states, peepholes,
clip, non-default activations and linear_before_reset."""

from __future__ import annotations

import numpy as np
import pytest
from onnx import numpy_helper

from tests.ops.util import Case, Group, compiled_graph, const, model, node, run_host, save
from toolchain.build import compile_model
from toolchain.errors import ModelError


def _sig(x):
    return 1 / (1 + np.exp(-x))


def lstm_ref(x, w, r, b=None, h0=None, c0=None, p=None, reverse=False):
    """Numpy LSTM, one direction, default activations: returns Y [seq, batch, hidden], Y_h, Y_c."""
    hidden = r.shape[-1]
    b = np.zeros(8 * hidden) if b is None else b
    h = np.zeros((x.shape[1], hidden)) if h0 is None else h0
    c = np.zeros((x.shape[1], hidden)) if c0 is None else c0
    p = np.zeros(3 * hidden) if p is None else p
    ys = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        gates = x[t] @ w.T + h @ r.T + b[:4 * hidden] + b[4 * hidden:]
        i, o, f, cc = np.split(gates, 4, axis=-1)
        i = _sig(i + p[:hidden] * c)
        f = _sig(f + p[2 * hidden:] * c)
        c = f * c + i * np.tanh(cc)
        o = _sig(o + p[hidden:2 * hidden] * c)
        h = o * np.tanh(c)
        ys[t] = h
    return np.stack(ys), h, c


def gru_ref(x, w, r, b=None, h0=None, linear_before_reset=0, reverse=False):
    hidden = r.shape[-1]
    b = np.zeros(6 * hidden) if b is None else b
    h = np.zeros((x.shape[1], hidden)) if h0 is None else h0
    wb, rb = b[:3 * hidden], b[3 * hidden:]
    ys = [None] * x.shape[0]
    for t in (reversed(range(x.shape[0])) if reverse else range(x.shape[0])):
        xw = x[t] @ w.T + wb
        z = _sig(xw[:, :hidden] + h @ r[:hidden].T + rb[:hidden])
        rr = _sig(xw[:, hidden:2 * hidden] + h @ r[hidden:2 * hidden].T + rb[hidden:2 * hidden])
        if linear_before_reset:
            hh = np.tanh(xw[:, 2 * hidden:] + rr * (h @ r[2 * hidden:].T + rb[2 * hidden:]))
        else:
            hh = np.tanh(xw[:, 2 * hidden:] + (rr * h) @ r[2 * hidden:].T + rb[2 * hidden:])
        h = (1 - z) * hh + z * h
        ys[t] = h
    return np.stack(ys), h


SEQ, BATCH, INP, HID = 5, 2, 3, 4


def rnn(op: str, id_: str, dirs: int = 1, bias: bool = True, init: bool = False, peep: bool = False,
        outputs=("y", "yh", "yc"), opset: int = 14, **attrs) -> Case:
    gates = 4 if op == "LSTM" else 3
    inits = {"W": const((dirs, gates * HID, INP), 1), "R": const((dirs, gates * HID, HID), 2)}
    ins = ["x", "W", "R", "B" if bias else "", "", "h0" if init else ""]
    if bias:
        inits["B"] = const((dirs, 2 * gates * HID), 3)
    inputs = {"x": (SEQ, BATCH, INP)}
    if init:
        inputs["h0"] = (dirs, BATCH, HID)
    if op == "LSTM":
        ins.append("c0" if init else "")
        if init:
            inputs["c0"] = (dirs, BATCH, HID)
        ins.append("P" if peep else "")
        if peep:
            inits["P"] = const((dirs, 3 * HID), 4)
        outs = list(outputs)
    else:
        outs = [o for o in outputs if o != "yc"]
    while ins[-1] == "":
        ins.pop()
    direction = {1: attrs.pop("direction", "forward"), 2: "bidirectional"}[dirs]
    m = model([node(op, ins, outs, hidden_size=HID, direction=direction, **attrs)], inputs, [o for o in outs if o],
              inits, opset=opset)
    return Case(f"{op}_{id_}_op{opset}", m, low=-1.5, high=1.5, seed=len(id_))


RNN = Group("recurrent", [
    rnn("LSTM", "forward"), rnn("LSTM", "reverse", direction="reverse"), rnn("LSTM", "bidir", dirs=2),
    rnn("LSTM", "init_peep", init=True, peep=True), rnn("LSTM", "bidir_init_peep", dirs=2, init=True, peep=True),
    rnn("LSTM", "nobias_y_only", bias=False, outputs=("y",)), rnn("LSTM", "yh_only", outputs=("", "yh")),
    rnn("LSTM", "clip", clip=0.5, init=True), rnn("LSTM", "op7", opset=7),
    rnn("LSTM", "acts", activations=["HardSigmoid", "Relu", "Softsign"], activation_alpha=[0.3], activation_beta=[0.4]),
    rnn("LSTM", "bidir_acts", dirs=2, activations=["Sigmoid", "Tanh", "Tanh", "LeakyRelu", "Tanh", "Elu"],
        activation_alpha=[0.2, 0.7]),
    rnn("GRU", "forward"), rnn("GRU", "reverse", direction="reverse"), rnn("GRU", "bidir", dirs=2),
    rnn("GRU", "init", init=True), rnn("GRU", "lbr", linear_before_reset=1, init=True),
    rnn("GRU", "bidir_lbr", dirs=2, linear_before_reset=1), rnn("GRU", "nobias", bias=False),
    rnn("GRU", "clip", clip=0.3), rnn("GRU", "op7", opset=7),
    rnn("GRU", "acts", activations=["HardSigmoid", "Softsign"], activation_alpha=[0.25], activation_beta=[0.45]),
])


@RNN.param()
def test_recurrent(case, ops) -> None:
    ops.check(case, RNN)


@pytest.mark.parametrize("op", ["LSTM", "GRU"])
def test_kernel_matches_numpy_equations(op, tmp_path) -> None:
    """Bidirectional with initial states (and peepholes, linear_before_reset): C vs the numpy equations."""
    case = (rnn(op, "numpy", dirs=2, init=True, peep=True) if op == "LSTM"
            else rnn(op, "numpy", dirs=2, init=True, linear_before_reset=1))
    feeds = case.inputs()
    got = run_host(case.model, tmp_path, feeds)
    c = {i.name: numpy_helper.to_array(i).astype(np.float64) for i in case.model.graph.initializer}
    for k in range(feeds["x"].shape[0]):
        x = feeds["x"][k].astype(np.float64)
        for d in range(2):
            args = dict(h0=feeds["h0"][k, d].astype(np.float64), reverse=d == 1)
            if op == "LSTM":
                y, yh, yc = lstm_ref(x, c["W"][d], c["R"][d], c["B"][d], c0=feeds["c0"][k, d].astype(np.float64),
                                     p=c["P"][d], **args)
                np.testing.assert_allclose(got["yc"][k, d], yc, atol=1e-5)
            else:
                y, yh = gru_ref(x, c["W"][d], c["R"][d], c["B"][d], linear_before_reset=1, **args)
            np.testing.assert_allclose(got["y"][k, :, d], y, atol=1e-5)
            np.testing.assert_allclose(got["yh"][k, d], yh, atol=1e-5)


def test_scratch_is_planned(tmp_path) -> None:
    case = rnn("LSTM", "scratch", dirs=2)
    prog = compile_model(save(case.model, tmp_path, "m.onnx"))
    assert prog.plan.buffers  # the scratch buffer is one of the planned buffers
    names = [b for b in prog.plan.buffers if b.endswith("#scratch")]
    assert len(names) == 1 and prog.plan.buffers[names[0]].size >= 4 * BATCH * 6 * HID


@pytest.mark.parametrize("attrs,reason", [({"input_forget": 1}, "input_forget=1"),
                                          ({"activations": ["Sigmoid", "Affine", "Tanh"]}, "activation Affine")])
def test_rejected(attrs, reason, tmp_path) -> None:
    m = rnn("LSTM", "rej", **attrs).model
    with pytest.raises(ModelError, match=reason):
        compiled_graph(m, tmp_path)
