/*
 * ARM MPS2/MPS3 FPGA images (AN385, AN386, AN500, AN505, AN547) and their QEMU models:
 * CMSDK APB UART and the FPGAIO free-running counter. Only the addresses differ between images,
 * so they come from the board file: MLC_UART_BASE, MLC_COUNTER_ADDR (FPGAIO base + 0x18).
 */
#include <stdint.h>

#include "mlc/port.h"

#ifndef MLC_UART_BASE
#error "MLC_UART_BASE (CMSDK UART base address) must come from the board file"
#endif
#ifndef MLC_COUNTER_ADDR
#error "MLC_COUNTER_ADDR (FPGAIO COUNTER register address) must come from the board file"
#endif
/* 25 MHz / 115200 on the FPGA; QEMU accepts any value >= 16. */
#ifndef MLC_UART_BAUDDIV
#define MLC_UART_BAUDDIV 217u
#endif

#define UART_REG(off) (*(volatile uint32_t *)((uintptr_t)(MLC_UART_BASE) + (off)))
#define UART_DATA UART_REG(0x0)
#define UART_STATE UART_REG(0x4)
#define UART_CTRL UART_REG(0x8)
#define UART_BAUDDIV UART_REG(0x10)
#define STATE_TX_FULL 0x1u
#define STATE_RX_FULL 0x2u

void mlc_port_init(void) {
    UART_BAUDDIV = MLC_UART_BAUDDIV;
    UART_CTRL = 0x3u; /* TX and RX enable, no interrupts */
    /* A byte that reached QEMU before the receiver was enabled is only noticed when the data register
       is read; without this read the first frame of a session can wait about a second. */
    (void)UART_DATA;
}

void mlc_port_putc(uint8_t c) {
    while (UART_STATE & STATE_TX_FULL) {
    }
    UART_DATA = c;
}

int mlc_port_getc(void) {
    while (!(UART_STATE & STATE_RX_FULL)) {
    }
    return (int)(UART_DATA & 0xFFu);
}

void mlc_port_flush(void) {
    while (UART_STATE & STATE_TX_FULL) {
    }
}

uint32_t mlc_port_counter_read(void) { return *(volatile uint32_t *)(uintptr_t)(MLC_COUNTER_ADDR); }
