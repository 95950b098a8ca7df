"""Gemm (alpha, beta, transA, transB, every C shape, no C, run-time B), MatMul (2-D, batched, broadcast
batch, 1-D operands), Gemm + BatchNormalization folding and Gemm + Clip fusion."""

from __future__ import annotations

import numpy as np
import pytest

from tests.ops.util import CURRENT, Case, Group, compiled_graph, const, model, node
from toolchain.errors import ModelError

M, K, N = 3, 5, 4


def gemm(id_: str, c_shape=None, opset: int = 13, const_b: bool = True, const_c: bool = True, **attrs) -> Case:
    ta, tb = attrs.get("transA", 0), attrs.get("transB", 0)
    a_shape = (K, M) if ta else (M, K)
    b_shape = (N, K) if tb else (K, N)
    inputs = {"a": a_shape}
    inits = {}
    if const_b:
        inits["b"] = const(b_shape)
    else:
        inputs["b"] = b_shape
    ins = ["a", "b"]
    if c_shape is not None:
        if const_c:
            inits["c"] = const(c_shape, 2)
        else:
            inputs["c"] = c_shape
        ins.append("c")
    return Case(id_, model([node("Gemm", ins, ["y"], **attrs)], inputs, ["y"], inits, opset=opset))


GEMM = Group("gemm", [
    gemm("plain_no_c"),
    gemm("c_scalar", ()),
    gemm("c_n", (N,)),
    gemm("c_1n", (1, N)),
    gemm("c_m1", (M, 1)),
    gemm("c_mn", (M, N)),
    gemm("c_11", (1, 1)),
    gemm("alpha_beta", (N,), alpha=0.5, beta=-2.0),
    gemm("alpha_only_no_c", alpha=3.0),
    gemm("transA", (M, N), transA=1),
    gemm("transB", (N,), transB=1),
    gemm("transA_transB", (M, 1), transA=1, transB=1, alpha=1.5, beta=0.25),
    gemm("runtime_b", (N,), const_b=False),
    gemm("runtime_b_transB", (1, N), const_b=False, transB=1),
    gemm("runtime_b_transA_transB", (M, N), const_b=False, transA=1, transB=1, alpha=0.7),
    gemm("runtime_c", (M, N), const_c=False, beta=0.5),
    gemm("runtime_bc_row", (N,), const_b=False, const_c=False),
    gemm("op7_c_required", (N,), opset=7, transB=1),
    gemm("op7_c_scalar", (), opset=7, beta=2.0),
    gemm("op9_c_m1", (M, 1), opset=9, transA=1),
    gemm("op11_no_c", opset=11, transB=1),
    gemm("op_current", (1, N), opset=CURRENT, transA=1, alpha=2.0),
])


@GEMM.param()
def test_gemm(case, ops) -> None:
    ops.check(case, GEMM)


def matmul(id_: str, a_shape, b_shape, const_b: bool = False, opset: int = 13) -> Case:
    inputs = {"a": a_shape}
    inits = {}
    if const_b:
        inits["b"] = const(b_shape)
    else:
        inputs["b"] = b_shape
    return Case(id_, model([node("MatMul", ["a", "b"], ["y"])], inputs, ["y"], inits, opset=opset))


MATMUL = Group("matmul", [
    matmul("2d", (3, 5), (5, 4)),
    matmul("2d_const", (3, 5), (5, 4), const_b=True),
    matmul("2d_row", (1, 7), (7, 6), const_b=True),
    matmul("batched", (2, 3, 5), (2, 5, 4)),
    matmul("batched_const", (2, 3, 5), (2, 5, 4), const_b=True),
    matmul("batched_4d", (2, 3, 2, 4), (2, 3, 4, 5)),
    matmul("bcast_b_2d", (2, 3, 5), (5, 4), const_b=True),
    matmul("bcast_b_2d_runtime", (2, 3, 5), (5, 4)),
    matmul("bcast_a_2d", (3, 5), (2, 5, 4)),
    matmul("bcast_batch", (2, 1, 3, 5), (3, 5, 4)),
    matmul("bcast_batch_both", (2, 1, 3, 5), (1, 4, 5, 2)),
    matmul("1d_a", (5,), (5, 4)),
    matmul("1d_a_const_b", (5,), (5, 4), const_b=True),
    matmul("1d_b", (3, 5), (5,)),
    matmul("1d_b_const", (3, 5), (5,), const_b=True),
    matmul("1d_both", (5,), (5,)),
    matmul("1d_a_batched_b", (5,), (2, 5, 4)),
    matmul("batched_a_1d_b", (2, 3, 5), (5,)),
    matmul("op7", (3, 5), (5, 4), opset=7),
    matmul("op_current", (2, 3, 5), (5, 4), opset=CURRENT),
])


@MATMUL.param()
def test_matmul(case, ops) -> None:
    ops.check(case, MATMUL)


def _bn_inits(c: int) -> dict[str, np.ndarray]:
    return {"scale": const((c,), 3, 0.5, 1.5), "bias": const((c,), 4), "mean": const((c,), 5),
            "var": const((c,), 6, 0.1, 2.0)}


def gemm_bn(id_: str, c_shape=None, opset: int = 13, **attrs) -> Case:
    tb = attrs.get("transB", 0)
    inits = {"b": const((N, K) if tb else (K, N)), **_bn_inits(N)}
    ins = ["a", "b"]
    if c_shape is not None:
        inits["c"] = const(c_shape, 2)
        ins.append("c")
    return Case(id_, model(
        [node("Gemm", ins, ["g"], **attrs), node("BatchNormalization", ["g", "scale", "bias", "mean", "var"], ["y"])],
        {"a": (K, M) if attrs.get("transA") else (M, K)}, ["y"], inits, opset=opset))


