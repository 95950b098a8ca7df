#!/usr/bin/env python3
"""Train the small gesture classifier that ships as examples/gesture.onnx.

The data is SYNTHETIC: 3-axis accelerometer windows (32 samples x 3 axes, in g)
generated from parameterised waveforms plus noise, in four classes:

    0 idle    - device at rest: gravity at a random fixed orientation + sensor noise
    1 shake   - a fast back-and-forth oscillation (2.5-6 cycles per window) along a random direction
    2 tilt    - the device is slowly rotated 35-90 degrees, so gravity moves between axes
    3 circle  - the device traces a circle: two axes oscillate 90 degrees out of phase (0.8-2 cycles)

Every window also gets a random constant sensor offset, a random overall gain,
white noise and a few random spikes, so the classes are not trivially separable.

The model is a small 1-D CNN trained with plain numpy (hand-written forward and
backward passes, Adam), then exported with onnx.helper:

    input "input" float32 [1, 3, 32]   (channels = x, y, z; 32 time steps)
    Conv(3->8, k=5, pad=2) -> Relu -> MaxPool(2)
    Conv(8->16, k=3, pad=1) -> Relu -> MaxPool(2)
    Flatten -> Gemm(128->4) -> Softmax
    output "probabilities" float32 [1, 4]

Outputs (next to this script):
    gesture.onnx       the trained model (opset 17)
    gesture_data.npz   test_x (64, 1, 3, 32) float32, test_y (64,) int64,
                       calib (32, 1, 3, 32) float32 -- each sample is exactly one model input

The run is deterministic: fixed seeds, no timestamps, fixed ONNX producer
fields, and the .npz is written with fixed zip entry dates, so running the
script twice gives byte-identical files (on the same numpy/onnx versions).

Usage:  python examples/train_gesture.py [--out-dir DIR]
Needs numpy, onnx; onnxruntime is optional (used to check the export).
"""

from __future__ import annotations

import argparse
import io
import zipfile
from pathlib import Path

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

CLASSES = ["idle", "shake", "tilt", "circle"]
T = 32          # time steps per window
C = 3           # axes
SEED = 20240601

N_TRAIN_PER_CLASS = 600
N_TEST_PER_CLASS = 16    # 64 test windows
N_CALIB = 32
N_EVAL_PER_CLASS = 500   # larger held-out set, used only for the printed accuracy (not saved)

EPOCHS = 25
BATCH = 32
LR = 3e-3


# --------------------------------------------------------------------------- data

def _random_unit(rng: np.random.Generator) -> np.ndarray:
    v = rng.normal(size=3)
    return v / np.linalg.norm(v)


def _gravity_dir(rng: np.random.Generator) -> np.ndarray:
    """Resting orientation: mostly 'face up' (gravity on +z) with a random tilt of up to ~40 degrees."""
    g = np.array([0.0, 0.0, 1.0]) + 0.6 * rng.uniform(-1, 1, size=3) * np.array([1, 1, 0.3])
    return g / np.linalg.norm(g)


def _rotate(v: np.ndarray, axis: np.ndarray, angle: float) -> np.ndarray:
    """Rodrigues rotation of v about unit axis by angle (radians)."""
    axis = axis / np.linalg.norm(axis)
    return (v * np.cos(angle) + np.cross(axis, v) * np.sin(angle)
            + axis * np.dot(axis, v) * (1 - np.cos(angle)))


