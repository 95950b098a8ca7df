"""Pre-quantized models (QDQ, QOperator) and calibrated PTQ on the host: agreement with onnxruntime in
output steps, accuracy against the float model, byte-identical Python simulator, int8 memory vs float."""

from __future__ import annotations

import shutil

import numpy as np
import pytest

from tests.conftest import MODELS, requires_shared
from tests.quant.util import PRE_QUANTIZED, PTQ, calib_inputs, compiled, ort_as_written, run_built
from toolchain.boards import load_board
from toolchain.build import QuantOptions, build, compile_model
from toolchain.quant.simulate import simulate_batch

pytestmark = requires_shared()


@pytest.mark.parametrize("rel", PRE_QUANTIZED)
def test_pre_quantized_within_one_step_of_onnxruntime(rel):
    c = compiled(rel)
    assert c.quantization.startswith("int8")
    assert c.program.quantized and c.program.raw_api
    x = calib_inputs(rel)
    got = run_built(c, "host", x)
    step = c.program.outputs[0].scale
    steps = np.abs(got.astype(np.float64) - ort_as_written(MODELS / rel, x)) / step
    assert np.mean(steps <= 1 + 1e-3) >= 0.99, f"{rel}: {np.mean(steps <= 1 + 1e-3):.4f} within one step"
    assert steps.max() <= 2 + 1e-3, f"{rel}: max {steps.max()} steps"
    sim = simulate_batch(c.program, [x])[0].reshape(got.shape)
    assert got.tobytes() == sim.tobytes(), f"{rel}: host C and the Python simulator differ"


def test_qdq_and_qoperator_forms_compile_to_the_same_program():
    a, b = compiled("digits_cnn_qdq.onnx").program, compiled("digits_cnn_qop.onnx").program
    assert [[(k.fn, k.params) for k in la.calls] for la in a.layers] == \
        [[(k.fn, k.params) for k in lb.calls] for lb in b.layers]
    assert all(np.array_equal(x.data, y.data) for x, y in zip(a.constants, b.constants))


@pytest.mark.parametrize("observer", ["minmax", "percentile", "mse"])
@pytest.mark.parametrize("rel", sorted(PTQ))
def test_ptq_accuracy_within_one_point_of_float(rel, observer):
    data = np.load(MODELS / "digits_data.npz")
    c = compile_model(MODELS / rel, quant=QuantOptions("int8", PTQ[rel], observer))
    assert [layer.op for layer in c.program.layers][0] == "QuantizeLinear"
    assert not any(k.fn.endswith("_f32") and "quantize" not in k.fn for layer in c.program.layers
                   for k in layer.calls), "every layer of the digits models runs int8"
    x, y = data["test_x"].astype(np.float32), data["test_y"]
    got = run_built(c, "host", x)
    import onnxruntime as ort

    sess = ort.InferenceSession(str(MODELS / rel), providers=["CPUExecutionProvider"])
    ref = np.concatenate([sess.run(None, {"input": x[k:k + 1]})[0] for k in range(len(x))])
    acc, ref_acc = np.mean(got.argmax(1) == y), np.mean(ref.argmax(1) == y)
    assert acc >= ref_acc - 0.01, f"int8 top-1 {acc:.4f} vs float {ref_acc:.4f}"
    sim = simulate_batch(c.program, [x])[0].reshape(got.shape)
    assert got.tobytes() == sim.tobytes()


def test_fused_relu_range_starts_at_zero():
    """Calibration sees the tensors after fusion: a Conv+Relu output is quantized from 0 (zero point -128)."""
    c = compiled("digits_cnn.onnx")
    conv = next(n for n in c.graph.nodes if n.op == "Conv")
    assert conv.fused and c.graph.tensors[conv.outputs[0]].quant.zp == -128


NETS = ["ad_autoencoder", "kws_dscnn", "ic_resnet8", "vww_mobilenet025"]


@pytest.mark.parametrize("net", NETS)
def test_int8_arena_at_most_30_percent_of_float(net):
    f = compile_model(MODELS / "bench" / f"{net}.onnx").program
    q = compiled(f"bench/{net}_qdq.onnx").program
    assert q.arena_size <= 0.30 * f.arena_size, (q.arena_size, f.arena_size)


@pytest.mark.parametrize("net", NETS)
def test_int8_constants_at_most_30_percent_of_float(net):
    f = compile_model(MODELS / "bench" / f"{net}.onnx").program
    q = compiled(f"bench/{net}_qdq.onnx").program
    assert q.const_bytes <= 0.30 * f.const_bytes, (q.const_bytes, f.const_bytes)


KWS_FLASH = pytest.mark.xfail(strict=True, reason="kws_dscnn: its constants are 29.7% of the float build's, which leaves "
                              "2.8 KB of the 30% for about 9 KB of code and start-up (docs/quantization.md)")


@pytest.mark.skipif(shutil.which("arm-none-eabi-gcc") is None, reason="arm-none-eabi-gcc not installed")
@pytest.mark.parametrize("net", [pytest.param(n, marks=KWS_FLASH) if n == "kws_dscnn" else n for n in NETS])
def test_int8_flash_at_most_30_percent_of_float_optimized_for_size(tmp_path, net):
    """Whole cortex-m4 firmware (model, kernels, test protocol, start-up), both builds with --optimize size.
    With the default --optimize speed the DSP kernels' code (about 44 KB for the convolution) breaks the 30%:
    docs/benchmarks.md has both."""
    board = load_board("cortex-m4").optimized_for("size")
    q = build(MODELS / "bench" / f"{net}_qdq.onnx", board, tmp_path / "int8").sizes.flash_total
    f = build(MODELS / "bench" / f"{net}.onnx", board, tmp_path / "float").sizes.flash_total
    assert q <= 0.30 * f, (q, f)


@pytest.mark.parametrize("net", ["mlperf_kws_ref_float", "mlperf_ic_resnet_float", "mlperf_ad01_float",
                                 "mlperf_vww96_float"])
def test_mlperf_reference_models_quantize_to_all_int8(tmp_path, net):
    """The MLPerf Tiny float models (TFLite exports: Transpose, Reshape, Softmax) quantized with 16 random
    calibration inputs: every layer but the output's dequantization is int8, host C equals the simulator."""
    import onnx

    path = MODELS / "thirdparty" / f"{net}.onnx"
    dims = [d.dim_value or 1 for d in onnx.load(path).graph.input[0].type.tensor_type.shape.dim]
    calib = tmp_path / "calib.npy"
    np.save(calib, np.random.default_rng(0).random((16, *dims), dtype=np.float32))
    c = compile_model(path, quant=QuantOptions("int8", str(calib)))
    floats = [layer.op for layer in c.program.layers if not any(k.fn.endswith("_s8") for k in layer.calls)]
    assert floats == ["DequantizeLinear"], floats
    x = np.load(calib)[:2]
    got = run_built(c, "host", x)
    assert simulate_batch(c.program, [x])[0].reshape(got.shape).tobytes() == got.tobytes()
