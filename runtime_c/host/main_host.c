/*
 * Host runner: feeds K inferences from a raw input file and writes the raw outputs.
 *
 *   mlc_runner IN.bin OUT.bin [K]
 *
 * IN.bin holds K records, each the model's inputs back to back (dense, native byte order);
 * OUT.bin receives K records of the outputs. Exit status 0 on success, 2 on a usage or I/O error,
 * 4 when the model returns an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mlc_app_config.h"

static size_t elem_bytes(int32_t dtype)
{
    return MLC_DTYPE_BYTES(dtype);
}

static size_t total_bytes(const mlc_tensor_info_t *infos, int32_t n)
{
    size_t sum = 0;
    for (int32_t i = 0; i < n; i++) {
        sum += (size_t)infos[i].size * elem_bytes(infos[i].dtype);
    }
    return sum;
}

int main(int argc, char **argv)
{
    const mlc_model_t *m = &MLC_MODEL;
    if (argc < 3) {
        fprintf(stderr, "usage: %s IN.bin OUT.bin [K]\n", argv[0]);
        return 2;
    }
    long k = argc > 3 ? strtol(argv[3], NULL, 10) : 1;
    size_t in_bytes = total_bytes(m->inputs, m->num_inputs);
    size_t out_bytes = total_bytes(m->outputs, m->num_outputs);
    uint8_t *in = malloc(in_bytes + 1);
    uint8_t *out = malloc(out_bytes + 1);
    /* The arena is over-allocated by 16 bytes so it can be aligned to 16 by hand. */
    uint8_t *arena_raw = malloc(m->arena_size + 16u);
    FILE *fi = fopen(argv[1], "rb");
    FILE *fo = fopen(argv[2], "wb");
    if (k < 1 || in == NULL || out == NULL || arena_raw == NULL || fi == NULL || fo == NULL) {
        fprintf(stderr, "mlc_runner: cannot open files or allocate buffers\n");
        return 2;
    }
    uint8_t *arena = arena_raw + ((16u - ((uintptr_t)arena_raw & 15u)) & 15u);
    const void **inputs = malloc(sizeof(void *) * (size_t)(m->num_inputs + 1));
    void **outputs = malloc(sizeof(void *) * (size_t)(m->num_outputs + 1));
    if (inputs == NULL || outputs == NULL) {
        fprintf(stderr, "mlc_runner: cannot allocate buffers\n");
        return 2;
    }
    size_t off = 0;
    for (int32_t i = 0; i < m->num_inputs; i++) {
        inputs[i] = in + off;
        off += (size_t)m->inputs[i].size * elem_bytes(m->inputs[i].dtype);
    }
    off = 0;
    for (int32_t i = 0; i < m->num_outputs; i++) {
        outputs[i] = out + off;
        off += (size_t)m->outputs[i].size * elem_bytes(m->outputs[i].dtype);
    }
    for (long r = 0; r < k; r++) {
        if (in_bytes > 0 && fread(in, 1, in_bytes, fi) != in_bytes) {
            fprintf(stderr, "mlc_runner: %s holds fewer than %ld input records\n", argv[1], k);
            return 2;
        }
        int rc = m->run(inputs, outputs, arena, NULL, NULL);
        if (rc != MLC_OK) {
            fprintf(stderr, "mlc_runner: model returned %d at record %ld\n", rc, r);
            return 4;
        }
        if (fwrite(out, 1, out_bytes, fo) != out_bytes) {
            fprintf(stderr, "mlc_runner: cannot write %s\n", argv[2]);
            return 2;
        }
    }
    fclose(fi);
    if (fclose(fo) != 0) {
        return 2;
    }
    free(in);
    free(out);
    free(arena_raw);
    free(inputs);
    free(outputs);
    return 0;
}
