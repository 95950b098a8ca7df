/*
 * Raspberry Pi RP2040 (Pico), compile-only here: see boards/README.md for what a real flash needs
 * (the pico-sdk boot2 stage in the first 256 bytes of flash).
 * Starts the 12 MHz crystal, runs clk_ref/clk_sys/clk_peri from it, UART0 (PL011) on GPIO0/GPIO1 and
 * the 1 MHz system TIMER as the counter (microseconds; the Cortex-M0+ has no DWT cycle counter).
 * Macros: MLC_UART_BASE (UART0 0x40034000), MLC_COUNTER_ADDR (TIMERAWL 0x40054028),
 * MLC_UART_TX_PIN, MLC_UART_RX_PIN.
 */
#include <stdint.h>

#include "mlc/port.h"

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define REG_CLR(addr) REG((addr) + 0x3000u) /* atomic bit-clear alias */

#define RESETS_RESET 0x4000C000u
#define RESETS_DONE 0x4000C008u
#define RESET_IO_BANK0 (1u << 5)
#define RESET_PADS_BANK0 (1u << 8)
#define RESET_TIMER (1u << 21)
#define RESET_UART0 (1u << 22)

#define XOSC_CTRL 0x40024000u
#define XOSC_STATUS 0x40024004u
#define XOSC_STARTUP 0x4002400Cu
#define CLK_REF_CTRL 0x40008030u
#define CLK_REF_SELECTED 0x40008038u
#define CLK_SYS_CTRL 0x4000803Cu
#define CLK_PERI_CTRL 0x40008048u
#define WATCHDOG_TICK 0x4005802Cu
#define IO_BANK0_CTRL(pin) (0x40014004u + 8u * (pin))

#define UART(off) REG((MLC_UART_BASE) + (off))
#define UART_DR UART(0x000)
#define UART_FR UART(0x018)
#define UART_IBRD UART(0x024)
#define UART_FBRD UART(0x028)
#define UART_LCR_H UART(0x02C)
#define UART_CR UART(0x030)
#define FR_BUSY (1u << 3)
#define FR_RXFE (1u << 4)
#define FR_TXFF (1u << 5)

static void clocks_from_xosc(void) {
    REG(XOSC_CTRL) = 0xAA0u;            /* FREQ_RANGE 1-15 MHz */
    REG(XOSC_STARTUP) = 47u;            /* ~1 ms at 12 MHz */
    REG(XOSC_CTRL) |= 0xFABu << 12;     /* ENABLE */
    while (!(REG(XOSC_STATUS) & (1u << 31))) {
    }
    REG(CLK_REF_CTRL) = 2u;             /* clk_ref <- xosc */
    while (!(REG(CLK_REF_SELECTED) & (1u << 2))) {
    }
    REG(CLK_SYS_CTRL) = 0u;             /* clk_sys <- clk_ref (12 MHz) */
    REG(CLK_PERI_CTRL) = 1u << 11;      /* clk_peri <- clk_sys, enabled */
    REG(WATCHDOG_TICK) = (1u << 9) | 12u; /* 1 us ticks for the TIMER */
}

void mlc_port_init(void) {
    clocks_from_xosc();
    uint32_t blocks = RESET_IO_BANK0 | RESET_PADS_BANK0 | RESET_TIMER | RESET_UART0;
    REG_CLR(RESETS_RESET) = blocks;
    while ((REG(RESETS_DONE) & blocks) != blocks) {
    }
    REG(IO_BANK0_CTRL(MLC_UART_TX_PIN)) = 2u; /* FUNCSEL UART */
    REG(IO_BANK0_CTRL(MLC_UART_RX_PIN)) = 2u;
    UART_IBRD = 6u; /* 12 MHz / (16 * 115200) = 6.51 */
    UART_FBRD = 33u;
    UART_LCR_H = (3u << 5) | (1u << 4); /* 8 bit, FIFOs on */
    UART_CR = (1u << 0) | (1u << 8) | (1u << 9); /* UARTEN, TXE, RXE */
}

void mlc_port_putc(uint8_t c) {
    while (UART_FR & FR_TXFF) {
    }
    UART_DR = c;
}

int mlc_port_getc(void) {
    while (UART_FR & FR_RXFE) {
    }
    return (int)(UART_DR & 0xFFu);
}

void mlc_port_flush(void) {
    while (UART_FR & FR_BUSY) {
    }
}

uint32_t mlc_port_counter_read(void) { return REG(MLC_COUNTER_ADDR); }
