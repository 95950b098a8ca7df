"""Calibration: the range of every activation over representative inputs, and its int8 parameters.

The float model runs in onnxruntime with every wanted tensor added as an output. Observers:
- ``minmax``: the smallest and largest value seen (the default; nothing is clipped);
- ``percentile``: the 0.01 % tails of a 2048-bin histogram are clipped (robust to rare outliers);
- ``mse``: the clipping range that minimises the expected squared quantization error over the histogram
  (rounding error scale^2 / 12 inside the range plus the clipping error outside).
Every range is widened to include 0 (zero must be exact: padding, Relu), then scale = (hi - lo) / 255 and
zero point = round(-128 - lo / scale).
"""

from __future__ import annotations

import numpy as np
import onnx
from onnx import helper

from toolchain.errors import UsageError
from toolchain.ir import QParams

OBSERVERS = ("minmax", "percentile", "mse")
BINS = 2048
PERCENTILE = 99.99


def qparams_for_range(lo: float, hi: float) -> QParams:
    lo, hi = min(float(lo), 0.0), max(float(hi), 0.0)
    if not np.isfinite(lo) or not np.isfinite(hi):
        raise UsageError("calibration saw a non-finite activation (inf or NaN); check the calibration inputs")
    if hi - lo < 1e-12:
        hi = lo + 1e-6  # a constant-zero tensor: any tiny scale represents it exactly
    scale = np.float32((hi - lo) / 255.0)
    zp = int(np.clip(np.rint(-128.0 - lo / float(scale)), -128, 127))
    return QParams.of(float(scale), zp)


def _session(model: onnx.ModelProto, names: list[str], shapes: dict[str, tuple[int, ...]]):
    try:
        import onnxruntime as ort
    except ImportError as exc:  # pragma: no cover - a dependency of mlc
        raise UsageError("calibration needs onnxruntime; install it with: pip install onnxruntime") from exc
    m = onnx.ModelProto()
    m.CopyFrom(model)
    have = {o.name for o in m.graph.output}
    for name in names:
        if name not in have:
            m.graph.output.append(helper.make_tensor_value_info(name, onnx.TensorProto.FLOAT, list(shapes[name])))
    opts = ort.SessionOptions()
    opts.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL  # keep every named tensor
    opts.log_severity_level = 3
    return ort.InferenceSession(m.SerializeToString(), opts, providers=["CPUExecutionProvider"])


def _histogram_range(hist: np.ndarray, edges: np.ndarray, observer: str) -> tuple[float, float]:
    total = hist.sum()
    if total == 0:
        return float(edges[0]), float(edges[-1])
    centers = 0.5 * (edges[:-1] + edges[1:])
    if observer == "percentile":
        cdf = np.cumsum(hist) / total
        tail = (100.0 - PERCENTILE) / 100.0
        lo = float(centers[np.searchsorted(cdf, tail)])
        hi = float(centers[min(np.searchsorted(cdf, 1.0 - tail), len(centers) - 1)])
        return lo, hi
    best, best_err = (float(edges[0]), float(edges[-1])), np.inf
    lo0, hi0 = min(float(edges[0]), 0.0), max(float(edges[-1]), 0.0)
    for f in np.linspace(0.3, 1.0, 71):
        lo, hi = lo0 * f, hi0 * f
        scale = max((hi - lo) / 255.0, 1e-12)
        clipped = np.clip(centers, lo, hi)
        err = float(np.sum(hist * ((centers - clipped) ** 2 + np.where(centers == clipped, scale * scale / 12, 0))))
        if err < best_err:
            best, best_err = (lo, hi), err
    return best


def calibrate(model: onnx.ModelProto, feeds: list[dict[str, np.ndarray]], names: list[str],
              shapes: dict[str, tuple[int, ...]], observer: str = "minmax") -> dict[str, QParams]:
    """Quantization parameters of the named float tensors over the calibration samples (one feed each)."""
    if observer not in OBSERVERS:
        raise UsageError(f"unknown observer {observer!r}; choose one of {', '.join(OBSERVERS)}")
    if not feeds:
        raise UsageError("the calibration set is empty; give at least one sample")
    sess = _session(model, names, shapes)
    lo = {n: np.inf for n in names}
    hi = {n: -np.inf for n in names}
    for feed in feeds:
        for name, value in zip(names, sess.run(names, feed)):
            v = np.asarray(value, np.float64)
            if v.size:
                lo[name], hi[name] = min(lo[name], float(v.min())), max(hi[name], float(v.max()))
    if observer != "minmax":
        hists = {n: np.zeros(BINS) for n in names}
        edges = {n: np.linspace(min(lo[n], 0.0), max(hi[n], 0.0) + 1e-12, BINS + 1) for n in names}
        for feed in feeds:
            for name, value in zip(names, sess.run(names, feed)):
                hists[name] += np.histogram(np.asarray(value, np.float64), bins=edges[name])[0]
        for n in names:
            lo[n], hi[n] = _histogram_range(hists[n], edges[n], observer)
    return {n: qparams_for_range(lo[n], hi[n]) for n in names}
