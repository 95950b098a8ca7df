"""Which modes of the libm-calling float kernels and which paths of the DSP int8 convolution a program runs:
the values of its project's mlc/select.h (runtime_c/include/mlc/select.h lists the macros). The kernels
compile only the selected modes, so that a firmware does not carry libm's powf, fmodf, erff... for
operations its model never runs, nor the depthwise kernels (about 25 KB) for a model without depthwise
convolutions."""

from __future__ import annotations

from toolchain.lower import Program
from toolchain.ops.base import unary_forms


def _mask(bits: set[int]) -> int:
    return sum(1 << b for b in bits)


def selection(program: Program) -> list[tuple[str, str, str]]:
    """(macro, C value, what it selects) for each macro of mlc/select.h."""
    unary, binary, reduce, softmax = {0}, set(), set(), set()  # identity: every kernel's act without fusion
    lp_pow = depthwise = narrow_pw = False
    for layer in program.layers:
        for call in layer.calls:
            if call.fn == "mlc_conv2d_s8":  # supersets of the DSP kernel's own tests (dsp/conv2d_s8.c)
                q = call.params
                depthwise |= int(q["groups"]) == int(q["c_in"]) == int(q["c_out"])
                narrow_pw |= int(q["k_h"]) == int(q["k_w"]) == 1 and int(q["c_in"]) // int(q["groups"]) <= 8
            unary |= {int(f["op"]) for f in unary_forms(call.params)}
            if call.fn == "mlc_binary_f32":
                binary.add(int(call.params["op"]))
            elif call.fn == "mlc_reduce_f32":
                reduce.add(int(call.params["op"]))
            elif call.fn == "mlc_softmax_f32":
                softmax.add(int(call.params["log"]))
            elif call.fn == "mlc_avgpool2d_f32":
                lp_pow |= int(call.params["lp_p"]) > 2

    def listed(bits: set[int]) -> str:
        return ", ".join(map(str, sorted(bits))) or "none"

    return [
        ("MLC_UNARY_OPS", f"0x{_mask(unary):016X}ull", f"mlc_unary_op_t {listed(unary)}"),
        ("MLC_BINARY_OPS", f"0x{_mask(binary):08X}ull", f"mlc_binary_op_t {listed(binary)}"),
        ("MLC_REDUCE_OPS", f"0x{_mask(reduce):08X}ull", f"mlc_reduce_op_t {listed(reduce)}"),
        ("MLC_SOFTMAX_MODES", f"0x{_mask(softmax):X}ull", f"modes {listed(softmax)}"),
        ("MLC_LP_POOL_POW", str(int(lp_pow)), "LpPool with p > 2"),
        ("MLC_CONV_S8_DEPTHWISE", str(int(depthwise)), "int8 convolutions with groups = c_in = c_out"),
        ("MLC_CONV_S8_NARROW_PW", str(int(narrow_pw)), "int8 1x1 convolutions of up to 8 input channels a group"),
    ]
