/**
 * @file unary_select.h
 * @brief The mlc_unary_op_t operations mlc_unary_eval_f32 implements: bit k of MLC_UNARY_OPS for operation k.
 *
 * This copy selects every operation (the runtime's own tests use it). A generated project's copy selects
 * only its model's operations, so that the linker leaves out the libm code of the others (erff, powf,
 * acosf, ...: about 12 KB on a Cortex-M). An operation outside the selection evaluates to NaN.
 */
#ifndef MLC_UNARY_SELECT_H
#define MLC_UNARY_SELECT_H

#ifndef MLC_UNARY_OPS
#define MLC_UNARY_OPS 0xFFFFFFFFFFFFFFFFull
#endif

#endif /* MLC_UNARY_SELECT_H */
