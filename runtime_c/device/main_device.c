/*
 * On-device protocol loop (protocol version 1): receives COBS frames over the port UART, runs the
 * model named by mlc_app_config.h and answers. No malloc: the arena, the tensors and one receive and
 * one response buffer are static. The response buffer doubles as the cache a retried request (same
 * seq and cmd) is answered from, so a retried RUN never runs twice.
 *
 * Frame (COBS-encoded, ends with 0x00): version u8 = 1 | cmd u8 | seq u8 | len u16 | data[len] | crc32 u32,
 * all little-endian, CRC-32 (zlib) over everything before it. A reply has cmd | 0x80, the same seq and
 * data[0] = status (0 ok, 1 bad frame, 2 unknown command, 3 bad argument, 4 model run failed).
 * A bad CRC, length, version or COBS gets NAK: cmd 0xFF, seq 0, data [1].
 *   0x01 HELLO        -> version u8, max_data u16, counter_kind u8, then the INFO payload
 *   0x02 INFO         -> name, sha256[16], arena u32, n_in u8, n_out u8, tensors (dtype, rank, dims, scale,
 *                        zero_point, name); names are u8 length + bytes, cut evenly if too long
 *   0x03 WRITE_INPUT  index u8, offset u32, bytes -> status
 *   0x04 RUN          -> model_return i32, ticks u32
 *   0x05 READ_OUTPUT  index u8, offset u32, length u16 -> bytes
 *   0x06 PROFILE      [first u16] -> num_layers u16, ticks u32 per layer from `first`, as many as fit
 *   0x07 EXIT         -> status, then the program exits with code 0
 */
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "mlc/frame.h"
#include "mlc/port.h"
#include "mlc/types.h"
#include "mlc_app_config.h"

#ifndef MLC_PROTO_MAX_DATA
#define MLC_PROTO_MAX_DATA 512u /* boards with little RAM lower it; HELLO tells the host */
#endif
#ifndef MLC_MAX_IO
#define MLC_MAX_IO 8 /* most model inputs (and outputs) this loop can drive */
#endif
#if MLC_PROTO_MAX_DATA < 64 || MLC_PROTO_MAX_DATA > 65535
#error "MLC_PROTO_MAX_DATA must be 64..65535"
#endif

#define PROTO_VERSION 1u
#define HEADER_BYTES 5u /* version, cmd, seq, len u16 */
#define CRC_BYTES 4u
#define FRAME_MAX (HEADER_BYTES + MLC_PROTO_MAX_DATA + CRC_BYTES)

enum { CMD_HELLO = 0x01, CMD_INFO, CMD_WRITE_INPUT, CMD_RUN, CMD_READ_OUTPUT, CMD_PROFILE, CMD_EXIT };
#define CMD_NAK 0xFFu
#define CMD_REPLY 0x80u
enum { ST_OK = 0, ST_BAD_FRAME = 1, ST_UNKNOWN_CMD = 2, ST_BAD_ARG = 3, ST_RUN_FAILED = 4 };

static uint8_t arena[MLC_ARENA_SIZE > 0 ? MLC_ARENA_SIZE : 1] __attribute__((aligned(16)));
/* Each tensor starts 4-aligned, hence the slack of up to 3 bytes per tensor. */
static uint32_t input_words[(MLC_INPUT_BYTES + 3u * MLC_MAX_IO) / 4u + 1u];
static uint32_t output_words[(MLC_OUTPUT_BYTES + 3u * MLC_MAX_IO) / 4u + 1u];
static const void *input_ptrs[MLC_MAX_IO];
static void *output_ptrs[MLC_MAX_IO];
static bool io_ready;

static uint8_t rx_buf[MLC_COBS_MAX_ENCODED(FRAME_MAX)];
static uint8_t tx_buf[FRAME_MAX]; /* last response, decoded */
static size_t tx_len;
static bool have_cached;

