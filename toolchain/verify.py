"""`mlc test`: build the test firmware, stream inputs through the board, compare with onnxruntime.

Test data (--data FILE.npz): inputs keyed by the model's input names, or `test_x` / `x` for a
single-input model; labels (optional) under `test_y`, `y` or `labels`. Without --data, 16 seeded
random inputs in [0, 1) are used. Exit 0 when every output is within the float tolerance of
onnxruntime (max abs error <= 1e-4 * max(1, max |reference|)), 1 otherwise.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import onnx

from toolchain.boards import Board
from toolchain.build import QuantOptions, build, compile_model
from toolchain.errors import EXIT_MISMATCH, EXIT_OK, UsageError
from toolchain.io_arrays import Batch, batch_from_arrays
from toolchain.ir import SMALL_INTS
from toolchain.lower import IOTensor, Program
from toolchain.quant import qdq, qop
from toolchain.quant.simulate import Unsimulated, simulate_batch

INPUT_KEYS = ("test_x", "x", "inputs")
LABEL_KEYS = ("test_y", "y", "labels")
RANDOM_SAMPLES = 16


@dataclass
class Report:
    model: str
    board: str
    inferences: int
    max_abs_error: float
    tolerance: float
    top1_agreement: float
    accuracy: float | None
    reference_accuracy: float | None
    count_unit: str
    count_per_inference: int | None
    count_min: int | None
    count_max: int | None
    passed: bool
    quantization: str = "float"
    # Quantized builds: agreement with onnxruntime running the quantized model (in output steps), and
    # whether the Python simulator of the integer program gave the same bytes.
    quantized_reference: str | None = None
    within_one_step: float | None = None
    within_two_steps: float | None = None
    max_steps: float | None = None
    simulator: str | None = None


def _random_input(rng: np.random.Generator, t: IOTensor) -> np.ndarray:
    """Test inputs without --data: floats in [0, 1); int32/int64/bool (indices, counts, masks) 0..3 or 0..1;
    uint8/int16/uint16 (pixels, audio samples) over their whole range."""
    shape = (RANDOM_SAMPLES, *t.shape)
    if t.dtype == "float32":
        return rng.random(shape, dtype=np.float32)
    if t.dtype in SMALL_INTS:
        info = np.iinfo(t.dtype)
        return rng.integers(int(info.min), int(info.max) + 1, shape).astype(t.dtype)
    return rng.integers(0, 2 if t.dtype == "bool" else 4, shape).astype(t.dtype)


def load_test_data(path: Path | None, inputs: list[IOTensor]) -> tuple[Batch, np.ndarray | None]:
    if path is None:
        rng = np.random.default_rng(0)
        return Batch(RANDOM_SAMPLES, "stacked", [_random_input(rng, t) for t in inputs]), None
    if not path.is_file():
        raise UsageError(f"--data {path}: no such file; pass an .npz with test inputs")
    try:
        data = dict(np.load(path, allow_pickle=False))
    except Exception as exc:
        raise UsageError(f"--data {path}: not a readable .npz ({exc}); save it with numpy.savez") from None
    labels = next((data[k] for k in LABEL_KEYS if k in data), None)
    if not all(t.name in data for t in inputs):
        key = next((k for k in INPUT_KEYS if k in data), None)
        if key is None or len(inputs) != 1:
            names = ", ".join(t.name for t in inputs)
            raise UsageError(f"--data {path}: no inputs found; store them under {names} or test_x (keys: {', '.join(data)})")
        data = {inputs[0].name: data[key]}
    batch = batch_from_arrays([data[t.name] for t in inputs], inputs, f"--data {path}")
    if labels is not None and len(labels) != batch.count:
        raise UsageError(f"--data {path}: {len(labels)} labels for {batch.count} inputs")
    return batch, labels


def reference(model: Path | bytes, inputs: list[IOTensor], batch: Batch, exact: bool = False) -> list[np.ndarray]:
    """onnxruntime's outputs for every sample. exact: graph optimizations off, so a quantized model runs as
    written (onnxruntime's fused x86 int8 kernels saturate 16-bit pair sums and can differ by many steps)."""
    try:
        import onnxruntime as ort
    except ImportError:
        raise UsageError("mlc test compares with onnxruntime; install it with `pip install onnxruntime`") from None
    so = ort.SessionOptions()
    so.log_severity_level = 3
    if exact:
        so.graph_optimization_level = ort.GraphOptimizationLevel.ORT_DISABLE_ALL
    sess = ort.InferenceSession(model if isinstance(model, bytes) else str(model), so,
                                providers=["CPUExecutionProvider"])
    runs = [sess.run(None, {t.name: a[k] for t, a in zip(inputs, batch.arrays)}) for k in range(batch.count)]
    return [np.stack([np.asarray(r[i]) for r in runs]) for i in range(len(runs[0]))]


def _check_quantized(rep: Report, quantized_model: Path | None, program: Program, batch: Batch,
                     outputs: list[np.ndarray]) -> None:
    """Quantized builds pass when at least 99% of the values are within one output step of onnxruntime on the
    quantized model (where such a model exists) and the outputs are byte-identical to the Python simulator
    (where it covers the program). The share within two steps and the float model's figures are reported:
    one step of difference before a Softmax can move its output by several steps."""
    ok = True
    if quantized_model is not None:
        # QOperator nodes as their definition (DequantizeLinear -> op -> QuantizeLinear), optimizations off.
        definition = qop.expand(onnx.load(str(quantized_model)), str(quantized_model)).SerializeToString()
        qref = reference(definition, program.inputs, batch, exact=True)
        steps = []
        for t, got, want in zip(program.outputs, outputs, qref):
            step = t.scale if t.q_offset >= 0 and t.scale > 0 else 1.0
            steps.append(np.abs(got.astype(np.float64) - want.reshape(got.shape)).reshape(-1) / step)
        s = np.concatenate(steps) if steps else np.zeros(0)
        eps = 1e-3  # float rounding of the dequantized values
        rep.quantized_reference = quantized_model.name
        rep.within_one_step = float(np.mean(s <= 1 + eps)) if s.size else 1.0
        rep.within_two_steps = float(np.mean(s <= 2 + eps)) if s.size else 1.0
        rep.max_steps = float(np.round(s.max(), 3)) if s.size else 0.0
        ok = rep.within_one_step >= 0.99
    try:
        sim = simulate_batch(program, batch.arrays)
        same = all(np.ascontiguousarray(a).tobytes() == np.ascontiguousarray(b.reshape(a.shape)).tobytes()
                   for a, b in zip(outputs, sim))
        rep.simulator = "byte-identical" if same else "DIFFERENT"
        ok = ok and same
    except Unsimulated as exc:
        rep.simulator = f"not run ({exc})"
    rep.passed = ok


def _top1(arr: np.ndarray) -> np.ndarray:
    return arr.reshape(arr.shape[0], -1).argmax(axis=1)


def run_test(model: Path, board: Board, data: Path | None, port: str | None = None,
             input_shapes: dict[str, list[int]] | None = None, name: str | None = None,
             json_path: Path | None = None, quiet: bool = False, quant: QuantOptions | None = None,
             emit: str = "c") -> int:
    from toolchain.run import execute

    compiled = compile_model(model, input_shapes, name, quant, board)
    program = compiled.program
    batch, labels = load_test_data(data, program.inputs)  # bad test data fails before the C build
    with tempfile.TemporaryDirectory(prefix="mlc-test-") as tmp:
        res = build(model, board, Path(tmp) / "out", compiled=compiled, quiet=quiet, emit=emit)
        dev = execute(res, board, batch, port, quiet=quiet)
    pre_quantized = compiled.quantization.startswith("int8 (pre")
    float_model: Path | bytes = model
    if pre_quantized:
        float_model = qdq.float_twin(onnx.load(str(model))).SerializeToString()
    ref = reference(float_model, program.inputs, batch)
    err, scale = 0.0, 1.0
    for got, want in zip(dev.outputs, ref):
        want = want.reshape(got.shape)
        if want.size:
            err = max(err, float(np.max(np.abs(got.astype(np.float64) - want))))
            scale = max(scale, float(np.max(np.abs(want))))
    tol = 1e-4 * scale
    agree = float(np.mean(_top1(dev.outputs[0]) == _top1(ref[0].reshape(dev.outputs[0].shape))))
    acc = ref_acc = None
    if labels is not None:
        y = np.asarray(labels).reshape(-1)
        acc = float(np.mean(_top1(dev.outputs[0]) == y))
        ref_acc = float(np.mean(_top1(ref[0].reshape(dev.outputs[0].shape)) == y))
    counts = dev.counts
    rep = Report(model.name, board.name, batch.count, err, tol, agree, acc, ref_acc, dev.unit,
                 int(round(float(np.mean(counts)))) if counts else None,
                 min(counts) if counts else None, max(counts) if counts else None,
                 bool(np.isfinite(err) and err <= tol), compiled.quantization)
    quantized = compiled.quantization != "float"
    if quantized:
        _check_quantized(rep, model if pre_quantized else None, program, batch, dev.outputs)
    print(f"mlc test: {model.name} on {board.name}: {batch.count} inferences ({compiled.quantization})")
    vs = "the float model (onnxruntime)" if quantized else "onnxruntime"
    print(f"  max abs error vs {vs}: {err:.3g}" + ("" if quantized else f" (tolerance {tol:.3g})"))
    print(f"  top-1 agreement with {vs}: {agree * 100:.2f}%")
    if acc is not None:
        print(f"  accuracy on labels: {acc:.4f} ({vs}: {ref_acc:.4f})")
    if rep.quantized_reference:
        print(f"  vs onnxruntime on the quantized model: {rep.within_one_step * 100:.2f}% of outputs within one "
              f"step, {rep.within_two_steps * 100:.2f}% within two, max {rep.max_steps:g} steps")
    if rep.simulator:
        print(f"  Python simulator: {rep.simulator}")
    if counts:
        same = " (identical for every input)" if min(counts) == max(counts) else f" (min {min(counts)}, max {max(counts)})"
        print(f"  {dev.unit} per inference: {rep.count_per_inference}{same}")
    print("PASS" if rep.passed else "FAIL: " + ("outputs differ from the quantized reference or the simulator"
                                                 if quantized else "outputs differ from onnxruntime beyond the tolerance"))
    if json_path is not None:
        json_path.write_text(json.dumps(asdict(rep), indent=1) + "\n")
    return EXIT_OK if rep.passed else EXIT_MISMATCH
