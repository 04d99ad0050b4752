/*
 * cpu.c - the MSP430 CPU of the FR5994 twin (CPUXv2 executing the 16-bit MSP430 instruction set), the
 * run loop with interrupts, low-power modes, energy and brown-out, and the C API of twin.h.
 *
 * Semantics: TI SLAU367 (FR58xx/FR59xx/FR6xx Family User's Guide) chapter 4, "CPUX": instruction
 * descriptions (flags), addressing modes, constant generators, interrupt acceptance (PC and SR pushed,
 * SR cleared, 6 cycles), RETI. Cycle counts: the CPUX tables for MSP430 (16-bit) instructions, written
 * out in docs/emulator.md with their source and uncertainty; FRAM wait states come from bus.c.
 * MSP430X extension words and address instructions (clang-14 emits none) stop the run with an error.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "core.h"

#define SR_FLAGS (TWIN_SR_C | TWIN_SR_Z | TWIN_SR_N | TWIN_SR_V)

/* ---- cycle tables (CPUX, MSP430 instructions; see docs/emulator.md) ---- */
/* source class: 0 register/constant, 1 @Rn, 2 @Rn+, 3 #N, 4 x(Rn)/EDE/&EDE;
 * destination class: 0 register (not PC), 1 PC, 2 memory. */
static const uint8_t FMT1_CYCLES[5][3] = {
    {1, 3, 4}, /* Rn */
    {2, 4, 5}, /* @Rn */
    {2, 4, 5}, /* @Rn+ */
    {2, 3, 5}, /* #N */
    {3, 5, 6}, /* x(Rn), EDE, &EDE */
};
/* Format II: rows = addressing class 0 Rn, 1 @Rn, 2 @Rn+, 3 #N, 4 x(Rn)/EDE, 5 &EDE;
 * columns = RRA/RRC/SWPB/SXT, PUSH, CALL */
static const uint8_t FMT2_CYCLES[6][3] = {
    {1, 3, 4}, {3, 3, 4}, {3, 3, 4}, {0, 3, 4}, {4, 4, 5}, {4, 4, 6},
};
#define JUMP_CYCLES 2
#define RETI_CYCLES 5
#define IRQ_CYCLES 6

/* ---- energy ledger ---- */
void core_energy_flush(core *c)
{
    twin_t *m = &c->m;
    uint64_t d = m->cycle - c->seg_cycle;
    if (!d) return;
    double per = m->cfg.vcc_v / m->cfg.mclk_hz;
    for (int i = 0; i < TWIN_NLOAD; i++) {
        if (m->active[i]) {
            m->cycles_by_load[i] += d;
            m->energy_by_load[i] += per * m->cfg.amps[i] * (double)d;
        }
    }
    m->energy_j += m->e_per_cycle * (double)d;
    c->seg_cycle = m->cycle;
}

static void energy_recompute(core *c)
{
    twin_t *m = &c->m;
    double amps = 0.0;
    for (int i = 0; i < TWIN_NLOAD; i++)
        if (m->active[i]) amps += m->cfg.amps[i];
    m->e_per_cycle = m->cfg.vcc_v * amps / m->cfg.mclk_hz;
}

/* The cycle at which the energy drawn in this run, less the harvest, exceeds the budget. */
static void energy_limit_update(core *c)
{
    twin_t *m = &c->m;
    if (!c->running || c->budget < 0.0) { c->energy_limit = UINT64_MAX; return; }
    double drawn = m->energy_j - c->run_e0 - c->harvest * (double)(c->seg_cycle - c->run_c0);
    double left = c->budget - drawn;
    double net = m->e_per_cycle - c->harvest;
    if (left < 0.0) { c->energy_limit = c->seg_cycle; return; }
    if (net <= 0.0) { c->energy_limit = UINT64_MAX; return; }
    double n = left / net;
    if (n > 1.8e19) { c->energy_limit = UINT64_MAX; return; }
    /* the first whole cycle count at which drawn > budget */
    c->energy_limit = c->seg_cycle + (uint64_t)n + 1;
}

