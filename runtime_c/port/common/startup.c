/*
 * Shared Cortex-M startup: vector table, Reset_Handler and a fault handler, in C.
 * Only the 16 core exceptions are listed: the port polls its UART and enables no interrupt.
 * The section names and symbols match templates/link.ld.j2.
 */
#include <stdint.h>

#include "mlc/port.h"

extern uint32_t __data_start__[], __data_end__[], __data_load__[];
extern uint32_t __bss_start__[], __bss_end__[];
extern uint32_t __ram_start__[], __StackTop[];

extern int main(void);

void Reset_Handler(void);
void mlc_fault_entry(void);
void mlc_fault_report(const uint32_t *frame, uint32_t ipsr);

typedef void (*mlc_vector_t)(void);

/* Word 0 is the initial stack pointer; the core loads it before fetching Reset_Handler. */
__attribute__((section(".isr_vector"), used)) const mlc_vector_t mlc_vector_table[16] = {
    (mlc_vector_t)__StackTop,
    Reset_Handler,
    mlc_fault_entry, /* NMI */
    mlc_fault_entry, /* HardFault */
    mlc_fault_entry, /* MemManage */
    mlc_fault_entry, /* BusFault */
    mlc_fault_entry, /* UsageFault */
    mlc_fault_entry, /* SecureFault (v8-M) */
    0,
    0,
    0,
    mlc_fault_entry, /* SVCall */
    mlc_fault_entry, /* DebugMonitor */
    0,
    mlc_fault_entry, /* PendSV */
    mlc_fault_entry, /* SysTick */
};

void Reset_Handler(void) {
#if defined(__ARM_FP) || defined(__ARM_FEATURE_MVE)
    /* CP10/CP11 full access before any float or MVE instruction, else the first one faults. */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n\tisb" ::: "memory");
#endif
    const uint32_t *src = __data_load__;
    for (uint32_t *dst = __data_start__; dst < __data_end__;) {
        *dst++ = *src++;
    }
    for (uint32_t *dst = __bss_start__; dst < __bss_end__;) {
        *dst++ = 0;
    }
    mlc_port_exit(main());
}

/* Naked so that MSP still points at the stacked frame; ldr/bx reaches any address on ARMv6-M. */
__attribute__((naked)) void mlc_fault_entry(void) {
    __asm__ volatile(
        "mrs r0, msp\n\t"
        "mrs r1, ipsr\n\t"
        "ldr r2, =mlc_fault_report\n\t"
        "bx r2\n\t"
        ".ltorg");
}

static char *put_hex(char *out, uint32_t value) {
    for (int shift = 28; shift >= 0; shift -= 4) {
        *out++ = "0123456789abcdef"[(value >> shift) & 0xFu];
    }
    return out;
}

/* Exits with MLC_EXIT_FAULT_BASE + exception number so a test can tell a fault from a wrong answer. */
void mlc_fault_report(const uint32_t *frame, uint32_t ipsr) {
    uint32_t exception = ipsr & 0x1FFu;
    char text[48] = "mlc: fault exception 0x";
    char *out = put_hex(text + 23, exception);
    /* The stacked PC is readable only if the stack pointer still lies inside RAM. */
    if (frame >= __ram_start__ && frame + 8 <= __StackTop) {
        const char *at = " pc 0x";
        while (*at) {
            *out++ = *at++;
        }
        out = put_hex(out, frame[6]);
    }
    *out++ = '\n';
    *out = '\0';
    mlc_port_debug_write(text);
    mlc_port_exit(MLC_EXIT_FAULT_BASE + (int)(exception < 63u ? exception : 63u));
}
