/*
 * twin.h - the MSP430FR5994 twin: the machine state shared by the CPU core (cpu.c, bus.c) and the
 * peripheral models (lea.c, dma.c, mpy32.c, eusci.c, extfram.c, timer.c, sys.c), and the C API that
 * the Python binding (hil/twin/machine.py, ctypes) calls.
 *
 * Sources for every behaviour: MSP430FR58xx/FR59xx/FR6xx Family User's Guide (TI SLAU367), the
 * MSP430FR599x datasheet (TI SLASE54), TI DSPLib's LEA sources, the CY15B108QI datasheet. The device
 * timing and current numbers are NOT in C: they come from the device table (hil/twin/device_fr5994.toml)
 * through twin_config, so the numbers have one home with their sources.
 *
 * Time: one global MCLK cycle counter. The CPU executes one instruction, adds its cycles, then calls
 * twin_advance(), which lets every busy peripheral catch up to the new cycle count. Peripherals that
 * need the bus (DMA) steal cycles through m->stall_cycles, which the CPU adds before its next fetch.
 * While the CPU is off (LPM0..4), the core jumps to the next peripheral event (m->next_event).
 *
 * Energy: every cycle costs m->e_per_cycle joules, the sum of the per-cycle energy of the components
 * active now (CPU mode, LEA busy, DMA transferring, eUSCI shifting, external FRAM selected...). A
 * component changing state calls twin_power_update(). twin_run() stops at the first instruction
 * boundary where the energy drawn in this power cycle exceeds what the capacitor can give (see
 * twin_run_args), which is the brown-out.
 */
#ifndef TWIN_H
#define TWIN_H

#include <stddef.h>
#include <stdint.h>

#define TWIN_ABI_VERSION 1u

/* ---- memory map (datasheet SLASE54 Table 9-41) ---- */
#define TWIN_PERIPH_LO 0x0000u   /* SFRs and peripherals 0x0000-0x0FFF (0x000A-0x001F tiny RAM) */
#define TWIN_PERIPH_HI 0x0FFFu
#define TWIN_INFO_LO 0x1800u     /* info FRAM A-D */
#define TWIN_INFO_HI 0x19FFu
#define TWIN_SRAM_LO 0x1C00u     /* 4 KiB CPU SRAM + 4 KiB shared with LEA (0x2C00-0x3BFF) */
#define TWIN_SRAM_HI 0x3BFFu
#define TWIN_LEARAM_LO 0x2C00u
#define TWIN_FRAM_LO 0x4000u     /* main FRAM 0x4000-0x43FFF (256 KiB incl. vectors at 0xFF80) */
#define TWIN_FRAM_HI 0x43FFFu
#define TWIN_MEM_SIZE 0x44000u   /* the flat backing array covers the whole 20-bit map used */

#define TWIN_EXTFRAM_SIZE (1u << 20) /* CY15B108QI: 8 Mbit */

/* Interrupt vector index = (vector address - 0xFF80) / 2; 63 = reset (0xFFFE). */
#define TWIN_NVEC 64

enum twin_stop {
    TWIN_STOP_CYCLES = 0,  /* ran max_cycles */
    TWIN_STOP_ENERGY = 1,  /* brown-out: the energy limit was reached (power fails here) */
    TWIN_STOP_HALT = 2,    /* CPU off with GIE clear and no DMA/LEA/eUSCI activity: nothing can wake it */
    TWIN_STOP_ERROR = 3,   /* unmapped address, unmodelled register, illegal instruction: see error */
    TWIN_STOP_BREAK = 4,   /* PC reached a breakpoint (twin_set_break) before executing it */
    TWIN_STOP_PIN = 5      /* a watched output pin changed (twin_watch_pin) */
};

/* Components whose current the device table gives; index into twin_config.amps. */
enum twin_load {
    TWIN_LOAD_CPU_ACTIVE = 0,  /* active mode, executing from FRAM at the configured clock */
    TWIN_LOAD_LPM0,            /* CPU off, clocks on */
    TWIN_LOAD_LPM3,            /* CPU and MCLK/SMCLK off */
    TWIN_LOAD_LEA,             /* LEA executing a command (added to the CPU mode's current) */
    TWIN_LOAD_DMA,             /* a DMA transfer cycle */
    TWIN_LOAD_SPI,             /* an eUSCI shifting a byte */
    TWIN_LOAD_MPY,             /* MPY32 computing */
    TWIN_LOAD_EXTFRAM_ACTIVE,  /* external FRAM selected (CS low) and clocked */
    TWIN_LOAD_EXTFRAM_STANDBY, /* external FRAM deselected */
    TWIN_NLOAD
};