void core_update_limit(core *c)
{
    twin_t *m = &c->m;
    uint64_t l = c->end_cycle;
    if (c->energy_limit < l) l = c->energy_limit;
    if (m->next_event < l) l = m->next_event;
    /* conditions the hot loop does not test itself: leave it after the current instruction */
    if (m->stop || m->stall_cycles || (m->irq_any && (m->cpu.r[2] & TWIN_SR_GIE)) || (m->cpu.r[2] & TWIN_SR_CPUOFF))
        l = 0;
    c->limit = l;
}

void twin_set_active(twin_t *m, enum twin_load load, int on)
{
    core *c = CORE(m);
    on = !!on;
    if (m->active[load] == on) return;
    core_energy_flush(c);
    m->active[load] = (uint8_t)on;
    energy_recompute(c);
    energy_limit_update(c);
    core_update_limit(c);
}

void twin_schedule(twin_t *m, uint64_t at_cycle)
{
    if (at_cycle < m->next_event) {
        m->next_event = at_cycle;
        core_update_limit(CORE(m));
    }
}

void twin_irq(twin_t *m, unsigned vector_index, int level)
{
    if (vector_index >= TWIN_NVEC) return;
    m->irq_level[vector_index] = (uint8_t)(level != 0);
    uint32_t any = 0;
    for (unsigned i = 0; i < TWIN_NVEC; i++) any |= m->irq_level[i];
    m->irq_any = any;
    CORE(m)->limit = 0;
}

/* CPU mode current follows SR: CPUOFF off = active; CPUOFF with SCG1 = LPM3/4 (MCLK, SMCLK off); else LPM0 */
void core_sr_changed(core *c)
{
    twin_t *m = &c->m;
    uint16_t sr = m->cpu.r[2];
    int off = (sr & TWIN_SR_CPUOFF) != 0;
    int deep = off && (sr & TWIN_SR_SCG1);
    twin_set_active(m, TWIN_LOAD_CPU_ACTIVE, !off);
    twin_set_active(m, TWIN_LOAD_LPM0, off && !deep);
    twin_set_active(m, TWIN_LOAD_LPM3, deep);
    c->limit = 0; /* GIE or CPUOFF may have changed: the run loop re-checks */
}

/* ---- peripherals catch up ---- */
static void advance_all(core *c)
{
    twin_t *m = &c->m;
    m->next_event = UINT64_MAX;
    sys_advance(m);
    timer_advance(m);
    mpy_advance(m);
    dma_advance(m);
    eusci_advance(m);
    lea_advance(m);
    core_update_limit(c);
}

static void reset_peripherals(twin_t *m)
{
    sys_reset(m);
    timer_reset(m);
    mpy_reset(m);
    dma_reset(m);
    eusci_reset(m);
    lea_reset(m);
}

/* ---- register access ---- */
static inline void wreg(core *c, unsigned n, uint16_t v)
{
    if (LIKELY(n > 3 || n < 2)) {
        c->m.cpu.r[n] = (n == 0) ? (uint16_t)(v & 0xFFFEu) : (n == 1 ? (uint16_t)(v & 0xFFFEu) : v);
        return;
    }
    if (n == 2) {
        c->m.cpu.r[2] = (uint16_t)(v & 0x01FFu);
        core_sr_changed(c);
    }
    /* R3 (CG2): writes are discarded */
}

static inline uint16_t fetch(core *c)
{
    uint16_t pc = c->m.cpu.r[0];
    uint16_t w = rd16(c, pc);
    c->m.cpu.r[0] = (uint16_t)(pc + 2);
    return w;
}

static inline void set_nz(uint16_t *sr, uint32_t res, int bw)
{
    uint32_t msb = bw ? 0x80u : 0x8000u;
    uint32_t mask = bw ? 0xFFu : 0xFFFFu;
    *sr &= (uint16_t)~(TWIN_SR_N | TWIN_SR_Z);
    if (res & msb) *sr |= TWIN_SR_N;
    if (!(res & mask)) *sr |= TWIN_SR_Z;
}

