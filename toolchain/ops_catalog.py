"""What `mlc ops` reports: every operator the registry holds, the opsets it covers, its data types and
the attributes or cases it rejects.

The opset range runs from opset 7 (the oldest mlc imports) or the operator's introduction, whichever is
later, to the newest opset the installed onnx knows; `versions` are the opsets in that range where the
operator's schema changed (its since_version history). Data types and rejected cases are declared by
each operator definition as class attributes (`dtypes`, default float32; `rejects`, default none).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import onnx
import onnx.defs

from toolchain.onnx_import import MIN_OPSET

DEFAULT_DTYPES = ("float32",)


@dataclass(frozen=True)
class OpInfo:
    op: str
    opset_min: int
    opset_max: int
    versions: tuple[int, ...]  # since_version of each schema revision in [opset_min, opset_max]
    dtypes: tuple[str, ...]
    rejects: tuple[str, ...]
    view: bool  # reshape-like: a view of its input, no copy
    fuses_activation: bool

    def to_json(self) -> dict:
        d = asdict(self)
        for k in ("versions", "dtypes", "rejects"):
            d[k] = list(d[k])
        return d


def supported_ops() -> list[str]:
    """The operator types (default ONNX domain) mlc compiles, sorted."""
    from toolchain.ops import REGISTRY

    return sorted(REGISTRY)


def schema_versions(op: str, newest: int | None = None) -> list[int]:
    """The since_version of every revision of `op`'s schema up to opset `newest` (default: current)."""
    newest = newest or onnx.defs.onnx_opset_version()
    versions: list[int] = []
    opset = newest
    while opset >= 1:
        try:
            since = onnx.defs.get_schema(op, opset, "").since_version
        except onnx.defs.SchemaError:
            break
        versions.append(since)
        opset = since - 1
    return sorted(versions)


def op_info(op: str) -> OpInfo:
    from toolchain.ops import REGISTRY

    d = REGISTRY[op]
    newest = onnx.defs.onnx_opset_version()
    history = schema_versions(op, newest)
    low = max(MIN_OPSET, history[0]) if history else MIN_OPSET
    # The revision in force at `low` started at or before it; list it as `low` itself.
    versions = tuple(sorted({low} | {v for v in history if v > low}))
    return OpInfo(
        op=op, opset_min=low, opset_max=newest, versions=versions,
        dtypes=tuple(d.dtypes_for(op) if hasattr(d, "dtypes_for") else getattr(d, "dtypes", DEFAULT_DTYPES))
        + (("int8 (quantized)",) if d.has_s8(op) and "int8" not in d.dtypes_for(op) else ()),
        rejects=tuple(d.rejects_for(op) if hasattr(d, "rejects_for") else getattr(d, "rejects", ())),
        view=bool(getattr(d, "alias", False)),
        fuses_activation=bool(getattr(d, "fuses_activation", False)),
    )


def function_ops() -> list[str]:
    """Default-domain operators without a kernel that ONNX defines as a function of other operators: expanded
    into that body at import (toolchain/functions.py), so they compile wherever their body's operators do."""
    from toolchain.ops import REGISTRY

    return sorted({s.name for s in onnx.defs.get_all_schemas_with_history()
                   if s.domain in ("", "ai.onnx") and s.name not in REGISTRY
                   and (s.has_function or s.has_context_dependent_function)})


# Operators rewritten at import as others (toolchain/einsum.py), and the cases that rewrite covers.
REWRITTEN_AT_IMPORT = {"Einsum": "one or two operands, no letter twice in one operand, equal sizes per letter"}


def catalog() -> list[OpInfo]:
    return [op_info(op) for op in supported_ops()]


FOLDED_NOTE = ("Constant nodes, and any subgraph whose inputs are all constant (any operator, e.g. "
               "Shape -> Gather -> Concat), are folded at import; Identity and Dropout (inference) are removed.")


def catalog_json() -> dict:
    return {"opset_max": onnx.defs.onnx_opset_version(), "operators": [i.to_json() for i in catalog()],
            "folded_at_import": FOLDED_NOTE, "expanded_at_import": function_ops(),
            "rewritten_at_import": REWRITTEN_AT_IMPORT}


def table() -> str:
    """The human-readable listing: one row per operator, its rejected cases indented below it."""
    infos = catalog()
    rows = [(i.op, f"{i.opset_min}-{i.opset_max}", ",".join(str(v) for v in i.versions), ",".join(i.dtypes))
            for i in infos]
    head = ("operator", "opsets", "schema revisions", "types")
    widths = [max(len(r[k]) for r in [head, *rows]) for k in range(len(head))]
    fmt = lambda r: "  ".join(v.ljust(w) for v, w in zip(r, widths)).rstrip()  # noqa: E731
    lines = [fmt(head)]
    for info, row in zip(infos, rows):
        lines.append(fmt(row))
        lines += [f"    rejects: {text}" for text in info.rejects]
    lines += ["", f"{len(infos)} operators. {FOLDED_NOTE}",
              "", "Expanded at import into their ONNX function bodies (they compile where those operators do): "
              + ", ".join(function_ops()) + ".",
              "Rewritten at import as other operators: "
              + "; ".join(f"{op} ({cases})" for op, cases in REWRITTEN_AT_IMPORT.items()) + "."]
    return "\n".join(lines)