/* Bounded little-endian writer over the data part of tx_buf; `ok` drops to false on overflow. */
typedef struct {
    uint8_t *buf;
    uint32_t len;
    uint32_t cap;
    bool ok;
} writer_t;

static void put_u8(writer_t *w, uint32_t v) {
    if (w->len < w->cap) {
        w->buf[w->len++] = (uint8_t)v;
    } else {
        w->ok = false;
    }
}

static void put_u16(writer_t *w, uint32_t v) {
    put_u8(w, v);
    put_u8(w, v >> 8);
}

static void put_u32(writer_t *w, uint32_t v) {
    put_u16(w, v);
    put_u16(w, v >> 16);
}

static void put_bytes(writer_t *w, const void *src, uint32_t n) {
    const uint8_t *p = src;
    for (uint32_t i = 0; i < n; i++) {
        put_u8(w, p[i]);
    }
}

static uint32_t get_u16(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8; }

static uint32_t get_u32(const uint8_t *p) { return get_u16(p) | get_u16(p + 2) << 16; }

static uint32_t dtype_bytes(int32_t dtype) {
    return MLC_DTYPE_BYTES(dtype);
}

static uint32_t tensor_bytes(const mlc_tensor_info_t *t) { return (uint32_t)t->size * dtype_bytes(t->dtype); }

/* Lays the tensors out 4-aligned in their static buffers; false if the model does not fit them. */
static bool layout(const mlc_tensor_info_t *infos, int32_t count, uint8_t *base, uint32_t cap, void **ptrs) {
    if (count < 0 || count > MLC_MAX_IO) {
        return false;
    }
    uint32_t offset = 0;
    for (int32_t i = 0; i < count; i++) {
        uint32_t bytes = tensor_bytes(&infos[i]);
        if (bytes > cap - offset) {
            return false;
        }
        ptrs[i] = base + offset;
        offset = (offset + bytes + 3u) & ~3u;
        if (offset > cap) {
            offset = cap;
        }
    }
    return true;
}

static void setup_io(void) {
    void *inputs[MLC_MAX_IO];
    io_ready = MLC_MODEL.arena_size <= sizeof arena &&
               layout(MLC_MODEL.inputs, MLC_MODEL.num_inputs, (uint8_t *)input_words, sizeof input_words, inputs) &&
               layout(MLC_MODEL.outputs, MLC_MODEL.num_outputs, (uint8_t *)output_words, sizeof output_words,
                      output_ptrs);
    for (int32_t i = 0; io_ready && i < MLC_MODEL.num_inputs; i++) {
        input_ptrs[i] = inputs[i];
    }
}

/* noipa: GCC must treat the model as an unknown call, so it cannot move it across the counter reads. */
__attribute__((noipa)) static int run_model(mlc_layer_cb_t cb, void *ctx) {
    return MLC_MODEL.run(input_ptrs, output_ptrs, arena, cb, ctx);
}

/* ---- INFO ---------------------------------------------------------------------------------- */

static uint32_t name_length(const char *name) { return name ? (uint32_t)strlen(name) : 0u; }

static void put_name(writer_t *w, const char *name, uint32_t limit) {
    uint32_t n = name_length(name);
    n = n < limit ? n : limit;
    put_u8(w, n);
    put_bytes(w, name, n);
}

static int32_t clamped_rank(const mlc_tensor_info_t *t) {
    return t->rank < 0 ? 0 : (t->rank > MLC_MAX_DIMS ? MLC_MAX_DIMS : t->rank);
}

static void put_tensor(writer_t *w, const mlc_tensor_info_t *t, uint32_t name_limit) {
    int32_t rank = clamped_rank(t);
    uint32_t scale_bits;
    memcpy(&scale_bits, &t->scale, sizeof scale_bits);
    put_u8(w, (uint32_t)t->dtype);
    put_u8(w, (uint32_t)rank);
    for (int32_t d = 0; d < rank; d++) {
        put_u32(w, (uint32_t)t->dims[d]);
    }
    put_u32(w, scale_bits);
    put_u32(w, (uint32_t)t->zero_point);
    put_name(w, t->name, name_limit);
}