static void fault_illegal(core *c, const char *what)
{
    twin_fault(&c->m, "%s: instruction 0x%04x not modelled (clang-14 emits only the 16-bit MSP430 set)",
               what, c->cur_op);
}

/* operand resolution ---------------------------------------------------------------------------- */
typedef struct {
    int is_reg;     /* register operand (or constant) */
    unsigned reg;
    uint32_t addr;  /* memory operand address */
    uint16_t val;   /* value (source) */
} operand;

/* Source operand of Format I (also Format II's operand). Returns the cycle class. */
static inline __attribute__((always_inline)) int src_operand(core *c, unsigned rs, unsigned as, int bw, operand *o, int want_value)
{
    uint16_t *r = c->m.cpu.r;
    switch (as) {
    case 0:
        o->is_reg = 1;
        o->reg = rs;
        o->val = (rs == 3) ? 0 : r[rs];
        if (bw) o->val &= 0xFF;
        return 0;
    case 1:
        if (rs == 3) { o->is_reg = 1; o->reg = 3; o->val = 1; return 0; }
        {
            uint16_t base = (rs == 2) ? 0 : r[rs]; /* PC: the address of the index word */
            uint16_t x = fetch(c);
            o->addr = (uint16_t)(base + x);
        }
        break;
    case 2:
        if (rs == 2) { o->is_reg = 1; o->reg = 99; o->val = 4; return 0; }
        if (rs == 3) { o->is_reg = 1; o->reg = 99; o->val = 2; return 0; }
        o->addr = r[rs];
        o->is_reg = 0;
        if (want_value) o->val = bw ? rd8(c, o->addr) : rd16(c, o->addr);
        return 1;
    default: /* 3 */
        if (rs == 2) { o->is_reg = 1; o->reg = 99; o->val = 8; return 0; }
        if (rs == 3) { o->is_reg = 1; o->reg = 99; o->val = bw ? 0xFF : 0xFFFF; return 0; }
        if (rs == 0) {
            o->is_reg = 1; o->reg = 99;
            o->val = fetch(c);
            if (bw) o->val &= 0xFF;
            return 3;
        }
        o->addr = r[rs];
        o->is_reg = 0;
        if (want_value) o->val = bw ? rd8(c, o->addr) : rd16(c, o->addr);
        r[rs] = (uint16_t)(r[rs] + ((bw && rs != 1) ? 1 : 2));
        return 2;
    }
    o->is_reg = 0;
    if (want_value) o->val = bw ? rd8(c, o->addr) : rd16(c, o->addr);
    return 4;
}

