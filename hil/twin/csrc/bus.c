/*
 * bus.c - the FR5994 memory map as the CPU and DMA see it (datasheet SLASE54 Table 9-41): SRAM, FRAM
 * with its read cache and wait states (UG SLAU367 FRCTL_A), LEA RAM (locked while LEA runs), and the
 * peripheral register windows claimed by the modules. Anything else stops the run with an error that
 * names the address, the PC and the instruction word.
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "core.h"

#define MODULE_REGIONS(name) { name##_regions, &name##_nregions }

void bus_init(core *c)
{
    memset(c->attr, A_UNMAPPED, sizeof c->attr);
    memset(c->attr + 0x0000, A_PERIPH, 0x1000);
    memset(c->attr + 0x000A, A_RAM, 0x0020 - 0x000A);         /* tiny RAM */
    memset(c->attr + 0x1800, A_FRAM, 0x1A00 - 0x1800);        /* info FRAM A-D */
    memset(c->attr + 0x1A00, A_ROM, 0x1B00 - 0x1A00);         /* TLV descriptors: read only */
    memset(c->attr + 0x1C00, A_RAM, 0x2C00 - 0x1C00);         /* CPU SRAM */
    memset(c->attr + 0x2C00, A_LEARAM, 0x3C00 - 0x2C00);      /* SRAM shared with LEA */
    memset(c->attr + 0x4000, A_FRAM, 0x10000 - 0x4000);       /* main FRAM incl. vectors */
    /* peripheral windows from every module (a module not linked in has no regions: its registers fault) */
    struct { const twin_region *r; const unsigned *n; } mods[] = {
        MODULE_REGIONS(sys), MODULE_REGIONS(timer), MODULE_REGIONS(mpy),
        MODULE_REGIONS(dma), MODULE_REGIONS(eusci), MODULE_REGIONS(lea),
    };
    memset(c->preg, 0, sizeof c->preg);
    c->nregs = 0;
    for (unsigned k = 0; k < sizeof mods / sizeof mods[0]; k++) {
        for (unsigned i = 0; i < *mods[k].n; i++) {
            const twin_region *r = &mods[k].r[i];
            if (c->nregs >= CORE_MAX_REGIONS || r->hi > 0xFFF || r->lo > r->hi) continue;
            c->regs[c->nregs] = *r;
            for (uint32_t a = r->lo; a <= r->hi; a++) c->preg[a] = (uint8_t)(c->nregs + 1);
            c->nregs++;
        }
    }
    fram_cache_reset(c);
}

void fram_cache_reset(core *c)
{
    uint32_t lines = c->m.cfg.fram_cache_lines ? c->m.cfg.fram_cache_lines : 4;
    uint32_t bytes = c->m.cfg.fram_cache_line_bytes ? c->m.cfg.fram_cache_line_bytes : 8;
    c->line_shift = 0;
    while ((1u << c->line_shift) < bytes) c->line_shift++;
    c->nsets = lines / 2 ? lines / 2 : 1;
    if (c->nsets > 64) c->nsets = 64;
    for (uint32_t s = 0; s < 64; s++) c->tag[s][0] = c->tag[s][1] = 0xFFFFFFFFu, c->lru[s] = 0;
    c->mru_line = 0xFFFFFFFFu;
}

void fram_cache_miss(core *c, uint32_t a)
{
    uint32_t line = a >> c->line_shift;
    uint32_t set = line & (c->nsets - 1);
    unsigned way = c->lru[set];         /* lru names the way to replace next */
    c->tag[set][way] = line;
    c->lru[set] = (uint8_t)(way ^ 1u);
    c->fram_misses++;
    c->m.cycle += c->nwaits;
}

void twin_fault(twin_t *m, const char *fmt, ...)
{
    core *c = CORE(m);
    if (m->stop == TWIN_STOP_ERROR) return; /* keep the first error */
    char msg[192];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    snprintf(m->error, sizeof m->error, "%s (PC=0x%04x, instruction 0x%04x, cycle %llu)", msg, c->cur_pc,
             c->cur_op, (unsigned long long)m->cycle);
    m->stop = TWIN_STOP_ERROR;
    c->limit = 0;
}

static const char *class_name(uint32_t a)
{
    if (a < 0x1000) return "peripheral register no module models";
    if (a < 0x1800) return "BSL ROM (not modelled)";
    if (a < 0x1B00) return "TLV (read only)";
    if (a < 0x1C00) return "unmapped address";
    if (a < 0x4000) return "unmapped address";
    return "unmapped address";
}

/* Registers whose value changes only at the owning model's scheduled events (DMA, eUSCI, LEA): a loop
 * polling one of them, with no write, no other register access, no FRAM miss and the same CPU registers
 * from one read to the next, repeats itself exactly until the next event. Skip whole iterations so the
 * loop resumes just before the event (or the cycle/energy limit): same cycles, same state, less work. */
static int pollable(uint32_t a)
{
    return (a >= 0x0500 && a <= 0x056F) || (a >= 0x05C0 && a <= 0x072F) || (a >= 0x0A80 && a <= 0x0AFF);
}

