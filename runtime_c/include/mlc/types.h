/**
 * @file types.h
 * @brief Status codes, limits and the model descriptor shared by generated code, kernels and mains.
 */
#ifndef MLC_TYPES_H
#define MLC_TYPES_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define MLC_MAX_DIMS 6

/** Kernel and model status codes. */
#define MLC_OK 0
#define MLC_EINVAL -1     /**< invalid argument or out-of-range index at run time */
#define MLC_EUNSUPPORTED -2

/**
 * Element types of model inputs and outputs. S64, S32, S16, U16, U8 and BOOL (one byte, 0 or 1) tensors
 * are converted to and from float32 at the model boundary: inside, the arena holds every run-time tensor as
 * float32 (S8 is a quantized int8 tensor).
 */
typedef enum {
    MLC_DTYPE_F32 = 0,
    MLC_DTYPE_S8 = 1,
    MLC_DTYPE_U8 = 2,
    MLC_DTYPE_S32 = 3,
    MLC_DTYPE_S64 = 4,
    MLC_DTYPE_BOOL = 5,
    MLC_DTYPE_S16 = 6,
    MLC_DTYPE_U16 = 7
} mlc_dtype_t;

/** Bytes per element of an mlc_dtype_t. */
#define MLC_DTYPE_BYTES(d)                                                      \
    ((d) == MLC_DTYPE_S64                             ? 8u                       \
     : ((d) == MLC_DTYPE_F32 || (d) == MLC_DTYPE_S32) ? 4u                       \
     : ((d) == MLC_DTYPE_S16 || (d) == MLC_DTYPE_U16) ? 2u                       \
                                                      : 1u)

/** One model input or output: name, shape, element type; int8 tensors carry scale and zero point. */
typedef struct {
    const char *name;
    int32_t rank;
    int32_t dims[MLC_MAX_DIMS];
    int32_t dtype;
    int32_t size;        /**< number of elements */
    float scale;         /**< quantized tensors only; 0 for float */
    int32_t zero_point;
} mlc_tensor_info_t;

/** Called after each layer when profiling; `layer` counts from 0. */
typedef void (*mlc_layer_cb_t)(int32_t layer, void *ctx);

/**
 * Everything a generic main (host runner, device protocol loop) needs to drive one generated model.
 * run(): inputs[i] / outputs[i] point to dense buffers of inputs[i].size / outputs[i].size elements;
 * arena points to arena_size bytes aligned to 16. cb may be NULL.
 */
typedef struct {
    const char *name;
    const char *sha256;  /**< hex digest of the ONNX file */
    uint32_t arena_size;
    int32_t num_inputs;
    int32_t num_outputs;
    const mlc_tensor_info_t *inputs;
    const mlc_tensor_info_t *outputs;
    int32_t num_layers;
    const char *const *layer_names;
    int (*run)(const void *const *inputs, void *const *outputs, void *arena, mlc_layer_cb_t cb, void *ctx);
} mlc_model_t;

#ifdef __cplusplus
}
#endif

#endif /* MLC_TYPES_H */