/* ---- Format I ---- */
static inline __attribute__((always_inline)) int exec_fmt1(core *c, uint16_t op)
{
    uint16_t *r = c->m.cpu.r;
    unsigned opc = op >> 12, rs = (op >> 8) & 15, ad = (op >> 7) & 1, bw = (op >> 6) & 1, as = (op >> 4) & 3,
             rd = op & 15;
    operand s;
    int scls = src_operand(c, rs, as, bw, &s, 1);
    uint32_t daddr = 0;
    uint32_t dval;
    int dcls;
    if (ad == 0) {
        dcls = (rd == 0) ? 1 : 0;
        dval = (rd == 3) ? 0 : r[rd];
        if (bw) dval &= 0xFF;
    } else {
        dcls = 2;
        uint16_t base = (rd == 2) ? 0 : (rd == 3 ? 0 : r[rd]);
        uint16_t x = fetch(c);
        daddr = (uint16_t)(base + x);
        dval = (opc == 0x4) ? 0 : (bw ? rd8(c, daddr) : rd16(c, daddr)); /* MOV does not read dst */
    }
    int cyc = FMT1_CYCLES[scls][dcls];
    uint16_t sr = r[2];
    uint32_t sv = s.val, res = 0;
    uint32_t mask = bw ? 0xFFu : 0xFFFFu, msb = bw ? 0x80u : 0x8000u;
    int store = 1, setflags = 1;
    switch (opc) {
    case 0x4: /* MOV */
        res = sv; setflags = 0;
        if (dcls == 2) cyc--;
        break;
    case 0x5: /* ADD */
    case 0x6: /* ADDC */
    case 0x7: /* SUBC */
    case 0x8: /* SUB */
    case 0x9: { /* CMP */
        uint32_t a = sv, cin;
        if (opc >= 0x7) a = (~sv) & mask;
        if (opc == 0x5) cin = 0;
        else if (opc == 0x8 || opc == 0x9) cin = 1;
        else cin = sr & TWIN_SR_C;
        res = dval + a + cin;
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        if (res > mask) sr |= TWIN_SR_C;
        if (((a ^ res) & (dval ^ res) & msb)) sr |= TWIN_SR_V;
        set_nz(&sr, res, bw);
        if (opc == 0x9) { store = 0; if (dcls == 2) cyc--; }
        setflags = 0;
        break;
    }
    case 0xA: { /* DADD */
        uint32_t carry = sr & TWIN_SR_C, out = 0;
        int nd = bw ? 2 : 4;
        for (int i = 0; i < nd; i++) {
            uint32_t d = ((sv >> (4 * i)) & 15) + ((dval >> (4 * i)) & 15) + carry;
            carry = 0;
            if (d > 9) { d -= 10; carry = 1; }
            out |= (d & 15) << (4 * i);
        }
        res = out;
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V); /* V is undefined in the UG; cleared as mspdebug does */
        if (carry) sr |= TWIN_SR_C;
        set_nz(&sr, res, bw);
        setflags = 0;
        break;
    }
    case 0xB: /* BIT */
        res = sv & dval; store = 0;
        if (dcls == 2) cyc--;
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        set_nz(&sr, res, bw);
        if (res & mask) sr |= TWIN_SR_C;
        setflags = 0;
        break;
    case 0xC: /* BIC */
        res = dval & ~sv; setflags = 0; break;
    case 0xD: /* BIS */
        res = dval | sv; setflags = 0; break;
    case 0xE: /* XOR */
        res = dval ^ sv;
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        set_nz(&sr, res, bw);
        if (res & mask) sr |= TWIN_SR_C;
        if ((sv & msb) && (dval & msb)) sr |= TWIN_SR_V;
        setflags = 0;
        break;
    default: /* 0xF AND */
        res = dval & sv;
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        set_nz(&sr, res, bw);
        if (res & mask) sr |= TWIN_SR_C;
        setflags = 0;
        break;
    }
    (void)setflags;
    int flag_op = !(opc == 0x4 || opc == 0xC || opc == 0xD);
    res &= mask;
    if (flag_op) {
        /* flags first, then the result: a result written to SR wins (UG: SR as destination) */
        if (r[2] != sr) { r[2] = sr; }
    }
    if (store) {
        if (ad == 0) wreg(c, rd, (uint16_t)res);
        else if (bw) wr8(c, daddr, (uint8_t)res);
        else wr16(c, daddr, (uint16_t)res);
    }
    return cyc;
}

