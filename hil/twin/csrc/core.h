/*
 * core.h - private to the twin's core (cpu.c, bus.c, sys.c, timer.c): the machine with the core's own
 * fields appended, and the inline memory accessors of the interpreter's hot path. Peripheral models
 * use twin.h only.
 */
#ifndef TWIN_CORE_H
#define TWIN_CORE_H

#include "twin.h"

#define LIKELY(x) __builtin_expect(!!(x), 1)
#define UNLIKELY(x) __builtin_expect(!!(x), 0)

/* address classes of the 64 KiB the 16-bit CPU sees (datasheet SLASE54 Table 9-41) */
enum { A_RAM = 0, A_FRAM = 1, A_LEARAM = 2, A_PERIPH = 3, A_ROM = 4, A_UNMAPPED = 5 };

#define CORE_MAX_REGIONS 96

typedef struct core {
    twin_t m;                      /* first: a twin_t * is a core * */
    uint8_t attr[0x10000];         /* address class per byte address */
    uint8_t preg[0x1000];          /* peripheral region index + 1 per address 0x000-0xFFF, 0 = none */
    twin_region regs[CORE_MAX_REGIONS];
    unsigned nregs;
    /* FRAM read cache (UG FRCTL_A): tags per line, 2-way sets, LRU bit per set */
    uint32_t nwaits;               /* NWAITS from FRCTL0 */
    uint32_t line_shift, nsets;
    uint32_t tag[64][2];
    uint32_t mru_line;             /* the line touched last: a repeat is a hit with nothing to update */
    uint8_t lru[64];
    uint64_t fram_reads, fram_misses;
    /* the instruction being executed, for error messages */
    uint16_t cur_pc, cur_op;
    /* run control */
    uint64_t limit;                /* the hot loop leaves at this cycle: min(end, energy, next_event) */
    uint64_t end_cycle;
    uint64_t energy_limit;
    /* energy ledger: energy up to seg_cycle is in m->energy_j; the segment since then costs e_per_cycle */
    uint64_t seg_cycle;
    double run_e0;                 /* energy at the start of this twin_run */
    uint64_t run_c0;
    double budget, harvest;
    int running, powered, skip_break;
    uint64_t pucs;                 /* PUC/BOR resets seen (watchdog/PMM password violations, SW BOR) */
    double mclk_hz_now;            /* the MCLK the clock system gives now (sys.c) */
    /* poll-loop fast-forward (bus.c): a loop that re-reads a DMA/eUSCI/LEA register with nothing else
     * changing is skipped ahead by whole iterations up to the next peripheral event */
    int idle_skip;
    uint64_t nwrites;              /* memory writes (fast and slow path) */
    uint64_t nslow;                /* peripheral register accesses */
    uint64_t skipped_cycles;
    struct {
        int valid;
        uint16_t pc, val;
        uint32_t addr;
        uint64_t cycle, instr, nwrites, nslow, misses, freads;
        uint16_t r[16];
    } poll;
} core;

#define CORE(m) ((core *)(m))

/* bus.c */
void bus_init(core *c);
uint16_t bus_read_slow(core *c, uint32_t a, int word);
void bus_write_slow(core *c, uint32_t a, uint16_t v, int word);
void fram_cache_miss(core *c, uint32_t a);
void fram_cache_reset(core *c);

/* cpu.c */
void core_update_limit(core *c);
void core_sr_changed(core *c);
void core_puc(twin_t *m, const char *why); /* PUC: CPU restarts from the reset vector (sys.c calls it) */
void core_energy_flush(core *c);

/* sys.c: the clock system tells the core its MCLK; FRCTL0 its wait states */
double sys_mclk_hz(twin_t *m);
/* SMCLK ticks per MCLK cycle as a fraction num/den (timer.c rebases when the clock changes) */
void sys_smclk_ratio(twin_t *m, uint32_t *num, uint32_t *den);
void timer_clock_changed(twin_t *m);

/* FRAM read through the cache: a miss costs NWAITS cycles (charged to the instruction) */
static inline void fram_touch(core *c, uint32_t a)
{
    uint32_t line = a >> c->line_shift;
    c->fram_reads++;
    if (LIKELY(line == c->mru_line)) return;
    c->mru_line = line;
    uint32_t set = line & (c->nsets - 1);
    if (c->tag[set][0] == line) { c->lru[set] = 1; return; }
    if (c->tag[set][1] == line) { c->lru[set] = 0; return; }
    fram_cache_miss(c, a);
}

static inline uint16_t rd16(core *c, uint32_t a)
{
    a &= 0xFFFEu;
    uint8_t at = c->attr[a];
    if (LIKELY(at <= A_FRAM)) {
        if (at == A_FRAM && c->nwaits) fram_touch(c, a);
        return (uint16_t)(c->m.mem[a] | (c->m.mem[a + 1] << 8));
    }
    return bus_read_slow(c, a, 1);
}

static inline uint8_t rd8(core *c, uint32_t a)
{
    a &= 0xFFFFu;
    uint8_t at = c->attr[a];
    if (LIKELY(at <= A_FRAM)) {
        if (at == A_FRAM && c->nwaits) fram_touch(c, a);
        return c->m.mem[a];
    }
    return (uint8_t)bus_read_slow(c, a, 0);
}

static inline void wr16(core *c, uint32_t a, uint16_t v)
{
    a &= 0xFFFEu;
    c->nwrites++;
    if (LIKELY(c->attr[a] <= A_FRAM)) {
        c->m.mem[a] = (uint8_t)v;
        c->m.mem[a + 1] = (uint8_t)(v >> 8);
        return;
    }
    bus_write_slow(c, a, v, 1);
}

static inline void wr8(core *c, uint32_t a, uint8_t v)
{
    a &= 0xFFFFu;
    c->nwrites++;
    if (LIKELY(c->attr[a] <= A_FRAM)) {
        c->m.mem[a] = v;
        return;
    }
    bus_write_slow(c, a, v, 0);
}

#endif
