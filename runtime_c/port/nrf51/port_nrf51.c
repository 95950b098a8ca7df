/*
 * nRF51822 (BBC micro:bit, QEMU "microbit"): legacy UART and TIMER0 as the counter.
 * TIMER0 runs 32-bit at 16 MHz (prescaler 0); under QEMU -icount shift=6 that is 1.024 ticks per
 * instruction, on the real chip one tick per CPU clock (the nRF51 core runs at 16 MHz).
 * Macros: MLC_UART_BASE, MLC_UART_TX_PIN, MLC_UART_RX_PIN, MLC_COUNTER_BASE (TIMER0 base).
 */
#include <stdint.h>

#include "../common/nrf_uart.h"
#include "mlc/port.h"

#ifndef MLC_COUNTER_BASE
#error "MLC_COUNTER_BASE (nRF TIMER base address) must come from the board file"
#endif

#define TIMER(off) MLC_NRF_REG(MLC_COUNTER_BASE, off)
#define TIMER_START TIMER(0x000)
#define TIMER_CLEAR TIMER(0x00C)
#define TIMER_CAPTURE0 TIMER(0x040)
#define TIMER_MODE TIMER(0x504)
#define TIMER_BITMODE TIMER(0x508)
#define TIMER_PRESCALER TIMER(0x510)
#define TIMER_CC0 TIMER(0x540)

void mlc_port_init(void) {
    mlc_nrf_uart_init();
    TIMER_MODE = 0;      /* timer, not counter */
    TIMER_BITMODE = 3;   /* 32 bit */
    TIMER_PRESCALER = 0; /* 16 MHz */
    TIMER_CLEAR = 1;
    TIMER_START = 1;
}

void mlc_port_putc(uint8_t c) { mlc_nrf_uart_putc(c); }

int mlc_port_getc(void) { return mlc_nrf_uart_getc(); }

void mlc_port_flush(void) {}

/* The counter is not readable directly: CAPTURE copies it into CC[0]. */
uint32_t mlc_port_counter_read(void) {
    TIMER_CAPTURE0 = 1;
    return TIMER_CC0;
}
