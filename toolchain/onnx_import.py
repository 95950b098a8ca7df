"""ONNX file -> Graph: validation, static shapes, constant folding, clear errors naming the culprit."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import numpy as np
import onnx
from onnx import helper, numpy_helper, shape_inference

from toolchain import passes
from toolchain.einsum import rewrite_einsum
from toolchain.errors import ModelError, UsageError
from toolchain.fold import fold_constants
from toolchain.functions import expand_functions
from toolchain.ir import Graph, Node, Tensor
from toolchain.ops import opdef
from toolchain.ops.base import REGISTRY
from toolchain.quant import qop

MIN_OPSET = 7


def parse_input_shapes(specs: list[str] | None) -> dict[str, list[int]]:
    """`NAME=1,1,28,28` options -> {NAME: [1, 1, 28, 28]}."""
    shapes: dict[str, list[int]] = {}
    for spec in specs or []:
        name, sep, dims = spec.rpartition("=")
        try:
            values = [int(d) for d in dims.split(",")] if sep and name else None
        except ValueError:
            values = None
        if not values or any(v <= 0 for v in values):
            raise UsageError(f"--input-shape {spec!r}: expected NAME=D0,D1,... with positive integers, e.g. input=1,1,28,28")
        shapes[name] = values
    return shapes


def read_model(path: str | Path) -> tuple[onnx.ModelProto, str]:
    """Parse and validate an ONNX file; returns the model and the file's sha256."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"{path}: no such file; check the model path")
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise UsageError(f"{path}: cannot read ({exc.strerror}); check permissions") from None
    sha = hashlib.sha256(data).hexdigest()
    try:
        model = onnx.load_model_from_string(data)
    except Exception:  # protobuf raises DecodeError and friends
        raise ModelError(f"{path}: not an ONNX model (protobuf parsing failed; the file may be truncated); pass a valid .onnx file") from None
    if not model.graph.output:
        raise ModelError(f"{path}: the ONNX graph has no outputs (file empty or truncated?); pass a valid .onnx file")
    try:
        onnx.checker.check_model(model)
    except Exception as exc:  # ValidationError, or a C++ error for badly broken protos
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise ModelError(f"{path}: invalid ONNX model: {first}; re-export the model") from None
    _check_utf8(model.graph, path)
    for init in model.graph.initializer:  # the checker does not compare the data with the dims
        try:
            numpy_helper.to_array(init)
        except Exception as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise ModelError(f"{path}: initializer {init.name!r}: its data does not match its type and dims "
                             f"{list(init.dims)} ({first}); re-export the model") from None
    return model, sha


def _check_utf8(g: onnx.GraphProto, path: Path) -> None:
    """ONNX strings are UTF-8; protobuf hands back bytes for a name that is not (a corrupt file)."""
    named = [("graph", g.name)]
    for k, n in enumerate(g.node):
        named += [(f"node #{k}", v) for v in (n.name, n.op_type, n.domain, *n.input, *n.output)]
        named += [(f"node #{k} attribute", a.name) for a in n.attribute]
    for what, coll in (("input", g.input), ("output", g.output), ("value_info", g.value_info),
                       ("initializer", g.initializer)):
        named += [(what, item.name) for item in coll]
    for what, value in named:
        if isinstance(value, bytes):
            raise ModelError(f"{path}: {what}: name {value!r} is not valid UTF-8 (corrupt file?); re-export the model")


def _opset(model: onnx.ModelProto, path: Path) -> int:
    version = next((o.version for o in model.opset_import if o.domain in ("", "ai.onnx")), None)
    newest = onnx.defs.onnx_opset_version()
    if version is None or not (MIN_OPSET <= version <= newest):
        raise ModelError(f"{path}: default-domain opset {version} is outside the supported range {MIN_OPSET}..{newest}; convert the model with onnx.version_converter")
    return version


def _apply_input_shapes(model: onnx.ModelProto, shapes: dict[str, list[int]], path: Path) -> None:
    inits = {i.name for i in model.graph.initializer}
    real_inputs = [i for i in model.graph.input if i.name not in inits]
    names = [i.name for i in real_inputs]
    for name in shapes:
        if name not in names:
            raise UsageError(f"--input-shape {name}=...: the model has no input {name!r}; its inputs are {', '.join(names)}")
    problems = []
    for inp in real_inputs:
        tt = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise ModelError(f"{path}: input {inp.name!r} is not a tensor; only tensor inputs are supported")
        if inp.name in shapes:
            want = shapes[inp.name]
            if tt.HasField("shape") and len(tt.shape.dim) != len(want):
                raise UsageError(f"--input-shape {inp.name}=...: rank {len(want)} given, the model's input has rank {len(tt.shape.dim)}")
            for axis, (d, v) in enumerate(zip(tt.shape.dim, want)):
                if d.HasField("dim_value") and d.dim_value != v:
                    raise UsageError(f"--input-shape {inp.name}=...: axis {axis} is fixed to {d.dim_value} in the model, not {v}")
            del tt.shape.dim[:]
            for v in want:
                tt.shape.dim.add().dim_value = v
            continue
        if not tt.HasField("shape"):
            problems.append(f"{inp.name!r} has no shape")
            continue
        sym = [f"{d.dim_param or '?'} (axis {k})" for k, d in enumerate(tt.shape.dim) if not d.HasField("dim_value") or d.dim_value <= 0]
        if sym:
            problems.append(f"{inp.name!r} has symbolic dimension(s) {', '.join(sym)}")
    if problems:
        example = real_inputs[0].name if real_inputs else "NAME"
        raise ModelError(f"{path}: input {'; input '.join(problems)}; fix the shape with --input-shape {example}=1,...")