/* ---- Format II ---- */
static int exec_fmt2(core *c, uint16_t op)
{
    uint16_t *r = c->m.cpu.r;
    unsigned f = (op >> 7) & 7, bw = (op >> 6) & 1, ad = (op >> 4) & 3, rg = op & 15;
    if (f == 6) { /* RETI (0x1300) */
        if (op != 0x1300) { fault_illegal(c, "MSP430X CALLA"); return 1; }
        uint16_t sp = r[1];
        uint16_t srv = rd16(c, sp);
        uint16_t pc = rd16(c, (uint16_t)(sp + 2));
        r[1] = (uint16_t)(sp + 4);
        r[0] = pc & 0xFFFEu;
        r[2] = srv & 0x01FFu;
        core_sr_changed(c);
        return RETI_CYCLES;
    }
    if (f == 7) { fault_illegal(c, "MSP430X CALLA"); return 1; }
    if (bw && (f == 1 || f == 3 || f == 5)) { fault_illegal(c, "byte form of SWPB/SXT/CALL"); return 1; }
    operand o;
    int cls = src_operand(c, rg, ad, bw, &o, 1);
    /* cycle row: &EDE (absolute) has its own row for CALL */
    int row;
    switch (cls) {
    case 0: row = 0; break;
    case 1: row = 1; break;
    case 2: row = 2; break;
    case 3: row = 3; break;
    default: row = (ad == 1 && rg == 2) ? 5 : 4; break;
    }
    uint16_t sr = r[2];
    uint32_t v = o.val, res;
    uint32_t msb = bw ? 0x80u : 0x8000u;
    switch (f) {
    case 0: /* RRC */
        res = (v >> 1) | ((sr & TWIN_SR_C) ? msb : 0);
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        if (v & 1) sr |= TWIN_SR_C;
        set_nz(&sr, res, bw);
        break;
    case 1: /* SWPB */
        res = ((v >> 8) | (v << 8)) & 0xFFFF;
        break;
    case 2: /* RRA */
        res = (v >> 1) | (v & msb);
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        if (v & 1) sr |= TWIN_SR_C;
        set_nz(&sr, res, bw);
        break;
    case 3: /* SXT */
        res = (v & 0x80) ? (v | 0xFF00u) : (v & 0xFFu);
        sr &= (uint16_t)~(TWIN_SR_C | TWIN_SR_V);
        set_nz(&sr, res, 0);
        if (res & 0xFFFF) sr |= TWIN_SR_C;
        break;
    case 4: { /* PUSH */
        uint16_t sp = (uint16_t)(r[1] - 2);
        r[1] = sp;
        if (bw) wr8(c, sp, (uint8_t)v); else wr16(c, sp, (uint16_t)v);
        return FMT2_CYCLES[row][1];
    }
    default: { /* 5: CALL */
        uint16_t sp = (uint16_t)(r[1] - 2);
        r[1] = sp;
        wr16(c, sp, r[0]);
        r[0] = (uint16_t)(v & 0xFFFEu);
        return FMT2_CYCLES[row][2];
    }
    }
    if (f != 1) r[2] = sr;
    if (cls == 3) { fault_illegal(c, "immediate destination"); return 1; }
    if (o.is_reg) {
        if (o.reg < 16) {
            if (bw) wreg(c, o.reg, (uint16_t)(res & 0xFF)); else wreg(c, o.reg, (uint16_t)res);
        }
    } else if (bw) {
        wr8(c, o.addr, (uint8_t)res);
    } else {
        wr16(c, o.addr, (uint16_t)res);
    }
    return FMT2_CYCLES[row][0];
}

/* ---- one instruction ---- */
static inline int step(core *c)
{
    uint16_t *r = c->m.cpu.r;
    uint16_t pc = r[0];
    c->cur_pc = pc;
    uint16_t op = fetch(c);
    c->cur_op = op;
    unsigned top = op >> 12;
    if (top >= 4) return exec_fmt1(c, op);
    if (top >= 2) { /* jumps */
        int taken;
        uint16_t sr = r[2];
        switch ((op >> 10) & 7) {
        case 0: taken = !(sr & TWIN_SR_Z); break;
        case 1: taken = (sr & TWIN_SR_Z) != 0; break;
        case 2: taken = !(sr & TWIN_SR_C); break;
        case 3: taken = (sr & TWIN_SR_C) != 0; break;
        case 4: taken = (sr & TWIN_SR_N) != 0; break;
        case 5: taken = !(sr & TWIN_SR_N) == !(sr & TWIN_SR_V); break;
        case 6: taken = !(sr & TWIN_SR_N) != !(sr & TWIN_SR_V); break;
        default: taken = 1; break;
        }
        if (taken) {
            int16_t off = (int16_t)(op << 6) >> 6;
            r[0] = (uint16_t)(r[0] + 2 * off);
        }
        return JUMP_CYCLES;
    }
    if (top == 1 && op < 0x1400) return exec_fmt2(c, op);
    if (top == 1 && op < 0x1800) fault_illegal(c, "MSP430X PUSHM/POPM");
    else if (top == 1) fault_illegal(c, "MSP430X extension word");
    else fault_illegal(c, "MSP430X address instruction (MOVA/CALLA/RRxM)");
    return 1;
}

