"""Shared fixtures: where the shared model set is, and reference outputs from onnxruntime."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("MLC_SHARED", ROOT.parent / "shared"))
MODELS = SHARED / "models"

# Every float model of the shared set, with the --input-shape it needs.
FLOAT_MODELS: dict[str, dict[str, list[int]]] = {
    "digits_cnn.onnx": {},
    "digits_mlp.onnx": {},
    "bench/ad_autoencoder.onnx": {},
    "bench/ic_resnet8.onnx": {},
    "bench/kws_dscnn.onnx": {},
    "bench/vww_mobilenet025.onnx": {},
    "thirdparty/alibaba_ad.onnx": {},
    "thirdparty/alibaba_kws.onnx": {},
    "thirdparty/alibaba_vww.onnx": {},
    "thirdparty/mlperf_ad01_float.onnx": {},
    "thirdparty/mlperf_ic_resnet_float.onnx": {},
    "thirdparty/mlperf_kws_ref_float.onnx": {},
    "thirdparty/mlperf_vww96_float.onnx": {},
    "thirdparty/mnist8.onnx": {},
    "thirdparty/sine_hello.onnx": {"dense_2_input": [1, 1]},
}


def requires_shared() -> pytest.MarkDecorator:
    return pytest.mark.skipif(not MODELS.is_dir(), reason=f"shared model set not found at {MODELS}")


def calibration_inputs(rel: str, shape: tuple[int, ...], count: int = 16) -> np.ndarray:
    """The model's shipped calibration inputs, or `count` seeded random inputs in [0, 1)."""
    path = MODELS / rel
    calib = path.with_name(path.stem + "_calib.npy")
    if calib.is_file():
        return np.load(calib).astype(np.float32)[:count].reshape((-1, *shape))
    if rel.startswith("digits_"):
        return np.load(MODELS / "digits_data.npz")["calib"].astype(np.float32)[:count].reshape((-1, *shape))
    rng = np.random.default_rng(1234)
    return rng.random((count, *shape), dtype=np.float32)


def ort_outputs(model: Path, input_name: str, batch: np.ndarray) -> list[np.ndarray]:
    """onnxruntime's outputs for each sample of `batch` (one run per sample), stacked."""
    import onnxruntime as ort

    so = ort.SessionOptions()
    so.log_severity_level = 3
    sess = ort.InferenceSession(str(model), so, providers=["CPUExecutionProvider"])
    runs = [sess.run(None, {input_name: x}) for x in batch]
    return [np.stack([r[i] for r in runs]) for i in range(len(runs[0]))]


def assert_close(got: np.ndarray, ref: np.ndarray, what: str) -> None:
    """The project's float tolerance: max abs error <= 1e-4 * max(1, max|reference|)."""
    assert got.shape == ref.shape, f"{what}: shape {got.shape} != {ref.shape}"
    tol = 1e-4 * max(1.0, float(np.max(np.abs(ref))) if ref.size else 1.0)
    err = float(np.max(np.abs(got.astype(np.float64) - ref))) if ref.size else 0.0
    assert err <= tol, f"{what}: max abs error {err:.3g} > {tol:.3g}"
