/*
 * nRF51/nRF52 legacy UART (same register layout on both; QEMU's microbit models the nRF51 one).
 * Header-only, shared by the nrf51 and nrf52 families.
 * Needs MLC_UART_BASE, MLC_UART_TX_PIN, MLC_UART_RX_PIN; MLC_UART_BAUD_REG defaults to 115200 baud.
 */
#ifndef MLC_PORT_NRF_UART_H
#define MLC_PORT_NRF_UART_H

#include <stdint.h>

#ifndef MLC_UART_BAUD_REG
#define MLC_UART_BAUD_REG 0x01D7E000u /* 115200 baud */
#endif

#define MLC_NRF_REG(base, off) (*(volatile uint32_t *)((uintptr_t)(base) + (off)))
#define MLC_NRF_UART(off) MLC_NRF_REG(MLC_UART_BASE, off)
#define MLC_NRF_GPIO(off) MLC_NRF_REG(0x50000000u, off)

static inline void mlc_nrf_uart_init(void) {
    /* TX must idle high as a GPIO output before the UART takes the pin over. */
    MLC_NRF_GPIO(0x508) = 1u << MLC_UART_TX_PIN; /* OUTSET */
    MLC_NRF_GPIO(0x518) = 1u << MLC_UART_TX_PIN; /* DIRSET */
    MLC_NRF_UART(0x50C) = MLC_UART_TX_PIN;       /* PSELTXD */
    MLC_NRF_UART(0x514) = MLC_UART_RX_PIN;       /* PSELRXD */
    MLC_NRF_UART(0x524) = MLC_UART_BAUD_REG;     /* BAUDRATE */
    MLC_NRF_UART(0x500) = 4;                     /* ENABLE */
    MLC_NRF_UART(0x11C) = 0;                     /* EVENTS_TXDRDY */
    MLC_NRF_UART(0x108) = 0;                     /* EVENTS_RXDRDY */
    MLC_NRF_UART(0x008) = 1;                     /* TASKS_STARTTX */
    MLC_NRF_UART(0x000) = 1;                     /* TASKS_STARTRX */
}

static inline void mlc_nrf_uart_putc(uint8_t c) {
    MLC_NRF_UART(0x51C) = c; /* TXD */
    while (MLC_NRF_UART(0x11C) == 0) {
    }
    MLC_NRF_UART(0x11C) = 0;
}

static inline int mlc_nrf_uart_getc(void) {
    while (MLC_NRF_UART(0x108) == 0) {
    }
    MLC_NRF_UART(0x108) = 0; /* clear before reading RXD so the next byte's event is not lost */
    return (int)(MLC_NRF_UART(0x518) & 0xFFu);
}

#endif /* MLC_PORT_NRF_UART_H */
