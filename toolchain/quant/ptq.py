"""Post-training quantization of a float model: calibrate, then mark every activation with its int8 form.

Runs on the graph after the float passes, so BatchNorm is already folded into the weights and the ranges of
fused Relu/Clip outputs are those after the activation. Activations that int8 cannot fuse (Sigmoid, ...) are
split off again and become lookup tables. Weights are quantized per output channel when the kernels are
lowered (toolchain.ops.s8), biases to int32 with x_scale * w_scale.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
import onnx

from toolchain.errors import UsageError
from toolchain.io_arrays import _load, batch_from_arrays
from toolchain.ir import Graph, Node
from toolchain.ops import opdef
from toolchain.quant.calibrate import calibrate

CLAMPS = ("Relu", "Clip")  # fused activations an int8 output clamp implements


@dataclass
class _Input:
    name: str
    shape: tuple[int, ...]
    dtype: str


def parse_calib(spec: str) -> tuple[Path, str | None]:
    """CALIB.npy, CALIB.npz, or CALIB.npz:key."""
    path, _, key = spec.partition(":") if ".npz:" in spec else (spec, "", "")
    return Path(path), key or None


def load_calibration(spec: str, g: Graph) -> list[dict[str, np.ndarray]]:
    """One feed per calibration sample, by the same batching rules as `mlc run` inputs."""
    path, key = parse_calib(spec)
    data = _load(path)
    inputs = [_Input(n, g.tensors[n].shape, g.tensors[n].dtype) for n in g.inputs]
    if isinstance(data, dict):
        if key is not None:
            if key not in data:
                raise UsageError(f"{path}: no array {key!r}; its keys are {', '.join(data) or 'none'}")
            if len(inputs) != 1:
                raise UsageError(f"{spec}: the model has {len(inputs)} inputs; give an .npz keyed by input names")
            raw = [data[key]]
        elif all(t.name in data for t in inputs):
            raw = [data[t.name] for t in inputs]
        elif len(inputs) == 1 and "calib" in data:
            raw = [data["calib"]]
        else:
            raise UsageError(f"{path}: say which array calibrates with {path}:KEY (keys: {', '.join(data)})")
    else:
        if key is not None:
            raise UsageError(f"{spec}: a :key needs an .npz file")
        raw = [data]
    batch = batch_from_arrays(raw, inputs, str(path))  # type: ignore[arg-type]
    for t, arr in zip(inputs, batch.arrays):
        bad = np.flatnonzero(~np.isfinite(arr.reshape(batch.count, -1)).all(axis=1)) if arr.dtype.kind == "f" else []
        if len(bad):
            raise UsageError(f"{path}: calibration sample {int(bad[0])} of input {t.name!r} holds NaN or inf; "
                             "pass finite representative inputs")
    return [{t.name: arr[k] for t, arr in zip(inputs, batch.arrays)} for k in range(batch.count)]


def _unfuse_non_clamps(g: Graph) -> None:
    """Activations fused into a producer that int8 cannot apply as a clamp become nodes again."""
    nodes: list[Node] = []
    for n in g.nodes:
        nodes.append(n)
        if not n.fused or all(a.op in CLAMPS for a in n.fused) or not all(a.input for a in n.fused):
            continue
        out = n.outputs[0]
        acts, n.fused = n.fused, []
        n.outputs = [acts[0].input] + n.outputs[1:]
        for k, a in enumerate(acts):
            dst = acts[k + 1].input if k + 1 < len(acts) else out
            nodes.append(Node(a.op, a.name, [a.input], [dst], dict(a.attrs)))
    g.nodes = nodes


def quantize(model: onnx.ModelProto, g: Graph, calib: str, observer: str = "minmax") -> Graph:
    """Mark every run-time float tensor of `g` with its calibrated (or operator-implied) int8 form."""
    _unfuse_non_clamps(g)
    feeds = load_calibration(calib, g)
    names = sorted({t for n in g.nodes for t in list(n.inputs) + list(n.outputs)
                    if t and t in g.tensors and not g.tensors[t].is_const and g.tensors[t].dtype == "float32"})
    in_model = {o for n in model.graph.node for o in n.output} | {i.name for i in model.graph.input}
    names = [n for n in names if n in in_model]  # tensors calibration can observe in the ONNX model
    shapes = {n: g.tensors[n].shape for n in names}
    for name, q in calibrate(model, feeds, names, shapes, observer).items():
        g.tensors[name].quant = q
    for n in g.nodes:  # operator-implied output quantization (in order: MaxPool after MaxPool inherits)
        d = opdef(n)
        fixed = d.s8_output_quant(n, g) if d is not None and n.outputs and n.outputs[0] in g.tensors else None
        if fixed is not None:
            g.tensors[n.outputs[0]].quant = fixed
    return g