def _infer(model: onnx.ModelProto, path: Path) -> onnx.ModelProto:
    try:
        return shape_inference.infer_shapes(model, check_type=True, strict_mode=True, data_prop=True)
    except Exception as exc:
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        first = re.sub(r"\s+", " ", first)
        raise ModelError(f"{path}: shape inference failed: {first}; check the model or --input-shape") from None


def _np_dtype(elem_type: int) -> str:
    try:
        return np.dtype(helper.tensor_dtype_to_np_dtype(elem_type)).name
    except Exception:
        return f"onnx_type_{elem_type}"


def _attr_value(attr: onnx.AttributeProto):
    value = helper.get_attribute_value(attr)
    if isinstance(value, onnx.TensorProto):
        return numpy_helper.to_array(value)
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, list) and value and isinstance(value[0], bytes):
        return [v.decode("utf-8", "replace") for v in value]
    return value


def load(path: str | Path, input_shapes: dict[str, list[int]] | None = None) -> Graph:
    """Read, validate, fix shapes, fold constants and convert an ONNX model to a Graph."""
    return load_with_model(path, input_shapes)[1]


def load_with_model(path: str | Path, input_shapes: dict[str, list[int]] | None = None
                    ) -> tuple[onnx.ModelProto, Graph]:
    """As load, also returning the folded ONNX model the Graph was made from (calibration runs it)."""
    path = Path(path)
    model, sha = read_model(path)
    opset = _opset(model, path)
    model = qop.expand(model, str(path))
    _apply_input_shapes(model, input_shapes or {}, path)
    model = expand_functions(model, opset, lambda op: op in REGISTRY)
    model = rewrite_einsum(model, opset)
    model = _infer(model, path)
    model = fold_constants(model, lambda m: _infer(m, path))
    return model, _to_graph(model, opset, sha, path)


def _to_graph(model: onnx.ModelProto, opset: int, sha: str, path: Path) -> Graph:
    g = model.graph
    tensors: dict[str, Tensor] = {}
    for init in g.initializer:
        arr = numpy_helper.to_array(init)
        tensors[init.name] = Tensor(init.name, tuple(int(d) for d in arr.shape), arr.dtype.name, arr)
    for vi in list(g.input) + list(g.value_info) + list(g.output):
        if vi.name in tensors or not vi.type.HasField("tensor_type"):
            continue
        tt = vi.type.tensor_type
        if not tt.HasField("shape"):
            continue
        dims = [d.dim_value if d.HasField("dim_value") else -1 for d in tt.shape.dim]
        tensors[vi.name] = Tensor(vi.name, tuple(dims), _np_dtype(tt.elem_type))
    nodes: list[Node] = []
    dynamic: list[str] = []
    for k, n in enumerate(g.node):
        name = n.name or f"{n.op_type}_{k}"
        attrs = {a.name: _attr_value(a) for a in n.attribute}
        nodes.append(Node(n.op_type, name, list(n.input), list(n.output), attrs, n.domain))
        for out in n.output:
            t = tensors.get(out)
            if out and not dynamic and (t is None or any(d < 0 for d in t.shape)):
                dynamic.append(f"{path}: node {name!r} ({n.op_type}): the shape of its output {out!r} is not static after shape inference; set input shapes with --input-shape or simplify the model")
    if dynamic:
        # Shapes usually stop at an unknown operator (its consumers have none either): name every such
        # operator, as passes.check_supported would, rather than the first consumer.
        unknown = [passes.unknown_op(n) for n in nodes if opdef(n) is None]
        if unknown:
            raise passes.unsupported_error(str(path), unknown)
        raise ModelError(dynamic[0])
    inits = {i.name for i in g.initializer}
    inputs = [i.name for i in g.input if i.name not in inits]
    outputs = [o.name for o in g.output]
    for name in inputs + outputs:
        if name not in tensors:
            raise ModelError(f"{path}: tensor {name!r} has no static shape; set it with --input-shape")
        dtype = tensors[name].dtype
        if tensors[name].size == 0:
            raise ModelError(f"{path}: graph input/output {name!r} has shape {tensors[name].shape} with no elements; "
                             "mlc needs at least one element (check the model's shapes or --input-shape)")
        if dtype.startswith("onnx_type_") or np.dtype(dtype).kind not in "biuf":
            raise ModelError(f"{path}: graph input/output {name!r} has element type {dtype}; only numeric tensors "
                             "are supported")
    graph_name = re.sub(r"[^A-Za-z0-9_]", "_", path.stem) or "model"
    return Graph(graph_name, tensors, nodes, inputs, outputs, opset, sha)