/* INFO payload after the status byte. Names are cut evenly when everything would not fit. */
static bool put_info(writer_t *w) {
    const mlc_model_t *m = &MLC_MODEL;
    int32_t tensors = m->num_inputs + m->num_outputs;
    uint32_t fixed = 1u + 16u + 4u + 1u + 1u, names = name_length(m->name);
    for (int32_t i = 0; i < tensors; i++) {
        const mlc_tensor_info_t *t = i < m->num_inputs ? &m->inputs[i] : &m->outputs[i - m->num_inputs];
        fixed += 1u + 1u + 4u * (uint32_t)clamped_rank(t) + 4u + 4u + 1u;
        names += name_length(t->name);
    }
    uint32_t room = w->cap - w->len;
    if (fixed > room) {
        return false;
    }
    uint32_t limit = names <= room - fixed ? 255u : (room - fixed) / (uint32_t)(tensors + 1);
    put_name(w, m->name, limit);
    const char *sha = m->sha256 ? m->sha256 : "";
    uint32_t sha_len = name_length(sha);
    for (uint32_t i = 0; i < 16u; i++) {
        put_u8(w, i < sha_len ? (uint8_t)sha[i] : '0'); /* hex prefix, '0'-padded if short */
    }
    put_u32(w, m->arena_size);
    put_u8(w, (uint32_t)m->num_inputs);
    put_u8(w, (uint32_t)m->num_outputs);
    for (int32_t i = 0; i < m->num_inputs; i++) {
        put_tensor(w, &m->inputs[i], limit);
    }
    for (int32_t i = 0; i < m->num_outputs; i++) {
        put_tensor(w, &m->outputs[i], limit);
    }
    return w->ok;
}

/* ---- commands ------------------------------------------------------------------------------ */

/*
 * Counter values to elapsed counts. Under QEMU -icount every instruction advances virtual time by a
 * fixed step longer than one counter tick, so every counter value C belongs to exactly one instruction
 * index k = ceil(C * NUM / DEN), with NUM / DEN = tick length / instruction length (board defines
 * MLC_ICOUNT_NUM and MLC_ICOUNT_DEN, counter kind 4). Converting both ends before subtracting gives the
 * exact instruction count, whatever the phase of the counter when the run started; a plain tick
 * difference would vary by one tick from run to run. One wrap of the 32-bit counter is handled.
 */
static uint32_t elapsed(uint32_t start, uint32_t stop) {
#if defined(MLC_ICOUNT_NUM) && defined(MLC_ICOUNT_DEN)
    uint64_t end = stop >= start ? (uint64_t)stop : (uint64_t)stop + 0x100000000ull;
    uint64_t k0 = ((uint64_t)start * MLC_ICOUNT_NUM + (MLC_ICOUNT_DEN - 1u)) / MLC_ICOUNT_DEN;
    uint64_t k1 = (end * MLC_ICOUNT_NUM + (MLC_ICOUNT_DEN - 1u)) / MLC_ICOUNT_DEN;
    return (uint32_t)(k1 - k0);
#else
    return stop - start;
#endif
}

typedef struct {
    uint32_t last;
    uint32_t first;
    uint32_t count;
    uint8_t *out;
} profile_t;

/* Ticks of each layer in the requested window go straight into the response buffer. */
static void on_layer(int32_t layer, void *ctx) {
    uint32_t now = mlc_port_counter_read();
    profile_t *p = ctx;
    uint32_t slot = (uint32_t)layer - p->first;
    if (layer >= 0 && (uint32_t)layer >= p->first && slot < p->count) {
        uint32_t ticks = elapsed(p->last, now);
        p->out[4u * slot + 0u] = (uint8_t)ticks;
        p->out[4u * slot + 1u] = (uint8_t)(ticks >> 8);
        p->out[4u * slot + 2u] = (uint8_t)(ticks >> 16);
        p->out[4u * slot + 3u] = (uint8_t)(ticks >> 24);
    }
    p->last = mlc_port_counter_read(); /* leave the callback's own work out of the next layer */
}

