/* Private helpers shared by the recurrent kernels (lstm_f32.c, gru_f32.c). */
#ifndef MLC_RECURRENT_UTIL_H
#define MLC_RECURRENT_UTIL_H

#include <stdint.h>

static inline float clip_value(float v, float c)
{
    if (c > 0.0f) {
        if (v < -c) return -c;
        if (v > c) return c;
    }
    return v;
}

/* Element offsets of the row (t, n) of x, (d, n) of a state and (t, d, n) of y, in layout 0
 * (sequence-major) or layout 1 (batch-major). */
static inline int32_t x_row(int32_t layout, int32_t seq, int32_t batch, int32_t t, int32_t n)
{
    return layout ? n * seq + t : t * batch + n;
}

static inline int32_t state_row(int32_t layout, int32_t dirs, int32_t batch, int32_t d, int32_t n)
{
    return layout ? n * dirs + d : d * batch + n;
}

static inline int32_t y_row(int32_t layout, int32_t seq, int32_t dirs, int32_t batch, int32_t t, int32_t d, int32_t n)
{
    return layout ? (n * seq + t) * dirs + d : (t * dirs + d) * batch + n;
}

#endif /* MLC_RECURRENT_UTIL_H */
