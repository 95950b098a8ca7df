/*
 * Program exit and debug text. Under QEMU (MLC_PORT_SEMIHOSTING=1) these are semihosting calls;
 * on a board without a debugger a BKPT would lock the core, so there they park the CPU instead.
 */
#include <stdint.h>

#include "mlc/port.h"

#ifndef MLC_PORT_SEMIHOSTING
#define MLC_PORT_SEMIHOSTING 0
#endif

#define SYS_WRITE0 0x04u
#define SYS_EXIT_EXTENDED 0x20u
#define ADP_STOPPED_APPLICATION_EXIT 0x20026u

#if MLC_PORT_SEMIHOSTING
static void semihost_call(uint32_t op, const void *arg) {
    register uint32_t r0 __asm__("r0") = op;
    register const void *r1 __asm__("r1") = arg;
    __asm__ volatile("bkpt 0xAB" : "+r"(r0) : "r"(r1) : "memory");
}
#endif

void mlc_port_exit(int code) {
    mlc_port_flush();
#if MLC_PORT_SEMIHOSTING
    const uint32_t block[2] = {ADP_STOPPED_APPLICATION_EXIT, (uint32_t)code};
    semihost_call(SYS_EXIT_EXTENDED, block);
#else
    (void)code;
#endif
    for (;;) {
        __asm__ volatile("wfi");
    }
}

void mlc_port_debug_write(const char *text) {
#if MLC_PORT_SEMIHOSTING
    semihost_call(SYS_WRITE0, text);
#else
    (void)text;
#endif
}