static uint8_t cmd_profile(const uint8_t *data, uint32_t len, writer_t *w) {
    uint32_t first = len >= 2u ? get_u16(data) : 0u;
    uint32_t layers = MLC_MODEL.num_layers > 0 ? (uint32_t)MLC_MODEL.num_layers : 0u;
    if ((len != 0u && len != 2u) || first > layers) {
        return ST_BAD_ARG;
    }
    uint32_t fit = (w->cap - 3u) / 4u;
    profile_t p = {0, first, layers - first < fit ? layers - first : fit, w->buf + 3};
    w->len = 3u + 4u * p.count; /* status and num_layers are filled in below */
    memset(p.out, 0, 4u * p.count); /* layers the model never reports read as 0 */
    p.last = mlc_port_counter_read();
    int rc = run_model(on_layer, &p);
    w->buf[1] = (uint8_t)layers;
    w->buf[2] = (uint8_t)(layers >> 8);
    return rc == 0 ? ST_OK : ST_RUN_FAILED;
}

static uint8_t cmd_run(writer_t *w) {
    uint32_t start = mlc_port_counter_read();
    int rc = run_model(0, 0);
    uint32_t stop = mlc_port_counter_read();
    put_u32(w, (uint32_t)rc);
    put_u32(w, elapsed(start, stop));
    return rc == 0 ? ST_OK : ST_RUN_FAILED;
}

static uint8_t cmd_write_input(const uint8_t *data, uint32_t len) {
    if (len < 5u || data[0] >= (uint32_t)MLC_MODEL.num_inputs) {
        return ST_BAD_ARG;
    }
    uint32_t offset = get_u32(data + 1), n = len - 5u, size = tensor_bytes(&MLC_MODEL.inputs[data[0]]);
    if (offset > size || n > size - offset) {
        return ST_BAD_ARG;
    }
    memcpy((uint8_t *)(uintptr_t)input_ptrs[data[0]] + offset, data + 5, n);
    return ST_OK;
}

static uint8_t cmd_read_output(const uint8_t *data, uint32_t len, writer_t *w) {
    if (len != 7u || data[0] >= (uint32_t)MLC_MODEL.num_outputs) {
        return ST_BAD_ARG;
    }
    uint32_t offset = get_u32(data + 1), n = get_u16(data + 5), size = tensor_bytes(&MLC_MODEL.outputs[data[0]]);
    if (offset > size || n > size - offset || n > w->cap - w->len) {
        return ST_BAD_ARG;
    }
    put_bytes(w, (const uint8_t *)output_ptrs[data[0]] + offset, n);
    return ST_OK;
}

/* Runs one command; writes the status at data[0] and the payload after it. */
static void execute(uint8_t cmd, const uint8_t *data, uint32_t len, writer_t *w) {
    uint8_t status;
    w->len = 1u;
    bool needs_model = cmd >= CMD_WRITE_INPUT && cmd <= CMD_PROFILE;
    if (needs_model && !io_ready) {
        status = ST_BAD_ARG; /* the model's tensors exceed MLC_MAX_IO or the static buffers */
    } else if (cmd == CMD_HELLO || cmd == CMD_INFO) {
        if (cmd == CMD_HELLO) {
            put_u8(w, PROTO_VERSION);
            put_u16(w, MLC_PROTO_MAX_DATA);
            put_u8(w, MLC_COUNTER_KIND);
        }
        status = put_info(w) ? ST_OK : ST_BAD_ARG;
    } else if (cmd == CMD_WRITE_INPUT) {
        status = cmd_write_input(data, len);
    } else if (cmd == CMD_RUN) {
        status = cmd_run(w);
    } else if (cmd == CMD_READ_OUTPUT) {
        status = cmd_read_output(data, len, w);
    } else if (cmd == CMD_PROFILE) {
        status = cmd_profile(data, len, w);
    } else if (cmd == CMD_EXIT) {
        status = ST_OK;
    } else {
        status = ST_UNKNOWN_CMD;
    }
    if (status != ST_OK && cmd != CMD_RUN && cmd != CMD_PROFILE) {
        w->len = 1u; /* errors carry only the status, except RUN/PROFILE which report the model's code */
    }
    w->buf[0] = status;
}

