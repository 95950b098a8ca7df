"""The C parameter structs of runtime_c (include/mlc/kernels_*.h) as LLVM types, so that a kernel call
without an IR generator can pass its parameters to the C reference kernel as a constant global.

Only what those headers use is understood: `typedef struct { ... } name_t;` with fields of the fixed-width
integer types, float, earlier structs, and arrays sized by a number or a #define; `typedef a_t b_t;`.
LLVM lays literal structs out with the target's data layout, which is the C ABI's natural alignment.
"""

from __future__ import annotations

import functools
import re
from typing import Any

from llvmlite import ir

from toolchain.errors import ModelError
from toolchain.resources import resource_dir

SCALARS = {"int8_t": ir.IntType(8), "uint8_t": ir.IntType(8), "int16_t": ir.IntType(16),
           "uint16_t": ir.IntType(16), "int32_t": ir.IntType(32), "uint32_t": ir.IntType(32),
           "float": ir.FloatType()}


@functools.cache
def _structs() -> dict[str, list[tuple[str, str, int | None]] | str]:
    """struct name -> fields (name, C type, array length or None), or why the struct cannot be laid out."""
    text = ""
    for header in sorted((resource_dir("runtime_c") / "include" / "mlc").glob("*.h")):
        text += re.sub(r"/\*.*?\*/|//[^\n]*", "", header.read_text(), flags=re.S) + "\n"
    defines = {k: int(v) for k, v in re.findall(r"#define\s+(\w+)\s+(\d+)\s*$", text, re.M)}
    structs: dict[str, list[tuple[str, str, int | None]] | str] = {}
    for body, name in re.findall(r"typedef\s+struct\s*\w*\s*\{(.*?)\}\s*(\w+)\s*;", text, re.S):
        structs[name] = _fields(body, defines)
    for src, dst in re.findall(r"typedef\s+(\w+)\s+(\w+)\s*;", text):
        if src in structs:
            structs[dst] = structs[src]
    return structs


def _fields(body: str, defines: dict[str, int]) -> list[tuple[str, str, int | None]] | str:
    fields: list[tuple[str, str, int | None]] = []
    for decl in body.split(";"):
        decl = decl.strip()
        if not decl:
            continue
        m = re.match(r"(?:const\s+)?(\w+)\s+(.*)$", decl, re.S)
        if m is None:
            return f"field {decl!r}"
        ctype = m.group(1)
        for item in m.group(2).split(","):
            fm = re.match(r"\s*(\w+)\s*(?:\[\s*(\w+)\s*\])?\s*$", item)
            if fm is None:
                return f"field {item.strip()!r}"
            n = fm.group(2)
            length = None if n is None else (int(n) if n.isdigit() else defines.get(n))
            if n is not None and length is None:
                return f"unknown array size {n}"
            fields.append((fm.group(1), ctype, length))
    return fields


def _fields_of(ctype: str) -> list[tuple[str, str, int | None]]:
    fields = _structs().get(ctype)
    if not isinstance(fields, list):
        why = f" ({fields})" if fields else ""
        raise ModelError(f"the LLVM backend cannot lay out C type {ctype}{why}; extend toolchain/llvm/cstruct.py")
    return fields


def _type(ctype: str) -> ir.Type:
    if ctype in SCALARS:
        return SCALARS[ctype]
    fields = _fields_of(ctype)
    return ir.LiteralStructType([ir.ArrayType(_type(t), n) if n is not None else _type(t) for _, t, n in fields])


def _const(ctype: str, value: Any) -> ir.Constant:
    ty = _type(ctype)
    if ctype in SCALARS:
        v = 0 if value is None else value
        return ir.Constant(ty, float(v) if ctype == "float" else int(v))
    value = value or {}
    items = []
    for fname, t, n in _fields_of(ctype):
        v = value.get(fname)
        if n is None:
            items.append(_const(t, v))
        else:
            seq = list(v or [])
            items.append(ir.Constant(ir.ArrayType(_type(t), n), [_const(t, seq[i] if i < len(seq) else None)
                                                                  for i in range(n)]))
    unknown = set(value) - {f for f, _, _ in _fields_of(ctype)}
    if unknown:
        raise ModelError(f"parameters {sorted(unknown)} are not fields of the C struct {ctype}")
    return ir.Constant(ty, items)


def param_constant(params_type: str, params: dict[str, Any]) -> ir.Constant:
    """The parameter block of a kernel call as an LLVM constant of its C struct's layout."""
    return _const(params_type, params)
