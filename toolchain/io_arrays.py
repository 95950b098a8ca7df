"""Reading model inputs from .npy/.npz and writing outputs, with the batching rules of `mlc run`.

An array of exactly the input's shape runs once; (K, *shape) runs K inferences; so does
(K, *shape[1:]) when the input's first dimension is 1. Outputs are stacked the same way.
"""

from __future__ import annotations

import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from toolchain.errors import UsageError
from toolchain.lower import IOTensor

NP_DTYPES = {"float32": np.float32, "int8": np.int8, "uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
             "int32": np.int32, "int64": np.int64, "bool": np.bool_}


@dataclass
class Batch:
    count: int  # K inferences
    mode: str  # "single" | "stacked" | "stacked_squeezed"
    arrays: list[np.ndarray]  # per model input, shape (K, *input shape)


def _load(path: Path) -> dict[str, np.ndarray] | np.ndarray:
    if not path.is_file():
        raise UsageError(f"{path}: no such file; pass an existing .npy or .npz")
    try:
        data = np.load(path, allow_pickle=False)
    except (ValueError, OSError, zipfile.BadZipFile, EOFError) as exc:
        raise UsageError(f"{path}: not a readable .npy/.npz file ({exc}); save it with numpy.save or numpy.savez") from None
    if isinstance(data, np.lib.npyio.NpzFile):
        with data:
            return {k: data[k] for k in data.files}
    return data


def load_inputs(path: Path, inputs: list[IOTensor]) -> Batch:
    data = _load(path)
    if isinstance(data, dict):
        missing = [t.name for t in inputs if t.name not in data]
        if missing:
            raise UsageError(f"{path}: no array for input(s) {', '.join(missing)}; its keys are {', '.join(data) or 'none'}")
        return batch_from_arrays([data[t.name] for t in inputs], inputs, str(path))
    if len(inputs) != 1:
        raise UsageError(f"{path}: the model has {len(inputs)} inputs; pass an .npz keyed by {', '.join(t.name for t in inputs)}")
    return batch_from_arrays([data], inputs, str(path))


def batch_from_arrays(raw: list[np.ndarray], inputs: list[IOTensor], path: str) -> Batch:
    """Apply the batching rules to one array per model input; `path` names the source in errors."""
    if not inputs:  # a model without run-time inputs (all constant): one inference
        return Batch(1, "single", [])
    counts, modes, arrays = set(), set(), []
    for t, arr in zip(inputs, raw):
        if arr.dtype.kind not in "biuf":
            raise UsageError(f"{path}: array for input {t.name!r} has dtype {arr.dtype}; pass numbers")
        shape = tuple(t.shape)
        if arr.shape == shape:
            k, mode, arr = 1, "single", arr.reshape((1, *shape))
        elif arr.ndim == len(shape) + 1 and arr.shape[1:] == shape:
            k, mode = arr.shape[0], "stacked"
        elif shape and shape[0] == 1 and arr.ndim == len(shape) and arr.shape[1:] == shape[1:]:
            k, mode, arr = arr.shape[0], "stacked_squeezed", arr.reshape((arr.shape[0], *shape))
        else:
            raise UsageError(f"{path}: array for input {t.name!r} has shape {arr.shape}; expected {shape} or (K, *{shape})")
        counts.add(k)
        modes.add(mode)
        arrays.append(_exactly(arr, t, path))
    if len(counts) != 1 or counts == {0}:
        raise UsageError(f"{path}: inputs disagree on the number of samples ({sorted(counts)}) or hold none")
    return Batch(counts.pop(), modes.pop() if len(modes) == 1 else "stacked", arrays)


def _exactly(arr: np.ndarray, t: IOTensor, path: str) -> np.ndarray:
    """`arr` as the input's type; values an integer or bool input cannot hold exactly are refused, not
    wrapped or truncated (float pixels in [0, 1] fed to a uint8 input would all become 0)."""
    out = np.ascontiguousarray(arr, dtype=NP_DTYPES[t.dtype])
    if t.dtype != "float32":
        if t.dtype == "bool":
            bad = (arr != 0) & (arr != 1)
        else:
            with np.errstate(invalid="ignore"):
                bad = out.astype(np.float64) != arr.astype(np.float64)
        if np.any(bad):
            i = np.unravel_index(int(np.argmax(bad)), arr.shape)
            lo, hi = (0, 1) if t.dtype == "bool" else (np.iinfo(t.dtype).min, np.iinfo(t.dtype).max)
            raise UsageError(f"{path}: array for input {t.name!r} holds {arr[i].item()!r} at {tuple(int(v) for v in i)}, "
                             f"which is not a {t.dtype}; pass integers in [{lo}, {hi}]")
    return out


def shape_outputs(batch: Batch, outputs: list[IOTensor], flat: list[np.ndarray]) -> list[np.ndarray]:
    """flat[i] has shape (K, *output shape); reshape by the batch's mode."""
    result = []
    for t, arr in zip(outputs, flat):
        if batch.mode == "single":
            result.append(arr.reshape(t.shape))
        elif batch.mode == "stacked_squeezed" and t.shape and t.shape[0] == 1:
            result.append(arr.reshape((batch.count, *t.shape[1:])))
        else:
            result.append(arr.reshape((batch.count, *t.shape)))
    return result


def save_outputs(path: Path, outputs: list[IOTensor], arrays: list[np.ndarray]) -> None:
    if path.suffix == ".npz":
        np.savez(path, **{t.name: a for t, a in zip(outputs, arrays)})
    elif path.suffix == ".npy":
        if len(arrays) != 1:
            raise UsageError(f"{path}: the model has {len(arrays)} outputs; write an .npz instead")
        np.save(path, arrays[0])
    else:
        raise UsageError(f"{path}: output must end in .npy or .npz")


def records(batch: Batch) -> bytes:
    """K records, each the inputs back to back (the host runner's and the device's input layout)."""
    return b"".join(b"".join(a[k].tobytes() for a in batch.arrays) for k in range(batch.count))


def split_records(blob: bytes, outputs: list[IOTensor], count: int) -> list[np.ndarray]:
    per = [t.nbytes for t in outputs]
    rec = sum(per)
    if len(blob) != rec * count:
        raise UsageError(f"runner wrote {len(blob)} bytes, expected {rec * count}")
    result = []
    off = 0
    for t, n in zip(outputs, per):
        parts = [np.frombuffer(blob[k * rec + off:k * rec + off + n], dtype=NP_DTYPES[t.dtype]) for k in range(count)]
        result.append(np.stack(parts).reshape((count, *t.shape)))
        off += n
    return result
