/*
 * nRF52840 (nRF52840-DK): legacy UART on the J-Link virtual COM port and DWT->CYCCNT (64 MHz CPU cycles).
 * Macros: MLC_UART_BASE, MLC_UART_TX_PIN, MLC_UART_RX_PIN.
 */
#include <stdint.h>

#include "../common/dwt.h"
#include "../common/nrf_uart.h"
#include "mlc/port.h"

void mlc_port_init(void) {
    mlc_nrf_uart_init();
    mlc_dwt_init();
}

void mlc_port_putc(uint8_t c) { mlc_nrf_uart_putc(c); }

int mlc_port_getc(void) { return mlc_nrf_uart_getc(); }

void mlc_port_flush(void) {}

uint32_t mlc_port_counter_read(void) { return mlc_dwt_read(); }