static void accept_interrupt(core *c)
{
    twin_t *m = &c->m;
    int v = -1;
    for (int i = TWIN_NVEC - 2; i >= 0; i--)
        if (m->irq_level[i]) { v = i; break; }
    if (v < 0) return;
    uint16_t *r = m->cpu.r;
    c->cur_pc = r[0];
    c->cur_op = 0;
    r[1] = (uint16_t)(r[1] - 2);
    wr16(c, r[1], r[0]);
    r[1] = (uint16_t)(r[1] - 2);
    wr16(c, r[1], r[2]);
    r[2] &= TWIN_SR_SCG0; /* UG: SR cleared (SCG0 kept on CPUX) */
    core_sr_changed(c);
    r[0] = rd16(c, 0xFF80u + 2u * (unsigned)v) & 0xFFFEu;
    m->cycle += IRQ_CYCLES;
}

/* ---- run ---- */
int twin_run(twin_t *m, const twin_run_args *args, twin_run_result *out)
{
    core *c = CORE(m);
    if (!c->powered) {
        snprintf(m->error, sizeof m->error, "twin_run: the device is not powered (call twin_power_on)");
        m->stop = TWIN_STOP_ERROR;
        if (out) { out->stop = TWIN_STOP_ERROR; out->cycles = 0; out->energy_j = 0; }
        return TWIN_STOP_ERROR;
    }
    if (m->stop == TWIN_STOP_ERROR) {
        if (out) { out->stop = TWIN_STOP_ERROR; out->cycles = 0; out->energy_j = 0; }
        return TWIN_STOP_ERROR;
    }
    m->stop = 0;
    c->poll.valid = 0; /* the harness may have changed memory between runs */
    core_energy_flush(c);
    uint64_t c0 = m->cycle;
    c->run_c0 = c0;
    c->run_e0 = m->energy_j;
    c->budget = args->energy_budget_j;
    c->harvest = args->harvest_j_per_cycle;
    c->running = 1;
    c->end_cycle = (args->max_cycles > UINT64_MAX - c0) ? UINT64_MAX : c0 + args->max_cycles;
    if (args->energy_budget_j < 0) c->energy_limit = UINT64_MAX; /* negative budget: no power model */
    else energy_limit_update(c);
    core_update_limit(c);
    uint16_t *r = m->cpu.r;
    int skip = c->skip_break;
    c->skip_break = 0;
    for (;;) {
        /* hot loop: everything that needs attention (peripheral access, SR change, interrupt request,
         * DMA stall, an event, the energy or cycle limit) sets c->limit to 0 or below the cycle count */
        if (LIKELY(!m->n_breakpoints)) {
            while (LIKELY(m->cycle < c->limit)) {
                m->cycle += (uint64_t)step(c);
                m->instructions++;
            }
        } else {
            while (m->cycle < c->limit) {
                if (!skip) {
                    int hit = 0;
                    for (uint32_t i = 0; i < m->n_breakpoints; i++) hit |= (m->breakpoints[i] == r[0]);
                    if (hit) { m->stop = TWIN_STOP_BREAK; c->skip_break = 1; break; }
                }
                skip = 0;
                m->cycle += (uint64_t)step(c);
                m->instructions++;
            }
        }
        if (m->stop) break;
        core_update_limit(c);
        if (m->cycle >= c->energy_limit) { m->stop = TWIN_STOP_ENERGY; break; }
        if (m->cycle >= c->end_cycle) { m->stop = TWIN_STOP_CYCLES; break; }
        if (m->cycle >= m->next_event) { advance_all(c); continue; }
        if (m->stall_cycles) { m->cycle += m->stall_cycles; m->stall_cycles = 0; continue; }
        if (m->irq_any && (r[2] & TWIN_SR_GIE)) { accept_interrupt(c); skip = 0; continue; } /* a breakpoint at the ISR counts */
        if (r[2] & TWIN_SR_CPUOFF) {
            if (m->next_event == UINT64_MAX) { m->stop = TWIN_STOP_HALT; break; }
            uint64_t to = m->next_event;
            if (c->end_cycle < to) to = c->end_cycle;
            if (c->energy_limit < to) to = c->energy_limit;
            if (to > m->cycle) m->cycle = to;
            continue;
        }
        /* nothing pending: back to the hot loop (c->limit is above the cycle count again) */
    }
    core_energy_flush(c);
    c->running = 0;
    if (m->stop == TWIN_STOP_PIN || m->stop == TWIN_STOP_HALT || m->stop == TWIN_STOP_CYCLES) c->skip_break = 0;
    if (out) {
        out->stop = m->stop;
        out->cycles = m->cycle - c0;
        out->energy_j = m->energy_j - c->run_e0;
    }
    m->total_cycles += m->cycle - c0;
    return m->stop;
}