/* ---- framing ------------------------------------------------------------------------------- */

static void put_port(uint8_t c) { mlc_port_putc(c); }

/* Fills header and CRC around `data_len` bytes already at frame + HEADER_BYTES, then sends it. */
static size_t seal_and_send(uint8_t *frame, uint8_t cmd, uint8_t seq, uint32_t data_len) {
    frame[0] = PROTO_VERSION;
    frame[1] = cmd;
    frame[2] = seq;
    frame[3] = (uint8_t)data_len;
    frame[4] = (uint8_t)(data_len >> 8);
    uint32_t crc = mlc_crc32(0, frame, HEADER_BYTES + data_len);
    for (uint32_t i = 0; i < 4u; i++) {
        frame[HEADER_BYTES + data_len + i] = (uint8_t)(crc >> (8u * i));
    }
    size_t total = HEADER_BYTES + data_len + CRC_BYTES;
    mlc_cobs_encode(frame, total, put_port);
    return total;
}

/* NAK from its own small buffer so the cached last response survives a garbled retry. */
static void send_nak(void) {
    uint8_t nak[HEADER_BYTES + 1u + CRC_BYTES];
    nak[HEADER_BYTES] = ST_BAD_FRAME;
    seal_and_send(nak, CMD_NAK, 0, 1u);
}

/* Collects bytes up to the 0x00 delimiter. Returns the encoded length, or MLC_COBS_ERROR if too long. */
static size_t receive_frame(void) {
    size_t n = 0;
    bool overflow = false;
    for (;;) {
        int c = mlc_port_getc();
        if (c == 0) {
            return overflow ? MLC_COBS_ERROR : n;
        }
        if (n < sizeof rx_buf) {
            rx_buf[n++] = (uint8_t)c;
        } else {
            overflow = true;
        }
    }
}

static void serve_one(void) {
    size_t n = receive_frame();
    if (n == 0) {
        return; /* a lone delimiter: the host resynchronising */
    }
    if (n != MLC_COBS_ERROR) {
        n = mlc_cobs_decode(rx_buf, n);
    }
    uint32_t len = n != MLC_COBS_ERROR && n >= HEADER_BYTES ? get_u16(rx_buf + 3) : 0u;
    if (n == MLC_COBS_ERROR || n < HEADER_BYTES + CRC_BYTES || rx_buf[0] != PROTO_VERSION ||
        len > MLC_PROTO_MAX_DATA || n != HEADER_BYTES + len + CRC_BYTES ||
        mlc_crc32(0, rx_buf, HEADER_BYTES + len) != get_u32(rx_buf + HEADER_BYTES + len)) {
        send_nak();
        return;
    }
    uint8_t cmd = rx_buf[1], seq = rx_buf[2];
    if (have_cached && tx_buf[1] == (cmd | CMD_REPLY) && tx_buf[2] == seq) {
        mlc_cobs_encode(tx_buf, tx_len, put_port); /* a retry: answer again, do not execute again */
        return;
    }
    writer_t w = {tx_buf + HEADER_BYTES, 0, MLC_PROTO_MAX_DATA, true};
    execute(cmd, rx_buf + HEADER_BYTES, len, &w);
    tx_len = seal_and_send(tx_buf, (uint8_t)(cmd | CMD_REPLY), seq, w.len);
    have_cached = true;
    if (cmd == CMD_EXIT) {
        mlc_port_exit(MLC_EXIT_OK);
    }
}

int main(void) {
    mlc_port_init();
    setup_io();
    for (;;) {
        serve_one();
    }
}
