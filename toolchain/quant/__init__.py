"""Int8 quantization.

- ``toolchain.quant.requant``: the requantization arithmetic, bit-exact twin of
  runtime_c/include/mlc/requant.h, and the compile-time parameters of the int8 kernels (multipliers,
  fused-activation clamp ranges, softmax and lookup tables, weight and bias quantization).
- ``toolchain.quant.ref_kernels``: the Python simulator, numpy twins of the int8 reference kernels
  runtime_c/kernels/ref/*_s8.c, byte-identical to the C.
"""