/* ---- lifecycle ---- */
twin_t *twin_new(const twin_config *cfg)
{
    if (!cfg || cfg->abi_version != TWIN_ABI_VERSION) return NULL;
    core *c = calloc(1, sizeof *c);
    if (!c) return NULL;
    twin_t *m = &c->m;
    m->cfg = *cfg;
    if (m->cfg.mclk_hz <= 0) m->cfg.mclk_hz = 16e6;
    m->mem = calloc(1, TWIN_MEM_SIZE);
    m->extfram = calloc(1, TWIN_EXTFRAM_SIZE);
    if (!m->mem || !m->extfram) { twin_free(m); return NULL; }
    memset(m->mem + 0x4000, 0xFF, TWIN_FRAM_HI + 1 - 0x4000); /* erased FRAM reads 0xFF like a blank part */
    bus_init(c);
    m->next_event = UINT64_MAX;
    c->idle_skip = getenv("TWIN_NO_IDLE_SKIP") == NULL;
    return m;
}

void twin_free(twin_t *m)
{
    if (!m) return;
    free(m->mem);
    free(m->extfram);
    /* peripheral state is allocated by each module's reset with malloc/calloc */
    void *st[] = {m->lea, m->dma, m->mpy, m->eusci, m->xfram, m->timer, m->sys};
    for (unsigned i = 0; i < sizeof st / sizeof st[0]; i++) free(st[i]);
    free(CORE(m));
}

int twin_load(twin_t *m, uint32_t addr, const uint8_t *data, uint32_t n)
{
    /* a flasher writes FRAM (main and info) only */
    int ok_main = addr >= TWIN_FRAM_LO && (uint64_t)addr + n <= (uint64_t)TWIN_FRAM_HI + 1;
    int ok_info = addr >= TWIN_INFO_LO && (uint64_t)addr + n <= (uint64_t)TWIN_INFO_HI + 1;
    if (!ok_main && !ok_info) {
        snprintf(m->error, sizeof m->error, "twin_load: 0x%05x..0x%05x is not FRAM", addr, addr + n);
        return -1;
    }
    memcpy(m->mem + addr, data, n);
    return 0;
}

