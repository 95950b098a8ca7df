"""Conv: 1-D and 2-D, groups (depthwise), pads, auto_pad, strides, dilations, bias or not;
Conv + Relu fusion, Conv + BatchNormalization folding and a zero Pad folded into the Conv's pads."""

from __future__ import annotations

import numpy as np

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node


def conv(id_: str, xs, ws, attrs, bias=True, opset=11) -> Case:
    inits = {"w": const(ws)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = const((ws[0],), 2)
        ins.append("b")
    return Case(id_, model([node("Conv", ins, ["y"], **attrs)], {"x": xs}, ["y"], inits, opset=opset))


CONV2D = Group("conv2d", [
    conv("basic", (1, 3, 7, 7), (4, 3, 3, 3), {}),
    conv("no_bias", (1, 3, 6, 5), (2, 3, 3, 3), {}, False),
    conv("batch2", (2, 2, 5, 5), (3, 2, 3, 3), {"pads": [1, 1, 1, 1]}),
    conv("pads_sym", (1, 2, 6, 6), (3, 2, 3, 3), {"pads": [1, 1, 1, 1]}),
    conv("pads_asym", (1, 2, 6, 7), (3, 2, 3, 2), {"pads": [0, 1, 2, 0]}),
    conv("pads_big", (1, 1, 3, 3), (2, 1, 2, 2), {"pads": [3, 2, 1, 3]}),
    conv("strides", (1, 2, 9, 8), (3, 2, 3, 3), {"strides": [2, 3], "pads": [1, 0, 1, 2]}),
    conv("dilations", (1, 2, 9, 9), (2, 2, 3, 3), {"dilations": [2, 1], "pads": [2, 1, 2, 1]}),
    conv("dil_stride", (1, 1, 11, 10), (2, 1, 3, 2), {"dilations": [2, 3], "strides": [2, 2]}),
    conv("groups2", (1, 4, 6, 6), (6, 2, 3, 3), {"group": 2, "pads": [1, 1, 1, 1]}),
    conv("depthwise", (1, 4, 7, 7), (4, 1, 3, 3), {"group": 4, "pads": [1, 1, 1, 1]}),
    conv("depthwise_mult", (1, 3, 6, 6), (6, 1, 3, 3), {"group": 3, "strides": [2, 2]}, False),
    conv("pointwise", (1, 5, 4, 4), (7, 5, 1, 1), {}),
    conv("kernel_shape_attr", (1, 2, 5, 5), (2, 2, 3, 3), {"kernel_shape": [3, 3]}),
    conv("same_upper", (1, 2, 7, 6), (3, 2, 3, 4), {"auto_pad": "SAME_UPPER"}),
    conv("same_upper_s2", (1, 2, 8, 7), (3, 2, 3, 3), {"auto_pad": "SAME_UPPER", "strides": [2, 2]}),
    conv("same_lower", (1, 2, 7, 6), (3, 2, 3, 4), {"auto_pad": "SAME_LOWER"}),
    conv("same_lower_s2", (1, 2, 8, 7), (3, 2, 2, 2), {"auto_pad": "SAME_LOWER", "strides": [2, 2]}),
    conv("valid", (1, 2, 7, 6), (3, 2, 3, 3), {"auto_pad": "VALID", "strides": [2, 1]}),
    conv("opset1_form", (1, 2, 5, 5), (3, 2, 3, 3), {"pads": [1, 0, 1, 0]}, opset=7),
    conv("opset_current", (1, 2, 5, 5), (4, 1, 3, 3), {"group": 2, "auto_pad": "SAME_UPPER"}, opset=CURRENT),
])


@CONV2D.param()
def test_conv2d(case, ops) -> None:
    ops.check(case, CONV2D)


CONV1D = Group("conv1d", [
    conv("basic", (1, 3, 10), (4, 3, 3), {}),
    conv("pads_asym_stride", (2, 2, 11), (3, 2, 3), {"pads": [2, 1], "strides": [2]}),
    conv("dilation", (1, 2, 12), (2, 2, 3), {"dilations": [3]}, False),
    conv("groups", (1, 4, 9), (4, 2, 3), {"group": 2}),
    conv("depthwise", (1, 4, 9), (4, 1, 5), {"group": 4, "pads": [2, 2]}),
    conv("same_upper", (1, 2, 9), (3, 2, 4), {"auto_pad": "SAME_UPPER", "strides": [2]}),
    conv("same_lower", (1, 2, 9), (3, 2, 4), {"auto_pad": "SAME_LOWER"}),
    conv("valid", (1, 2, 9), (3, 2, 4), {"auto_pad": "VALID", "strides": [3]}),
])


@CONV1D.param()
def test_conv1d(case, ops) -> None:
    ops.check(case, CONV1D)


def _bn_inits(c: int) -> dict[str, np.ndarray]:
    return {"scale": const((c,), 3, 0.5, 1.5), "bias": const((c,), 4), "mean": const((c,), 5),
            "var": const((c,), 6, 0.1, 2.0)}


def conv_relu(opset: int) -> Case:
    return Case(f"conv_relu_op{opset}", model(
        [node("Conv", ["x", "w", "b"], ["c"], pads=[1, 1, 1, 1]), node("Relu", ["c"], ["y"])],
        {"x": (1, 2, 5, 5)}, ["y"], {"w": const((3, 2, 3, 3)), "b": const((3,), 2)}, opset=opset))


def conv_bn(bias: bool, opset: int, relu: bool = True, group: int = 1) -> Case:
    c_in = 4 if group > 1 else 2
    inits = {"w": const((4, c_in // group, 3, 3)), **_bn_inits(4)}
    ins = ["x", "w"]
    if bias:
        inits["b"] = const((4,), 2)
        ins.append("b")
    nodes = [node("Conv", ins, ["c"], group=group, pads=[1, 1, 1, 1]),
             node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["bn" if relu else "y"], epsilon=1e-3)]
    if relu:
        nodes.append(node("Relu", ["bn"], ["y"]))
    return Case(f"conv_bn{'_bias' if bias else ''}{'_relu' if relu else ''}_g{group}_op{opset}",
                model(nodes, {"x": (1, c_in, 6, 6)}, ["y"], inits, opset=opset))


FUSED = Group("conv_fused", [conv_relu(7), conv_relu(13)])


@FUSED.param()
def test_conv_relu_fused(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Conv"]
    assert [a.op for a in g.nodes[0].fused] == ["Relu"]
    ops.check(case, FUSED)


FOLDED = Group("conv_bn_folded", [
    conv_bn(True, 9), conv_bn(False, 9), conv_bn(True, 15), conv_bn(False, 15),
    conv_bn(False, 7, relu=False), conv_bn(True, 13, relu=False, group=4),
])


@FOLDED.param()
def test_conv_batchnorm_folded(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert not any(n.op == "BatchNormalization" for n in g.nodes)
    assert [n.op for n in g.nodes] == ["Conv"]
    assert [a.op for a in g.nodes[0].fused] == (["Relu"] if "relu" in case.id else [])
    ops.check(case, FOLDED)


def test_conv_batchnorm_not_folded_when_shared(ops, tmp_path) -> None:
    """The Conv output is also a graph output: the BatchNormalization must stay a separate layer."""
    case = Case("shared", model(
        [node("Conv", ["x", "w"], ["c"]), node("BatchNormalization", ["c", "scale", "bias", "mean", "var"], ["y"])],
        {"x": (1, 2, 5, 5)}, ["c", "y"], {"w": const((4, 2, 3, 3)), **_bn_inits(4)}, opset=13))
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Conv", "BatchNormalization"]
    ops.check(case)


def pad_conv(id_: str, pads: list[int], value: float = 0.0, mode: str = "constant", opset: int = 13) -> Case:
    rank = len(pads) // 2
    xs = (1, 3) + (7, 6)[:rank - 2]
    cin = 3 + pads[1] + pads[rank + 1]
    ins = {"w": const((4, cin) + (3, 2)[:rank - 2]), "pads": np.array(pads, np.int64)}
    pad_ins = ["x", "pads"]
    if value:
        ins["v"] = np.array(value, np.float32)
        pad_ins.append("v")
    nodes = [node("Pad", pad_ins, ["p"], mode=mode),
             node("Conv", ["p", "w"], ["y"], pads=[1, 0, 0, 1][:2 * (rank - 2)] if rank == 4 else [1, 0])]
    return Case(id_, model(nodes, {"x": xs}, ["y"], ins, opset=opset))


PAD_FOLDED = Group("pad_conv_folded", [
    pad_conv("spatial_asym", [0, 0, 1, 2, 0, 0, 2, 1]), pad_conv("end_only", [0, 0, 0, 0, 0, 0, 1, 1]),
    pad_conv("conv1d", [0, 0, 2, 0, 0, 1]),
])
PAD_KEPT = Group("pad_conv_kept", [
    pad_conv("channels", [0, 1, 0, 0, 0, 0, 0, 0]), pad_conv("value", [0, 0, 1, 1, 0, 0, 1, 1], value=0.5),
    pad_conv("reflect", [0, 0, 1, 1, 0, 0, 1, 1], mode="reflect"), pad_conv("crop", [0, 0, -1, 1, 0, 0, 1, 1]),
])


@PAD_FOLDED.param()
def test_zero_pad_folded_into_conv(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Conv"]
    ops.check(case, PAD_FOLDED)


@PAD_KEPT.param()
def test_pad_kept_when_not_a_zero_spatial_pad(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Pad", "Conv"]
    ops.check(case, PAD_KEPT)