typedef struct {
    uint32_t abi_version;        /* TWIN_ABI_VERSION */
    double mclk_hz;              /* the clock the firmware configures (checked against CSCTL at run time) */
    double vcc_v;                /* supply voltage of the device behind its regulator (energy = vcc * I * dt) */
    double amps[TWIN_NLOAD];     /* current per component */
    uint32_t fram_wait_states;   /* MCLK > 8 MHz needs NWAITS >= 1; mismatch with FRCTL0 is an error */
    uint32_t fram_cache_lines;   /* FRAM read cache geometry (UG FRCTL_A) */
    uint32_t fram_cache_line_bytes;
    uint32_t lea_mac_cycles_fixed;   /* LEA MAC command: fixed + per_pair * N / 2 (device table) */
    double lea_mac_cycles_per_elem;
    uint32_t dma_cycles_per_transfer; /* UG: 2 MCLK per byte/word transfer, CPU held */
    uint32_t reset_cycles;       /* BOR/POR to first instruction */
} twin_config;

typedef struct twin twin_t;

/* Peripheral register window: accesses to [lo, hi] go to these handlers (byte or word). */
typedef struct {
    uint32_t lo, hi;
    uint16_t (*read)(twin_t *m, uint32_t addr, int word);
    void (*write)(twin_t *m, uint32_t addr, uint16_t value, int word);
    const char *name;
} twin_region;

struct twin_cpu {
    uint16_t r[16]; /* R0 = PC, R1 = SP, R2 = SR, R3 = CG2 */
};

#define TWIN_SR_C 0x0001u
#define TWIN_SR_Z 0x0002u
#define TWIN_SR_N 0x0004u
#define TWIN_SR_GIE 0x0008u
#define TWIN_SR_CPUOFF 0x0010u
#define TWIN_SR_OSCOFF 0x0020u
#define TWIN_SR_SCG0 0x0040u
#define TWIN_SR_SCG1 0x0080u
#define TWIN_SR_V 0x0100u

struct twin {
    twin_config cfg;
    struct twin_cpu cpu;
    uint8_t *mem;               /* TWIN_MEM_SIZE bytes: SRAM, FRAM, info; peripherals are NOT here */
    uint8_t *extfram;           /* TWIN_EXTFRAM_SIZE bytes: the external SPI FRAM's array */
    uint64_t cycle;             /* MCLK cycles since power-on (this power cycle) */
    uint64_t total_cycles;      /* MCLK cycles across power cycles */
    uint64_t instructions;
    uint32_t stall_cycles;      /* cycles stolen by DMA, added before the next instruction */
    uint64_t next_event;        /* earliest cycle at which a peripheral changes state (UINT64_MAX: none) */
    double e_per_cycle;         /* joules per MCLK cycle with the components active now */
    double energy_j;            /* drawn since power-on */
    double energy_by_load[TWIN_NLOAD];
    uint64_t cycles_by_load[TWIN_NLOAD];
    uint8_t active[TWIN_NLOAD]; /* which components draw current now */
    uint8_t irq_level[TWIN_NVEC];
    uint32_t irq_any;           /* non-zero when some irq_level is set */
    int stop;                   /* set by a peripheral or the core to stop twin_run (enum twin_stop) */
    char error[256];
    /* pins: P1..P8, PJ output latches as seen by the outside (hal GPIO signals, FRAM CS) */
    uint8_t pout[10], pdir[10];
    uint32_t watch_pins;        /* bit (port*8+pin) set: stop with TWIN_STOP_PIN when it changes */
    /* UART (eUSCI_A0) bytes sent since the last drain, with the cycle of each byte */
    uint8_t uart_tx[65536];
    uint64_t uart_tx_cycle[65536];
    uint32_t uart_tx_len;
    uint8_t uart_rx[4096];      /* bytes queued for the firmware to receive */
    uint32_t uart_rx_len, uart_rx_pos;
    /* peripheral state lives in per-peripheral structs owned by their .c files */
    void *lea, *dma, *mpy, *eusci, *xfram, *timer, *sys;
    uint32_t breakpoints[8];
    uint32_t n_breakpoints;
};

/* ---- services the core offers peripherals ---- */
void twin_fault(twin_t *m, const char *fmt, ...);                /* stop with TWIN_STOP_ERROR and a message */
void twin_irq(twin_t *m, unsigned vector_index, int level);       /* level-triggered interrupt request */
void twin_set_active(twin_t *m, enum twin_load load, int on);     /* a component starts/stops drawing current */
void twin_schedule(twin_t *m, uint64_t at_cycle);                 /* wake the core at this cycle at the latest */
uint16_t twin_bus_read(twin_t *m, uint32_t addr, int word);       /* CPU-visible bus (DMA uses it) */
void twin_bus_write(twin_t *m, uint32_t addr, uint16_t v, int word);

/* ---- peripheral modules (each .c file implements its block) ---- */
/* reset: power-on (BOR) reset of the peripheral's registers; advance: catch up to m->cycle. */
#define TWIN_PERIPHERAL(name) \
    void name##_reset(twin_t *m); \
    void name##_advance(twin_t *m); \
    extern const twin_region name##_regions[]; \
    extern const unsigned name##_nregions;