GEMM_BN = Group("gemm_bn", [
    gemm_bn("no_c"),
    gemm_bn("c_n", (N,)),
    gemm_bn("c_n_transB", (N,), transB=1),
    gemm_bn("beta", (N,), beta=0.5, alpha=2.0),
    gemm_bn("c_1n_transB_op9", (1, N), opset=9, transB=1),
    gemm_bn("c_scalar_op15", (), opset=15, beta=3.0),
    gemm_bn("c_m1", (M, 1), beta=0.5),
    gemm_bn("c_mn_transA", (M, N), transA=1),
])


@GEMM_BN.param()
def test_gemm_batchnorm_folded(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert not any(n.op == "BatchNormalization" for n in g.nodes)
    assert [n.op for n in g.nodes] == ["Gemm"]
    ops.check(case, GEMM_BN)


def gemm_clip(id_: str, opset: int, lo: float | None, hi: float | None) -> Case:
    inits = {"b": const((K, N)), "c": const((N,), 2)}
    if opset < 11:
        attrs = {k: v for k, v in (("min", lo), ("max", hi)) if v is not None}
        clip = node("Clip", ["g"], ["y"], **attrs)
    else:
        ins = ["g", "lo" if lo is not None else "", "hi" if hi is not None else ""]
        while ins[-1] == "":
            ins.pop()
        if lo is not None:
            inits["lo"] = np.array(lo, np.float32)
        if hi is not None:
            inits["hi"] = np.array(hi, np.float32)
        clip = node("Clip", ins, ["y"])
    return Case(id_, model([node("Gemm", ["a", "b", "c"], ["g"]), clip], {"a": (M, K)}, ["y"], inits, opset=opset))


GEMM_CLIP = Group("gemm_clip", [
    gemm_clip("op6_relu6", 7, 0.0, 6.0),
    gemm_clip("op6_min", 7, -0.5, None),
    gemm_clip("op6_max", 9, None, 0.5),
    gemm_clip("op11_both", 11, -0.5, 0.75),
    gemm_clip("op11_min", 11, 0.1, None),
    gemm_clip("op11_max", 11, None, 0.2),
    gemm_clip("op13_both", 13, 0.0, 6.0),
    gemm_clip("op_current", CURRENT, -1.0, 1.0),
])


@GEMM_CLIP.param()
def test_gemm_clip_fused(case, ops, tmp_path) -> None:
    g = compiled_graph(case.model, tmp_path)
    assert [n.op for n in g.nodes] == ["Gemm"]
    assert [a.op for a in g.nodes[0].fused] == ["Clip"]
    ops.check(case, GEMM_CLIP)


def test_matmul_add_relu(ops, tmp_path) -> None:
    """MatMul + Add (bias) + Relu: a common exporter pattern; Relu fuses into the Add."""
    case = Case("matmul_add_relu", model(
        [node("MatMul", ["a", "w"], ["m"]), node("Add", ["m", "b"], ["s"]), node("Relu", ["s"], ["y"])],
        {"a": (2, K)}, ["y"], {"w": const((K, N)), "b": const((N,), 2)}))
    g = compiled_graph(case.model, tmp_path)
    assert len(g.nodes) == 2 and [a.op for a in g.nodes[-1].fused] == ["Relu"]
    ops.check(case)


def einsum(id_: str, equation: str, *shapes, const_b: bool = False) -> Case:
    names = ["a", "b"][:len(shapes)]
    inits = {"b": const(shapes[1], 9)} if const_b else {}
    inputs = {n: s for n, s in zip(names, shapes) if n not in inits}
    return Case(f"einsum_{id_}", model([node("Einsum", names, ["y"], equation=equation)], inputs, ["y"], inits,
                                       opset=12))


EINSUM = Group("einsum", [
    einsum("matmul", "ij,jk->ik", (3, 4), (4, 5)), einsum("batched", "bij,bjk->bik", (2, 3, 4), (2, 4, 5)),
    einsum("attention_scores", "bhqd,bhkd->bhqk", (1, 2, 3, 4), (1, 2, 5, 4)),
    einsum("weights", "btc,dc->btd", (2, 3, 4), (6, 4), const_b=True),
    einsum("outer", "i,j->ij", (3,), (4,)), einsum("dot", "i,i", (5,), (5,)),
    einsum("implicit", "ij,jk", (2, 3), (3, 4)), einsum("transpose", "ijk->kji", (2, 3, 4)),
    einsum("sum_axis", "ijk->ik", (2, 3, 4)), einsum("total", "ij->", (3, 4)),
    einsum("summed_alone", "ij,kl->ik", (2, 3), (4, 5)), einsum("ellipsis", "...ij,...jk->...ik", (2, 2, 3), (2, 3, 4)),
    einsum("upper_case", "Ij,jK->KI", (3, 4), (4, 2)),
])


@EINSUM.param()
def test_einsum(case, ops, tmp_path) -> None:
    """Rewritten at import (toolchain/einsum.py) as ReduceSum / Transpose / Reshape / MatMul."""
    assert "Einsum" not in {n.op for n in compiled_graph(case.model, tmp_path).nodes}
    ops.check(case, EINSUM)


def test_einsum_with_a_diagonal_is_reported_unsupported(tmp_path) -> None:
    m = model([node("Einsum", ["a"], ["y"], name="e", equation="ii->i")], {"a": (3, 3)}, ["y"], opset=12)
    with pytest.raises(ModelError, match=r"unsupported: 'e' \(Einsum\)"):
        compiled_graph(m, tmp_path)
