/*
 * DWT cycle counter (ARMv7-M / ARMv8-M mainline). Real cores count CPU cycles; QEMU reads 0.
 * Header-only so that families without a DWT (Cortex-M0/M0+) never compile it.
 */
#ifndef MLC_PORT_DWT_H
#define MLC_PORT_DWT_H

#include <stdint.h>

#define MLC_DEMCR (*(volatile uint32_t *)0xE000EDFCu)
#define MLC_DWT_CTRL (*(volatile uint32_t *)0xE0001000u)
#define MLC_DWT_CYCCNT (*(volatile uint32_t *)0xE0001004u)
#define MLC_DWT_LAR (*(volatile uint32_t *)0xE0001FB0u)

static inline void mlc_dwt_init(void) {
    MLC_DEMCR |= 1u << 24;       /* TRCENA: power the DWT */
    MLC_DWT_LAR = 0xC5ACCE55u;   /* unlock; the Cortex-M7 ignores CTRL writes while locked */
    MLC_DWT_CYCCNT = 0;
    MLC_DWT_CTRL |= 1u;          /* CYCCNTENA */
}

static inline uint32_t mlc_dwt_read(void) { return MLC_DWT_CYCCNT; }

#endif /* MLC_PORT_DWT_H */