def make_window(label: int, rng: np.random.Generator) -> np.ndarray:
    """One window, shape (3, 32), in g."""
    t = np.arange(T) / T  # window spans t in [0, 1)
    g = _gravity_dir(rng)
    x = np.tile(g[:, None], (1, T))

    if label == 0:  # idle: small slow drift only
        drift = rng.uniform(-0.05, 0.05, size=(3, 1)) * t[None, :]
        x = x + drift
    elif label == 1:  # shake
        d = _random_unit(rng)
        freq = rng.uniform(2.5, 6.0)
        amp = rng.uniform(0.25, 1.2)
        phase = rng.uniform(0, 2 * np.pi)
        wave = amp * np.sin(2 * np.pi * freq * t + phase)
        # occasionally a second harmonic makes the motion less clean
        wave = wave + rng.uniform(0, 0.3) * amp * np.sin(4 * np.pi * freq * t + rng.uniform(0, 2 * np.pi))
        x = x + d[:, None] * wave[None, :]
    elif label == 2:  # tilt: gravity rotates smoothly from start to end orientation
        axis = np.array([rng.normal(), rng.normal(), 0.2 * rng.normal()])
        total = np.deg2rad(rng.uniform(35, 90)) * rng.choice([-1.0, 1.0])
        start, dur = rng.uniform(0.0, 0.3), rng.uniform(0.4, 0.7)
        s = np.clip((t - start) / dur, 0.0, 1.0)
        s = 0.5 - 0.5 * np.cos(np.pi * s)  # smooth ease-in/out
        x = np.stack([_rotate(g, axis, total * si) for si in s], axis=1)
    elif label == 3:  # circle: two orthogonal directions, 90 degrees out of phase
        u = _random_unit(rng)
        v = _random_unit(rng)
        v = v - u * np.dot(u, v)
        v = v / np.linalg.norm(v)
        freq = rng.uniform(0.8, 2.0)
        amp = rng.uniform(0.25, 0.9)
        phase = rng.uniform(0, 2 * np.pi)
        ang = 2 * np.pi * freq * t + phase
        x = x + amp * (u[:, None] * np.cos(ang)[None, :] + v[:, None] * np.sin(ang)[None, :])
    else:
        raise ValueError(label)

    x = x * rng.uniform(0.9, 1.1)                          # sensor gain error
    x = x + rng.normal(0, 0.05, size=(3, 1))               # sensor offset
    x = x + rng.normal(0, rng.uniform(0.03, 0.12), size=(3, T))  # white noise
    n_spikes = rng.integers(0, 3)
    for _ in range(n_spikes):                              # bumps / glitches
        x[rng.integers(0, 3), rng.integers(0, T)] += rng.normal(0, 0.4)
    return x