TWIN_PERIPHERAL(sys)     /* SFR, PMM, WDT_A, CS, FRCTL, SYS, ports, MPU/RC stubs that read as reset values */
TWIN_PERIPHERAL(timer)   /* Timer_A0..A4, TB0 (counting, CCR0 compare, overflow flag) */
TWIN_PERIPHERAL(mpy)     /* MPY32 */
TWIN_PERIPHERAL(dma)     /* DMA controller, 6 channels */
TWIN_PERIPHERAL(eusci)   /* eUSCI_A0 (UART) .. A3, eUSCI_B0 .. B3 (SPI master) */
TWIN_PERIPHERAL(lea)     /* Low-Energy Accelerator */
/* the external FRAM hangs off the SPI: the eUSCI calls these for each byte while its CS is low */
void extfram_reset(twin_t *m);                         /* power-on: WEL cleared, status reg kept (it is nonvolatile) */
void extfram_select(twin_t *m, int selected);          /* CS edge */
uint8_t extfram_xfer(twin_t *m, uint8_t mosi);         /* one full byte clocked in and out */
/* DMA trigger SOURCES (not trigger numbers): on the FR5994 the same trigger number means a different source on
 * channels 0-2 and 3-5 (datasheet SLASE54 "DMA Trigger Assignments"; TI msp430fr5994.h DMAxTSEL__ names), so a
 * peripheral names its source and dma.c maps each channel's DMAxTSEL onto sources. */
enum twin_dma_source {
    TWIN_DMA_SRC_NONE = 0, TWIN_DMA_SRC_DMAREQ,
    TWIN_DMA_SRC_TA0CCR0, TWIN_DMA_SRC_TA0CCR2, TWIN_DMA_SRC_TA1CCR0, TWIN_DMA_SRC_TA1CCR2, TWIN_DMA_SRC_TA2CCR0,
    TWIN_DMA_SRC_TA3CCR0, TWIN_DMA_SRC_TB0CCR0, TWIN_DMA_SRC_TB0CCR2, TWIN_DMA_SRC_TA4CCR0,
    TWIN_DMA_SRC_AES0, TWIN_DMA_SRC_AES1, TWIN_DMA_SRC_AES2,
    TWIN_DMA_SRC_UCA0RX, TWIN_DMA_SRC_UCA0TX, TWIN_DMA_SRC_UCA1RX, TWIN_DMA_SRC_UCA1TX,
    TWIN_DMA_SRC_UCA2RX, TWIN_DMA_SRC_UCA2TX, TWIN_DMA_SRC_UCA3RX, TWIN_DMA_SRC_UCA3TX,
    TWIN_DMA_SRC_UCB0RX0, /* then TX0, RX1, TX1, RX2, TX2, RX3, TX3 for B0, B1, B2, B3: UCB0RX0 + 8*n + k */
    TWIN_DMA_SRC_UCB3TX3 = TWIN_DMA_SRC_UCB0RX0 + 31,
    TWIN_DMA_SRC_ADC12, TWIN_DMA_SRC_LEA, TWIN_DMA_SRC_MPY,
    TWIN_DMA_SRC_DMA0IFG, /* .. DMA5IFG = DMA0IFG + 5 */
    TWIN_DMA_SRC_DMAE0 = TWIN_DMA_SRC_DMA0IFG + 6,
    TWIN_DMA_NSRC
};
void dma_trigger(twin_t *m, unsigned source);          /* a trigger source had a rising edge (enum twin_dma_source) */


/* ---- the API the Python binding calls ---- */
typedef struct {
    uint64_t max_cycles;      /* stop after at least this many more cycles (TWIN_STOP_CYCLES) */
    double energy_budget_j;   /* brown-out when energy drawn - harvest_j_per_cycle * cycles > this */
    double harvest_j_per_cycle; /* harvested energy per cycle during this call (held constant) */
} twin_run_args;

typedef struct {
    int stop;                 /* enum twin_stop */
    uint64_t cycles;          /* cycles this call ran */
    double energy_j;          /* energy drawn during this call */
} twin_run_result;

twin_t *twin_new(const twin_config *cfg);
void twin_free(twin_t *m);
int twin_load(twin_t *m, uint32_t addr, const uint8_t *data, uint32_t n); /* program FRAM (like a flasher) */
void twin_power_on(twin_t *m, uint64_t seed);  /* BOR: SRAM+LEA RAM filled from seed, peripherals reset, PC = [0xFFFE] */
void twin_power_off(twin_t *m);                /* the supply is gone: an SPI FRAM write in flight is torn at its byte */
int twin_run(twin_t *m, const twin_run_args *args, twin_run_result *out);
uint32_t twin_uart_drain(twin_t *m, uint8_t *buf, uint64_t *cycles, uint32_t cap);
void twin_uart_feed(twin_t *m, const uint8_t *buf, uint32_t n);
const char *twin_error(twin_t *m);
int twin_set_break(twin_t *m, uint32_t addr);
void twin_clear_breaks(twin_t *m);

#endif
