/**
 * @file port.h
 * @brief Board port API: the few things the device protocol loop needs from a board.
 *
 * Each family under runtime_c/port/<family>/ implements these on top of the shared startup in
 * runtime_c/port/common/. Base addresses and options come in as -D macros listed in boards/README.md.
 */
#ifndef MLC_PORT_H
#define MLC_PORT_H

#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/** Counter kinds reported by HELLO (MLC_COUNTER_KIND comes from the board file). */
#define MLC_COUNTER_NONE 0
#define MLC_COUNTER_FPGAIO_ICOUNT 1  /**< MPS2/MPS3 FPGAIO counter under QEMU -icount */
#define MLC_COUNTER_CPU_CYCLES 2     /**< DWT->CYCCNT on real hardware */
#define MLC_COUNTER_OTHER_TICKS 3    /**< a board timer; its unit is in the board file */

#ifndef MLC_COUNTER_KIND
#define MLC_COUNTER_KIND MLC_COUNTER_NONE
#endif

/** Exit codes seen by QEMU (semihosting). A fault exits with MLC_EXIT_FAULT_BASE + exception number. */
#define MLC_EXIT_OK 0
#define MLC_EXIT_FAULT_BASE 64

/** Clocks, UART and counter; called once from main before anything else. */
void mlc_port_init(void);

/** Sends one byte; blocks until the UART accepted it. */
void mlc_port_putc(uint8_t c);

/** Receives one byte; blocks until one arrives. Returns 0..255. */
int mlc_port_getc(void);

/** Raw free-running counter; differences are taken modulo 2^32. */
uint32_t mlc_port_counter_read(void);

/** Waits until the UART sent everything it holds. */
void mlc_port_flush(void);

/** Ends the program: SYS_EXIT_EXTENDED under semihosting (MLC_PORT_SEMIHOSTING=1), else loops forever. */
void mlc_port_exit(int code) __attribute__((noreturn));

/** Writes a NUL-terminated diagnostic to the debugger console (semihosting SYS_WRITE0); no-op without it. */
void mlc_port_debug_write(const char *text);

#ifdef __cplusplus
}
#endif

#endif /* MLC_PORT_H */