def make_dataset(n_per_class: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    xs, ys = [], []
    for i in range(n_per_class):
        for label in range(len(CLASSES)):
            xs.append(make_window(label, rng))
            ys.append(label)
    x = np.asarray(xs, dtype=np.float32)
    y = np.asarray(ys, dtype=np.int64)
    perm = rng.permutation(len(y))
    return x[perm], y[perm]


# --------------------------------------------------------------------------- model (numpy)

def im2col(x: np.ndarray, k: int, pad: int) -> np.ndarray:
    """x (N, C, L) -> cols (N, L, C*k) for a stride-1 'same' conv."""
    n, c, length = x.shape
    xp = np.pad(x, ((0, 0), (0, 0), (pad, pad)))
    idx = np.arange(length)[:, None] + np.arange(k)[None, :]   # (L, k)
    cols = xp[:, :, idx]                                        # (N, C, L, k)
    return cols.transpose(0, 2, 1, 3).reshape(n, length, c * k)


def col2im(dcols: np.ndarray, c: int, length: int, k: int, pad: int) -> np.ndarray:
    n = dcols.shape[0]
    d = dcols.reshape(n, length, c, k).transpose(0, 2, 1, 3)    # (N, C, L, k)
    dxp = np.zeros((n, c, length + 2 * pad), dtype=dcols.dtype)
    idx = np.arange(length)[:, None] + np.arange(k)[None, :]
    for j in range(k):
        dxp[:, :, idx[:, j]] += d[:, :, :, j]
    return dxp[:, :, pad:pad + length]


def conv_fwd(x, w, b, pad):
    """x (N,C,L), w (F,C,k), b (F,) -> (N,F,L)."""
    f, c, k = w.shape
    cols = im2col(x, k, pad)                                    # (N, L, C*k)
    out = cols @ w.reshape(f, c * k).T + b                      # (N, L, F)
    return out.transpose(0, 2, 1), cols


def conv_bwd(dout, cols, x_shape, w, pad):
    f, c, k = w.shape
    n, _, length = x_shape
    d = dout.transpose(0, 2, 1)                                 # (N, L, F)
    dw = (d.reshape(-1, f).T @ cols.reshape(-1, c * k)).reshape(f, c, k)
    db = d.sum(axis=(0, 1))
    dcols = d @ w.reshape(f, c * k)                             # (N, L, C*k)
    dx = col2im(dcols, c, length, k, pad)
    return dx, dw, db


def maxpool_fwd(x):
    """Non-overlapping pool of 2 along the last axis."""
    n, c, length = x.shape
    xr = x.reshape(n, c, length // 2, 2)
    arg = xr.argmax(axis=-1)
    return xr.max(axis=-1), arg


def maxpool_bwd(dout, arg, shape):
    n, c, length = shape
    dx = np.zeros((n, c, length // 2, 2), dtype=dout.dtype)
    np.put_along_axis(dx, arg[..., None], dout[..., None], axis=-1)
    return dx.reshape(shape)


def init_params(rng: np.random.Generator) -> dict[str, np.ndarray]:
    def he(shape, fan_in):
        return rng.normal(0, np.sqrt(2.0 / fan_in), size=shape)
    return {
        "w1": he((8, 3, 5), 3 * 5), "b1": np.zeros(8),
        "w2": he((16, 8, 3), 8 * 3), "b2": np.zeros(16),
        "w3": he((4, 128), 128) * 0.5, "b3": np.zeros(4),
    }


def forward(p, x, cache=False):
    z1, cols1 = conv_fwd(x, p["w1"], p["b1"], 2)
    a1 = np.maximum(z1, 0)
    p1, arg1 = maxpool_fwd(a1)                                  # (N, 8, 16)
    z2, cols2 = conv_fwd(p1, p["w2"], p["b2"], 1)
    a2 = np.maximum(z2, 0)
    p2, arg2 = maxpool_fwd(a2)                                  # (N, 16, 8)
    flat = p2.reshape(len(x), -1)                               # (N, 128), C-order = ONNX Flatten
    logits = flat @ p["w3"].T + p["b3"]
    if not cache:
        return logits
    return logits, (x, z1, cols1, a1, p1, arg1, z2, cols2, a2, p2, arg2, flat)


def softmax(z):
    z = z - z.max(axis=-1, keepdims=True)
    e = np.exp(z)
    return e / e.sum(axis=-1, keepdims=True)


def loss_and_grads(p, x, y):
    logits, (x, z1, cols1, a1, p1, arg1, z2, cols2, a2, p2, arg2, flat) = forward(p, x, cache=True)
    n = len(y)
    prob = softmax(logits)
    loss = -np.log(prob[np.arange(n), y] + 1e-12).mean()
    dlog = prob.copy()
    dlog[np.arange(n), y] -= 1
    dlog /= n
    g = {"w3": dlog.T @ flat, "b3": dlog.sum(0)}
    dflat = dlog @ p["w3"]
    dp2 = dflat.reshape(p2.shape)
    da2 = maxpool_bwd(dp2, arg2, a2.shape)
    dz2 = da2 * (z2 > 0)
    dp1, g["w2"], g["b2"] = conv_bwd(dz2, cols2, p1.shape, p["w2"], 1)
    da1 = maxpool_bwd(dp1, arg1, a1.shape)
    dz1 = da1 * (z1 > 0)
    _, g["w1"], g["b1"] = conv_bwd(dz1, cols1, x.shape, p["w1"], 2)
    return loss, g


def accuracy(p, x, y) -> float:
    return float((forward(p, x).argmax(-1) == y).mean())


def grad_check(rng: np.random.Generator) -> float:
    """Relative error between analytic and numeric gradients on a tiny batch (float64)."""
    p = init_params(rng)
    for k in p:
        if k.startswith("b"):
            p[k] = rng.normal(0, 0.1, size=p[k].shape)
    x = rng.normal(size=(4, 3, T))
    y = np.arange(4) % 4
    _, g = loss_and_grads(p, x, y)
    worst = 0.0
    eps = 1e-6
    for k in p:
        flat = p[k].reshape(-1)
        for i in rng.choice(flat.size, size=min(6, flat.size), replace=False):
            old = flat[i]
            flat[i] = old + eps
            lp, _ = loss_and_grads(p, x, y)
            flat[i] = old - eps
            lm, _ = loss_and_grads(p, x, y)
            flat[i] = old
            num = (lp - lm) / (2 * eps)
            ana = g[k].reshape(-1)[i]
            worst = max(worst, abs(num - ana) / max(1e-8, abs(num) + abs(ana)))
    return worst


def train(x, y, rng: np.random.Generator) -> dict[str, np.ndarray]:
    x = x.astype(np.float64)
    p = init_params(rng)
    m = {k: np.zeros_like(v) for k, v in p.items()}
    v = {k: np.zeros_like(w) for k, w in p.items()}
    b1, b2, eps = 0.9, 0.999, 1e-8
    step = 0
    for epoch in range(EPOCHS):
        lr = LR * (0.5 * (1 + np.cos(np.pi * epoch / EPOCHS)))  # cosine decay
        perm = rng.permutation(len(y))
        total = 0.0
        for i in range(0, len(y), BATCH):
            idx = perm[i:i + BATCH]
            loss, g = loss_and_grads(p, x[idx], y[idx])
            total += loss * len(idx)
            step += 1
            for k in p:
                m[k] = b1 * m[k] + (1 - b1) * g[k]
                v[k] = b2 * v[k] + (1 - b2) * g[k] ** 2
                mh = m[k] / (1 - b1 ** step)
                vh = v[k] / (1 - b2 ** step)
                p[k] = p[k] - lr * mh / (np.sqrt(vh) + eps)
        if epoch % 5 == 4 or epoch == EPOCHS - 1:
            print(f"epoch {epoch + 1:2d}  loss {total / len(y):.4f}  train acc {accuracy(p, x, y):.4f}")
    return p


# --------------------------------------------------------------------------- export

def export_onnx(p32: dict[str, np.ndarray]) -> onnx.ModelProto:
    inits = [
        numpy_helper.from_array(p32["w1"], "conv1.weight"),
        numpy_helper.from_array(p32["b1"], "conv1.bias"),
        numpy_helper.from_array(p32["w2"], "conv2.weight"),
        numpy_helper.from_array(p32["b2"], "conv2.bias"),
        numpy_helper.from_array(p32["w3"], "fc.weight"),
        numpy_helper.from_array(p32["b3"], "fc.bias"),
    ]
    nodes = [
        helper.make_node("Conv", ["input", "conv1.weight", "conv1.bias"], ["conv1"], name="conv1",
                         kernel_shape=[5], pads=[2, 2], strides=[1], dilations=[1], group=1),
        helper.make_node("Relu", ["conv1"], ["relu1"], name="relu1"),
        helper.make_node("MaxPool", ["relu1"], ["pool1"], name="pool1", kernel_shape=[2], strides=[2]),
        helper.make_node("Conv", ["pool1", "conv2.weight", "conv2.bias"], ["conv2"], name="conv2",
                         kernel_shape=[3], pads=[1, 1], strides=[1], dilations=[1], group=1),
        helper.make_node("Relu", ["conv2"], ["relu2"], name="relu2"),
        helper.make_node("MaxPool", ["relu2"], ["pool2"], name="pool2", kernel_shape=[2], strides=[2]),
        helper.make_node("Flatten", ["pool2"], ["flat"], name="flatten", axis=1),
        helper.make_node("Gemm", ["flat", "fc.weight", "fc.bias"], ["logits"], name="fc",
                         alpha=1.0, beta=1.0, transA=0, transB=1),
        helper.make_node("Softmax", ["logits"], ["probabilities"], name="softmax", axis=-1),
    ]
    graph = helper.make_graph(
        nodes, "gesture_cnn",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [1, C, T])],
        [helper.make_tensor_value_info("probabilities", TensorProto.FLOAT, [1, len(CLASSES)])],
        initializer=inits,
    )
    model = helper.make_model(
        graph,
        opset_imports=[helper.make_opsetid("", 17)],
        producer_name="mlc-examples/train_gesture.py",
        producer_version="1",
        doc_string="Synthetic-accelerometer gesture classifier; classes: " + ", ".join(CLASSES),
    )
    model.ir_version = 8  # opset 17 era; readable by older runtimes
    model.model_version = 1
    for i, name in enumerate(CLASSES):
        model.metadata_props.add(key=f"class_{i}", value=name)
    onnx.checker.check_model(model, full_check=True)
    return model


def save_npz_deterministic(path: Path, **arrays: np.ndarray) -> None:
    """Like np.savez, but with fixed zip entry timestamps so the bytes are reproducible."""
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_STORED) as zf:
        for name, arr in arrays.items():
            buf = io.BytesIO()
            np.lib.format.write_array(buf, np.ascontiguousarray(arr), allow_pickle=False)
            info = zipfile.ZipInfo(name + ".npy", date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_STORED
            info.external_attr = 0o644 << 16
            zf.writestr(info, buf.getvalue())


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--out-dir", type=Path, default=Path(__file__).resolve().parent)
    args = ap.parse_args()
    args.out_dir.mkdir(parents=True, exist_ok=True)

    err = grad_check(np.random.default_rng(1))
    print(f"gradient check: worst relative error {err:.2e}")
    assert err < 1e-5, "hand-written backward pass disagrees with numeric gradients"

    data_rng = np.random.default_rng(SEED)
    x_train, y_train = make_dataset(N_TRAIN_PER_CLASS, data_rng)
    x_test, y_test = make_dataset(N_TEST_PER_CLASS, data_rng)
    # calibration windows: fresh draws from the training distribution, labels not needed
    calib, _ = make_dataset(N_CALIB // len(CLASSES), data_rng)
    x_eval, y_eval = make_dataset(N_EVAL_PER_CLASS, data_rng)
    print(f"train {x_train.shape}, test {x_test.shape}, calib {calib.shape}")

    params = train(x_train, y_train, np.random.default_rng(SEED + 1))
    p32 = {k: v.astype(np.float32) for k, v in params.items()}

    train_acc = accuracy(p32, x_train, y_train)
    test_acc = accuracy(p32, x_test, y_test)
    print(f"train accuracy (float32): {train_acc:.4f}  ({len(y_train)} windows)")
    print(f"test  accuracy (float32): {test_acc:.4f}  ({len(y_test)} windows, shipped in gesture_data.npz)")
    eval_acc = accuracy(p32, x_eval, y_eval)
    print(f"held-out accuracy (float32): {eval_acc:.4f}  ({len(y_eval)} fresh windows, not saved)")
    pred = forward(p32, x_test).argmax(-1)
    conf = np.zeros((len(CLASSES), len(CLASSES)), dtype=int)
    np.add.at(conf, (y_test, pred), 1)
    print("test confusion matrix (rows = true, cols = predicted):", " ".join(CLASSES))
    for name, row in zip(CLASSES, conf):
        print(f"  {name:>6}: {row}")

    model = export_onnx(p32)
    onnx_path = args.out_dir / "gesture.onnx"
    onnx_path.write_bytes(model.SerializeToString(deterministic=True))

    # Each stored sample is exactly one model input: (K, 1, 3, 32).
    test_x = x_test[:, None].astype(np.float32)
    calib_x = calib[:, None].astype(np.float32)
    npz_path = args.out_dir / "gesture_data.npz"
    save_npz_deterministic(npz_path, test_x=test_x, test_y=y_test.astype(np.int64), calib=calib_x)
    print(f"wrote {onnx_path} ({onnx_path.stat().st_size} bytes), {npz_path} ({npz_path.stat().st_size} bytes)")

    # Cross-check the exported model against the numpy forward pass.
    try:
        import onnxruntime as ort
    except ImportError:
        print("onnxruntime not installed; skipped the ONNX Runtime cross-check")
        return
    sess = ort.InferenceSession(str(onnx_path), providers=["CPUExecutionProvider"])
    worst = 0.0
    for sample in np.concatenate([test_x, calib_x]):
        got = sess.run(["probabilities"], {"input": sample})[0]
        want = softmax(forward(p32, sample.astype(np.float32)))
        worst = max(worst, float(np.abs(got - want).max()))
    ort_pred = np.array([sess.run(None, {"input": s})[0].argmax() for s in test_x])
    print(f"onnxruntime vs numpy: max |diff| = {worst:.2e}; onnxruntime test accuracy {(ort_pred == y_test).mean():.4f}")
    assert worst < 1e-5, "exported model disagrees with the numpy forward pass"


if __name__ == "__main__":
    main()
