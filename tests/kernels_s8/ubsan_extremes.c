/* Run with -fsanitize=undefined: every extreme (x, mult, shift) combination through mlc_requant and
 * mlc_requant_s8; prints a checksum so nothing is optimised away. Any UB report fails the test. */
#include <stdio.h>

#include "mlc/requant.h"

int main(void)
{
    static const int32_t xs[] = {INT32_MIN, INT32_MIN + 1, -1073741824, -65536, -255, -2, -1, 0, 1, 2, 255,
                                 65536, 1073741824, INT32_MAX - 1, INT32_MAX};
    static const int32_t ms[] = {INT32_MIN, -1, 0, 1, 1073741824, 1518500250, INT32_MAX - 1, INT32_MAX};
    uint32_t sum = 0;
    size_t i, j;
    int32_t s;
    for (i = 0; i < sizeof xs / sizeof xs[0]; ++i) {
        for (j = 0; j < sizeof ms / sizeof ms[0]; ++j) {
            for (s = -31; s <= 30; ++s) {
                sum = sum * 31u + (uint32_t)mlc_requant(xs[i], ms[j], s);
                sum = sum * 31u + (uint32_t)mlc_requant_s8(xs[i], ms[j], s, (int32_t)(i % 256) - 128, -128, 127);
                sum = sum * 31u + (uint32_t)mlc_srdhm(xs[i], ms[j]);
                sum = sum * 31u + (uint32_t)mlc_rdbpot(xs[i], s < 0 ? -s : s);
            }
        }
    }
    printf("%lu\n", (unsigned long)sum);
    return 0;
}
