/*
 * STM32 (F4, F7, L4 ...): one USART/LPUART on the ST-LINK virtual COM port and DWT->CYCCNT.
 * The core runs from its reset clock (HSI 16 MHz on F4/F7, MSI 4 MHz on L4): cycle counts do not
 * depend on the clock, and the UART divisor in the board file (MLC_UART_BRR) is computed for it.
 * Which USART, pins and clock-enable bits: -D macros from the board file (boards/README.md).
 */
#include <stdint.h>

#include "../common/dwt.h"
#include "mlc/port.h"

#if !defined(MLC_UART_BASE) || !defined(MLC_UART_BRR) || !defined(MLC_UART_RCC_ENR) || \
    !defined(MLC_UART_RCC_BIT) || !defined(MLC_GPIO_BASE) || !defined(MLC_GPIO_RCC_ENR) ||   \
    !defined(MLC_GPIO_RCC_BIT) || !defined(MLC_UART_TX_PIN) || !defined(MLC_UART_RX_PIN) ||  \
    !defined(MLC_UART_AF)
#error "stm32 port: the board file must define the MLC_UART_* and MLC_GPIO_* macros (boards/README.md)"
#endif
#ifndef MLC_STM32_USART_V2
#define MLC_STM32_USART_V2 1 /* ISR/RDR/TDR layout (L4, F7, G4, H7); 0 = SR/DR layout (F1, F2, F4) */
#endif

#define REG(addr) (*(volatile uint32_t *)(uintptr_t)(addr))
#define UART(off) REG((MLC_UART_BASE) + (off))
#define GPIO(off) REG((MLC_GPIO_BASE) + (off))

#if MLC_STM32_USART_V2
#define UART_CR1 UART(0x00)
#define UART_BRR UART(0x0C)
#define UART_STATUS UART(0x1C) /* ISR */
#define UART_ICR UART(0x20)
#define UART_RX UART(0x24) /* RDR */
#define UART_TX UART(0x28) /* TDR */
#define CR1_ENABLE ((1u << 0) | (1u << 2) | (1u << 3)) /* UE, RE, TE */
#else
#define UART_STATUS UART(0x00) /* SR */
#define UART_RX UART(0x04)     /* DR */
#define UART_TX UART(0x04)
#define UART_BRR UART(0x08)
#define UART_CR1 UART(0x0C)
#define CR1_ENABLE ((1u << 13) | (1u << 2) | (1u << 3)) /* UE, RE, TE */
#endif
#define STATUS_ORE (1u << 3)
#define STATUS_RXNE (1u << 5)
#define STATUS_TC (1u << 6)
#define STATUS_TXE (1u << 7)

static void enable_clock(uint32_t enr_addr, uint32_t bit) {
    REG(enr_addr) |= 1u << bit;
    (void)REG(enr_addr); /* read back: the peripheral needs a couple of cycles after its clock starts */
}

static void pin_alternate(uint32_t pin) {
    uint32_t afr = pin < 8 ? 0x20u : 0x24u;
    uint32_t shift = (pin & 7u) * 4u;
    GPIO(afr) = (GPIO(afr) & ~(0xFu << shift)) | ((uint32_t)(MLC_UART_AF) << shift);
    GPIO(0x08) |= 2u << (pin * 2u);                              /* OSPEEDR: high */
    GPIO(0x0C) = (GPIO(0x0C) & ~(3u << (pin * 2u))) | (1u << (pin * 2u)); /* PUPDR: pull-up */
    GPIO(0x00) = (GPIO(0x00) & ~(3u << (pin * 2u))) | (2u << (pin * 2u)); /* MODER: alternate */
}

#if MLC_STM32_CACHES
/* Cortex-M7: invalidate then enable the I- and D-caches (what CMSIS SCB_Enable*Cache do). */
static void enable_caches(void) {
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    REG(0xE000EF50u) = 0; /* ICIALLU */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
    REG(0xE000ED14u) |= 1u << 17; /* CCR.IC */
    REG(0xE000ED84u) = 0;         /* CSSELR: level 1 data cache */
    __asm__ volatile("dsb" ::: "memory");
    uint32_t ccsidr = REG(0xE000ED80u);
    uint32_t ways = (ccsidr >> 3) & 0x3FFu;
    for (uint32_t set = (ccsidr >> 13) & 0x7FFFu;; set--) {
        for (uint32_t way = ways;; way--) {
            REG(0xE000EF60u) = ((set << 5) & 0x3FE0u) | (way << 30); /* DCISW */
            if (way == 0) break;
        }
        if (set == 0) break;
    }
    __asm__ volatile("dsb" ::: "memory");
    REG(0xE000ED14u) |= 1u << 16; /* CCR.DC */
    __asm__ volatile("dsb\n\tisb" ::: "memory");
}
#endif

void mlc_port_init(void) {
#if MLC_STM32_CACHES
    enable_caches();
#endif
#if MLC_STM32_VDDIO2
    /* STM32L4+ port G (LPUART1 on the Nucleo-144) sits on VDDIO2, which is isolated until IOSV is set. */
    enable_clock(0x40021058u, 28); /* RCC_APB1ENR1.PWREN */
    REG(0x40007004u) |= 1u << 9;   /* PWR_CR2.IOSV */
#endif
    enable_clock(MLC_GPIO_RCC_ENR, MLC_GPIO_RCC_BIT);
    enable_clock(MLC_UART_RCC_ENR, MLC_UART_RCC_BIT);
    pin_alternate(MLC_UART_TX_PIN);
    pin_alternate(MLC_UART_RX_PIN);
    UART_CR1 = 0;
    UART_BRR = MLC_UART_BRR;
    UART_CR1 = CR1_ENABLE;
    mlc_dwt_init();
}

void mlc_port_putc(uint8_t c) {
    while (!(UART_STATUS & STATUS_TXE)) {
    }
    UART_TX = c;
}

int mlc_port_getc(void) {
    for (;;) {
        uint32_t status = UART_STATUS;
        if (status & STATUS_RXNE) {
            return (int)(UART_RX & 0xFFu);
        }
        /* An overrun stops reception until cleared; the lost byte shows up as a bad frame (NAK). */
        if (status & STATUS_ORE) {
#if MLC_STM32_USART_V2
            UART_ICR = STATUS_ORE;
#else
            (void)UART_RX;
#endif
        }
    }
}

void mlc_port_flush(void) {
    while (!(UART_STATUS & STATUS_TC)) {
    }
}

uint32_t mlc_port_counter_read(void) { return mlc_dwt_read(); }