static uint64_t splitmix(uint64_t *s)
{
    uint64_t z = (*s += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

static void cpu_reset(core *c)
{
    twin_t *m = &c->m;
    memset(m->cpu.r, 0, sizeof m->cpu.r);
    m->cpu.r[1] = 0; /* SP undefined after reset; crt0 sets it */
    m->cpu.r[0] = (uint16_t)((m->mem[0xFFFE] | (m->mem[0xFFFF] << 8)) & 0xFFFEu);
    memset(m->irq_level, 0, sizeof m->irq_level);
    m->irq_any = 0;
    m->stall_cycles = 0;
    m->next_event = UINT64_MAX;
    c->nwaits = 0;
    c->poll.valid = 0;
    fram_cache_reset(c);
}

void twin_power_on(twin_t *m, uint64_t seed)
{
    core *c = CORE(m);
    uint64_t s = seed;
    for (uint32_t a = 0x000A; a < 0x0020; a++) m->mem[a] = (uint8_t)splitmix(&s);
    for (uint32_t a = TWIN_SRAM_LO; a <= TWIN_SRAM_HI; a += 8) {
        uint64_t v = splitmix(&s);
        memcpy(m->mem + a, &v, 8);
    }
    m->cycle = 0;
    m->instructions = 0;
    m->energy_j = 0;
    memset(m->energy_by_load, 0, sizeof m->energy_by_load);
    memset(m->cycles_by_load, 0, sizeof m->cycles_by_load);
    memset(m->active, 0, sizeof m->active);
    m->stop = 0;
    m->error[0] = 0;
    m->uart_tx_len = 0;
    m->uart_rx_len = m->uart_rx_pos = 0;
    memset(m->pout, 0, sizeof m->pout);
    memset(m->pdir, 0, sizeof m->pdir);
    c->seg_cycle = 0;
    c->skip_break = 0;
    c->powered = 1;
    cpu_reset(c);
    m->active[TWIN_LOAD_CPU_ACTIVE] = 1;
    energy_recompute(c);
    reset_peripherals(m);
    extfram_reset(m);
    core_sr_changed(c);
    m->cycle = m->cfg.reset_cycles; /* BOR to first instruction, drawn at active current */
    c->limit = 0;
}

void twin_power_off(twin_t *m)
{
    core *c = CORE(m);
    core_energy_flush(c);
    c->powered = 0;
    /* an eUSCI byte in flight never completes: the external FRAM keeps the bytes completed so far, and
     * everything volatile is rebuilt by the next twin_power_on */
}

void core_puc(twin_t *m, const char *why)
{
    core *c = CORE(m);
    (void)why;
    c->pucs++;
    cpu_reset(c);
    reset_peripherals(m);
    core_sr_changed(c);
    c->limit = 0;
}

uint32_t twin_uart_drain(twin_t *m, uint8_t *buf, uint64_t *cycles, uint32_t cap)
{
    uint32_t n = m->uart_tx_len < cap ? m->uart_tx_len : cap;
    memcpy(buf, m->uart_tx, n);
    if (cycles) memcpy(cycles, m->uart_tx_cycle, n * sizeof(uint64_t));
    memmove(m->uart_tx, m->uart_tx + n, m->uart_tx_len - n);
    memmove(m->uart_tx_cycle, m->uart_tx_cycle + n, (m->uart_tx_len - n) * sizeof(uint64_t));
    m->uart_tx_len -= n;
    return n;
}

void twin_uart_feed(twin_t *m, const uint8_t *buf, uint32_t n)
{
    if (m->uart_rx_pos > 0) {
        memmove(m->uart_rx, m->uart_rx + m->uart_rx_pos, m->uart_rx_len - m->uart_rx_pos);
        m->uart_rx_len -= m->uart_rx_pos;
        m->uart_rx_pos = 0;
    }
    uint32_t room = (uint32_t)sizeof m->uart_rx - m->uart_rx_len;
    if (n > room) n = room;
    memcpy(m->uart_rx + m->uart_rx_len, buf, n);
    m->uart_rx_len += n;
}

const char *twin_error(twin_t *m) { return m->error; }

int twin_set_break(twin_t *m, uint32_t addr)
{
    if (m->n_breakpoints >= 8) return -1;
    m->breakpoints[m->n_breakpoints++] = addr;
    return 0;
}

void twin_clear_breaks(twin_t *m) { m->n_breakpoints = 0; }

/* ---- extras for the binding (not in twin.h's contract; declared in machine.py) ---- */
uint64_t twin_x_pucs(twin_t *m) { return CORE(m)->pucs; }
uint64_t twin_x_skipped_cycles(twin_t *m) { return CORE(m)->skipped_cycles; }
void twin_x_set_idle_skip(twin_t *m, int on) { CORE(m)->idle_skip = on; CORE(m)->poll.valid = 0; }
uint64_t twin_x_fram_misses(twin_t *m) { return CORE(m)->fram_misses; }
uint64_t twin_x_fram_reads(twin_t *m) { return CORE(m)->fram_reads; }
double twin_x_mclk_hz(twin_t *m) { return sys_mclk_hz(m); }
size_t twin_x_sizeof(void) { return sizeof(twin_t); }
size_t twin_x_offset_cycle(void) { return offsetof(twin_t, cycle); }
