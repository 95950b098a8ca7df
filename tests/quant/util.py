"""Shared helpers of the int8 tests: the quantized model set, its inputs, onnxruntime as written."""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np

from tests.conftest import MODELS
from toolchain.boards import load_board
from toolchain.build import Compiled, QuantOptions, build, compile_model
from toolchain.io_arrays import batch_from_arrays
from toolchain.run import execute

PRE_QUANTIZED = ["digits_cnn_qdq.onnx", "digits_mlp_qdq.onnx", "digits_cnn_qop.onnx", "bench/ad_autoencoder_qdq.onnx",
                 "bench/kws_dscnn_qdq.onnx", "bench/ic_resnet8_qdq.onnx", "bench/vww_mobilenet025_qdq.onnx"]
DIGITS_CALIB = f"{MODELS / 'digits_data.npz'}:calib"
PTQ = {"digits_cnn.onnx": DIGITS_CALIB, "digits_mlp.onnx": DIGITS_CALIB}


def calib_inputs(rel: str, count: int | None = None) -> np.ndarray:
    """The calibration inputs that ship with a model (digits: digits_data.npz's calib)."""
    if rel.startswith("digits"):
        x = np.load(MODELS / "digits_data.npz")["calib"]
    else:
        x = np.load(MODELS / rel.replace("_qdq.onnx", "_calib.npy"))
    return x.astype(np.float32)[:count]


def compiled(rel: str, board: str | None = None) -> Compiled:
    """The model compiled as `mlc build --board board` compiles it (weight layouts, kernel scratch and
    col_tiles for the board's kernels), or for the reference kernels without a board."""
    quant = QuantOptions("int8", PTQ[rel]) if rel in PTQ else None
    return compile_model(MODELS / rel, quant=quant, board=load_board(board) if board else None)


def run_built(c: Compiled, board: str, x: np.ndarray) -> np.ndarray:
    """Build for the board and run every sample of x; the first output, one row per sample."""
    b = load_board(board)
    with tempfile.TemporaryDirectory(prefix="mlc-qtest-") as tmp:
        res = build(c.source, b, Path(tmp) / "out", compiled=c)
        batch = batch_from_arrays([x], c.program.inputs, "x")
        out = execute(res, b, batch).outputs[0]
    return out.reshape(len(x), -1)


def ort_as_written(path: Path, x: np.ndarray) -> np.ndarray:
    """onnxruntime on the quantized graph's own definition: QOperator nodes written as the
    DequantizeLinear -> op -> QuantizeLinear their specification defines, graph optimizations off (see
    docs/quantization.md for why onnxruntime's x86 int8 kernels are not the reference)."""
    import onnx
    import onnxruntime as ort

    from toolchain.quant.qop import expand

    so = ort.SessionOptions()
    so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    so.log_severity_level = 3
    model = expand(onnx.load(str(path)), str(path)).SerializeToString()
    sess = ort.InferenceSession(model, so, providers=["CPUExecutionProvider"])
    name = sess.get_inputs()[0].name
    return np.concatenate([sess.run(None, {name: x[k:k + 1]})[0].reshape(1, -1) for k in range(len(x))])