static void poll_check(core *c, uint32_t a, uint16_t v)
{
    twin_t *m = &c->m;
    if (!pollable(a) || m->stop) { c->poll.valid = 0; return; }
    if (c->poll.valid && c->poll.pc == c->cur_pc && c->poll.addr == a && c->poll.val == v &&
        c->poll.nwrites == c->nwrites && c->poll.nslow + 1 == c->nslow && c->poll.misses == c->fram_misses &&
        !memcmp(c->poll.r, m->cpu.r, sizeof c->poll.r) && m->cycle > c->poll.cycle) {
        uint64_t period = m->cycle - c->poll.cycle;
        uint64_t lim = c->end_cycle;
        if (c->energy_limit < lim) lim = c->energy_limit;
        if (m->next_event < lim) lim = m->next_event;
        if (lim > m->cycle && lim != UINT64_MAX) {
            uint64_t k = (lim - m->cycle) / period;
            if (k >= 2) {
                k -= 1; /* stay a whole iteration short: the rest runs normally up to the event */
                uint64_t di = m->instructions - c->poll.instr, dr = c->fram_reads - c->poll.freads;
                m->cycle += k * period;
                m->instructions += k * di;
                c->fram_reads += k * dr;
                c->skipped_cycles += k * period;
            }
        }
    }
    c->poll.valid = 1;
    c->poll.pc = c->cur_pc;
    c->poll.addr = a;
    c->poll.val = v;
    c->poll.cycle = m->cycle;
    c->poll.instr = m->instructions;
    c->poll.nwrites = c->nwrites;
    c->poll.nslow = c->nslow;
    c->poll.misses = c->fram_misses;
    c->poll.freads = c->fram_reads;
    memcpy(c->poll.r, m->cpu.r, sizeof c->poll.r);
}

uint16_t bus_read_slow(core *c, uint32_t a, int word)
{
    twin_t *m = &c->m;
    if (a < 0x10000) {
        switch (c->attr[a]) {
        case A_RAM:
        case A_FRAM:
        case A_ROM:
            if (c->attr[a] == A_FRAM && c->nwaits) fram_touch(c, a);
            return word ? (uint16_t)(m->mem[a] | (m->mem[a + 1] << 8)) : m->mem[a];
        case A_LEARAM:
            if (m->active[TWIN_LOAD_LEA]) {
                twin_fault(m, "read of LEA RAM 0x%04x while LEA is busy", a);
                return 0;
            }
            return word ? (uint16_t)(m->mem[a] | (m->mem[a + 1] << 8)) : m->mem[a];
        case A_PERIPH: {
            unsigned r = c->preg[a];
            if (r) {
                c->limit = 0;
                uint16_t v = c->regs[r - 1].read(m, a, word);
                c->nslow++;
                if (c->idle_skip) poll_check(c, a, v);
                return v;
            }
            break;
        }
        default:
            break;
        }
    } else if (a <= TWIN_FRAM_HI) {
        return word ? (uint16_t)(m->mem[a] | (m->mem[a + 1] << 8)) : m->mem[a];
    }
    twin_fault(m, "%s read at 0x%05x (%s)", word ? "word" : "byte", a, class_name(a));
    return 0;
}

void bus_write_slow(core *c, uint32_t a, uint16_t v, int word)
{
    twin_t *m = &c->m;
    if (a < 0x10000) {
        switch (c->attr[a]) {
        case A_LEARAM:
            if (m->active[TWIN_LOAD_LEA]) {
                twin_fault(m, "write of LEA RAM 0x%04x while LEA is busy", a);
                return;
            }
            /* fall through */
        case A_RAM:
        case A_FRAM:
            m->mem[a] = (uint8_t)v;
            if (word) m->mem[a + 1] = (uint8_t)(v >> 8);
            return;
        case A_PERIPH: {
            unsigned r = c->preg[a];
            if (r) {
                c->limit = 0;
                c->nslow++;
                c->regs[r - 1].write(m, a, word ? v : (uint16_t)(v & 0xFF), word);
                return;
            }
            break;
        }
        default:
            break;
        }
    } else if (a <= TWIN_FRAM_HI) {
        m->mem[a] = (uint8_t)v;
        if (word) m->mem[a + 1] = (uint8_t)(v >> 8);
        return;
    }
    twin_fault(m, "%s write of 0x%04x at 0x%05x (%s)", word ? "word" : "byte", v, a, class_name(a));
}

uint16_t twin_bus_read(twin_t *m, uint32_t addr, int word)
{
    core *c = CORE(m);
    if (word) addr &= ~1u;
    if (addr < 0x10000) return word ? rd16(c, addr) : rd8(c, addr);
    return bus_read_slow(c, addr, word);
}

void twin_bus_write(twin_t *m, uint32_t addr, uint16_t v, int word)
{
    core *c = CORE(m);
    if (word) addr &= ~1u;
    if (addr < 0x10000) {
        if (word) wr16(c, addr, v); else wr8(c, addr, (uint8_t)v);
        return;
    }
    bus_write_slow(c, addr, v, word);
}
