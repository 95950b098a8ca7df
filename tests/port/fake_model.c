/*
 * A three-layer stand-in model for the port tests: y = x * 2 + 1 (float), q = int8(y[0]), int8(y[1]),
 * runs so far. The run counter lets a test see that a retried RUN was answered from the cache.
 * Built with -DFAKE_FAULT, run() jumps to an unmapped address to exercise the fault handler.
 */
#include <stdint.h>

#include "model.h"

static const mlc_tensor_info_t inputs[1] = {
    {"x", 2, {1, 8}, MLC_DTYPE_F32, 8, 0.0f, 0},
};
static const mlc_tensor_info_t outputs[2] = {
    {"y", 2, {1, 8}, MLC_DTYPE_F32, 8, 0.0f, 0},
    {"q", 1, {3}, MLC_DTYPE_S8, 3, 0.5f, -3},
};
static const char *const layer_names[3] = {"mul", "add", "quant"};
static uint32_t runs;

static int fake_run(const void *const *in, void *const *out, void *arena, mlc_layer_cb_t cb, void *ctx) {
    const float *x = in[0];
    float *tmp = arena, *y = out[0];
    int8_t *q = out[1];
#ifdef FAKE_FAULT
    ((void (*)(void))0xFFFFFFF0u)();
#endif
    for (int i = 0; i < 8; i++) {
        tmp[i] = x[i] * 2.0f;
    }
    if (cb) cb(0, ctx);
    for (int i = 0; i < 8; i++) {
        y[i] = tmp[i] + 1.0f;
    }
    if (cb) cb(1, ctx);
    q[0] = (int8_t)y[0];
    q[1] = (int8_t)y[1];
    q[2] = (int8_t)++runs;
    if (cb) cb(2, ctx);
    return 0;
}

const mlc_model_t mlc_fake_model = {
    "fake", "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef", 32, 1, 2, inputs, outputs,
    3, layer_names, fake_run,
};
