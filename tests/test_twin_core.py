"""The FR5994 twin's CPU core: cycle counts by hand from the user's guide tables, errors that name the
address and the PC, power failures that keep FRAM and lose SRAM, energy and brown-out arithmetic.

Cycle expectations are hand-counted from the CPUX cycle tables as written out in docs/emulator.md
(TI SLAU367 §4.5.1.5), not read from the implementation."""

from __future__ import annotations

import math

import pytest

from hil.twin.device_table import load_device_table
from hil.twin.machine import Machine, Stop, TwinError
from tests.twin_progs import build_program

pytestmark = pytest.mark.emulator

# (assembly, expected cycles) - each runs between two labels; r4 = a scratch buffer in SRAM
CYCLE_CASES = [
    ("mov r4, r5", 1),            # Rn -> Rm
    ("add #1, r5", 1),            # constant generator counts as a register
    ("add #1234, r5", 2),         # #N -> Rm
    ("mov @r4, r5", 2),           # @Rn -> Rm
    ("mov @r4+, r5\n sub #2, r4", 2 + 1),
    ("mov 2(r4), r5", 3),         # x(Rn) -> Rm
    ("mov &buf, r5", 3),          # &EDE -> Rm
    ("mov buf, r5", 3),           # EDE -> Rm
    ("mov r5, 2(r4)", 3),         # Rn -> x(Rm): 4, MOV one fewer
    ("add r5, 2(r4)", 4),         # Rn -> x(Rm)
    ("add #1234, 2(r4)", 5),      # #N -> x(Rm)
    ("add 2(r4), 4(r4)", 6),      # x(Rn) -> x(Rm)
    ("mov 2(r4), 4(r4)", 5),      # MOV one fewer
    ("cmp 2(r4), &buf", 5),       # CMP one fewer
    ("bit @r4, 4(r4)", 4),        # @Rn -> x(Rm): 5, BIT one fewer
    ("add @r4, 4(r4)", 5),
    ("rra r5", 1),                # Format II register
    ("rra @r4", 3),
    ("rrc 2(r4)", 4),
    ("swpb &buf", 4),
    ("sxt buf", 4),
    ("push r5\n pop r6", 3 + 2),  # PUSH Rn 3; POP = MOV @SP+, Rm 2
    ("push #1234\n pop r6", 3 + 2),
    ("jmp 1f\n1:", 2),            # jumps: 2 taken or not
    ("cmp r4, r4\n jne 1f\n1:", 1 + 2),
    ("call #sub1", 4 + 4),        # CALL #N 4, then RET (MOV @SP+, PC) 4
    ("mov #sub1, r7\n call r7", 2 + 4 + 4),
    ("call &vec", 6 + 4),         # CALL &EDE 6
    ("call 0(r8)", 5 + 4),        # CALL x(Rn) 5
    ("mov #1f, r7\n br r7\n1:", 2 + 3),  # BR Rn = MOV Rn, PC: 3
    ("br #1f\n1:", 3),            # MOV #N, PC: 3
]


def _cycle_program(cases) -> str:
    lines = ["    .section .text.main,\"ax\",@progbits", "    .global main", "    .type main,@function", "main:",
             "    mov #buf, r4", "    mov #vec, r8"]
    for i, (asm, _) in enumerate(cases):
        lines.append(f"    .global L{i}\nL{i}:")
        lines += [f"    {a.strip()}" if not a.strip().endswith(":") else a.strip() for a in asm.split("\n")]
    lines += [f"    .global L{len(cases)}\nL{len(cases)}:", "    ret",
              "sub1:", "    ret",
              "    .section .rodata.vec,\"a\",@progbits", "vec:", "    .word sub1",
              "    .section .bss.buf,\"aw\",@nobits", "    .p2align 1", "buf:", "    .skip 16"]
    return "\n".join(lines) + "\n"


@pytest.fixture(scope="module")
def cycle_elf(tmp_path_factory):
    return build_program(tmp_path_factory.mktemp("cyc"), {"c.S": _cycle_program(CYCLE_CASES)})


def test_instruction_cycles_match_the_user_guide_table(cycle_elf):
    with Machine() as m:
        m.load_elf(cycle_elf)
        m.power_on(3)
        for i in range(len(CYCLE_CASES) + 1):
            m.set_break(m.symbol(f"L{i}")) if i < 8 else None
        # breakpoints are limited to 8: walk label to label
        m.clear_breaks()
        seen = []
        for i in range(len(CYCLE_CASES) + 1):
            m.clear_breaks()
            m.set_break(m.symbol(f"L{i}"))
            assert m.run(10_000_000).stop is Stop.BREAK, m.error
            seen.append(m.cycle)
        got = [b - a for a, b in zip(seen, seen[1:])]
        want = [c for _, c in CYCLE_CASES]
        bad = [(CYCLE_CASES[k][0], got[k], want[k]) for k in range(len(want)) if got[k] != want[k]]
        assert not bad, f"(instruction, twin cycles, UG cycles): {bad}"


def _run_asm(tmp_path, body: str, setup: str = "") -> Machine:
    src = "\n".join(["    .section .text.main,\"ax\",@progbits", "    .global main", "main:", setup, body, "    ret", ""])
    elf = build_program(tmp_path, {"e.S": src})
    m = Machine()
    m.load_elf(elf)
    m.power_on(1)
    return m


@pytest.mark.parametrize("body, address, kind", [
    ("mov &0x3c10, r5", "0x03c10", "unmapped"),
    ("mov r5, &0x1100", "0x01100", "BSL"),
    ("mov #1, &0x1a02", "0x01a02", "TLV"),
    ("mov &0x0380, r5", "0x00380", "no module models"),   # TA1CTL: Timer_A1 is not modelled
    ("mov.b #1, &0x0ff0", "0x00ff0", "no module models"),
])
def test_bad_access_stops_naming_address_and_pc(tmp_path, body, address, kind):
    with _run_asm(tmp_path, "    .global bad\nbad:\n    " + body) as m:
        out = m.run(1_000_000, raise_on_error=False)
        assert out.stop is Stop.ERROR
        pc = m.symbol("bad")
        assert address in m.error and kind in m.error and f"PC=0x{pc:04x}" in m.error, m.error
        with pytest.raises(TwinError, match=address):
            m.run(10)


@pytest.mark.parametrize("word, what", [(0x1800, "extension word"), (0x1504, "PUSHM"), (0x0080, "address instruction")])
def test_msp430x_instructions_stop_with_a_clear_error(tmp_path, word, what):
    with _run_asm(tmp_path, f"    .global bad\nbad:\n    .word 0x{word:04x}\n    .word 0x0000") as m:
        assert m.run(1_000_000, raise_on_error=False).stop is Stop.ERROR
        assert what in m.error and f"instruction 0x{word:04x}" in m.error and f"PC=0x{m.symbol('bad'):04x}" in m.error


PERSIST = """
#include <stdint.h>
__attribute__((section(".persistent"))) volatile uint16_t boots = 0;
__attribute__((section(".persistent"))) volatile uint16_t counter = 0;
volatile uint16_t sram_marker;
int main(void) {
    boots++;
    sram_marker = 0xBEEF;
    for (;;) counter++;
}
"""


@pytest.mark.parametrize("fail_at", [137, 5_001, 123_457])
def test_power_failure_keeps_fram_and_external_fram_loses_sram(tmp_path, fail_at):
    elf = build_program(tmp_path, {"p.c": PERSIST})
    with Machine() as m:
        m.load_elf(elf)
        m.extfram[1000:1004] = [1, 2, 3, 4]
        boots, counter, marker = m.symbol("boots"), m.symbol("counter"), m.symbol("sram_marker")
        m.power_on(11)
        out = m.run(fail_at)
        assert out.stop is Stop.CYCLES and fail_at <= m.cycle < fail_at + 6  # longest instruction: 6 cycles
        c1 = int.from_bytes(m.read(counter, 2), "little")
        sram_before = m.read(0x2400, 256)
        m.power_off()
        m.power_on(12)
        assert int.from_bytes(m.read(boots, 2), "little") == (1 if fail_at > 200 else int.from_bytes(m.read(boots, 2), "little"))
        assert int.from_bytes(m.read(counter, 2), "little") == c1      # FRAM kept
        assert m.read(0x2400, 256) != sram_before                       # SRAM garbage (a new seed)
        assert m.read(marker, 2) != b"\xef\xbe"
        assert list(m.extfram[1000:1004]) == [1, 2, 3, 4]               # external FRAM kept
        m.run(20_000)
        assert int.from_bytes(m.read(counter, 2), "little") > c1        # continues from the kept value


def test_same_seed_same_sram_garbage():
    with Machine() as a, Machine() as b:
        a.power_on(5)
        b.power_on(5)
        assert a.read(0x1C00, 0x2000) == b.read(0x1C00, 0x2000)
        b.power_on(6)
        assert a.read(0x1C00, 0x2000) != b.read(0x1C00, 0x2000)


def test_energy_and_brownout_arithmetic(tmp_path):
    """Energy per cycle is Vcc * (I_active + I_extfram_standby) / f (device table: the CPU runs, the
    deselected external FRAM idles); the brown-out stops at the
    first instruction boundary where drawn - harvested exceeds the budget."""
    t = load_device_table()
    e_cyc = t.vcc_v * (t.amps[0] + t.amps[8]) / t.mclk_hz
    elf = build_program(tmp_path, {"p.c": PERSIST})
    with Machine(t) as m:
        m.load_elf(elf)
        m.power_on(1)
        out = m.run(100_000)
        assert out.energy_j == pytest.approx(out.cycles * e_cyc, rel=1e-12)
        budget = 2_000 * e_cyc + 0.5 * e_cyc
        out = m.run(10**9, energy_budget_j=budget)
        assert out.stop is Stop.ENERGY and out.energy_j > budget and 2_001 <= out.cycles < 2_001 + 6
        h = 0.75 * e_cyc  # harvest covers 3/4 of the draw: four times as many cycles
        out = m.run(10**9, energy_budget_j=budget, harvest_j_per_cycle=h)
        n = math.floor(budget / (e_cyc - h)) + 1
        assert out.stop is Stop.ENERGY and n <= out.cycles < n + 6


def test_watchdog_password_violation_is_a_puc(tmp_path):
    with _run_asm(tmp_path, "    mov #0x1234, &0x015c\n    .global after\nafter:\n    nop") as m:
        m.set_break(m.symbol("after"))
        out = m.run(100_000)
        assert m.pucs >= 1 and out.stop is not Stop.BREAK  # restarted from the reset vector, never reached


IRQ_PROGRAM = """
    .section .text.main,"ax",@progbits
    .global main
main:
    mov #0, r10
    eint
    nop
    .global spin
spin:
    inc r10
    cmp #3, r10
    jl spin
    .global sleep
sleep:
    bis #0x18, r2          ; LPM0 with GIE: only an interrupt wakes it
    .global woke
woke:
    ret
    .global isr
isr:
    bic #0x10, 0(r1)       ; leave the low-power mode on return (clear CPUOFF in the stacked SR)
    inc r11
    .global isr_ret
isr_ret:
    reti
"""


def test_interrupt_acceptance_reti_and_wake_from_lpm(tmp_path):
    """UG interrupt acceptance: PC then SR pushed, SR cleared, vector loaded, 6 cycles; RETI restores SR
    and PC in 5 cycles; an interrupt wakes the CPU from LPM0 and the ISR can keep it awake."""
    vec = 10  # any vector: the request line is driven from outside, as a peripheral would
    elf = build_program(tmp_path, {"i.S": IRQ_PROGRAM}, name="irq")
    with Machine() as m:
        m.load_elf(elf)
        m.write(0xFF80 + 2 * vec, m.symbol("isr").to_bytes(2, "little"))  # flash the vector
        m.power_on(1)
        m.set_break(m.symbol("spin"))
        assert m.run(10_000).stop is Stop.BREAK
        sp, sr, c0 = m.regs[1], m.regs[2], m.cycle
        assert sr & 0x08  # GIE
        m.clear_breaks()
        m.set_break(m.symbol("isr"))
        m.irq(vec, 1)
        assert m.run(10_000).stop is Stop.BREAK
        assert m.cycle - c0 == 6 and m.regs[1] == sp - 4 and m.regs[2] == 0
        assert int.from_bytes(m.read(sp - 2, 2), "little") == m.symbol("spin")  # PC pushed first
        assert int.from_bytes(m.read(sp - 4, 2), "little") == sr                 # then SR
        m.irq(vec, 0)
        m.clear_breaks()
        m.set_break(m.symbol("isr_ret"))
        assert m.run(10_000).stop is Stop.BREAK
        c1 = m.cycle
        m.clear_breaks()
        m.set_break(m.symbol("spin"))
        assert m.run(10_000).stop is Stop.BREAK
        assert m.cycle - c1 == 5 and m.regs[2] == sr and m.regs[1] == sp  # RETI: 5 cycles, SR and SP back
        # LPM0 with nothing scheduled: halted; an interrupt wakes it and the ISR keeps it awake
        m.clear_breaks()
        assert m.run(10**6).stop is Stop.HALT and m.regs[2] & 0x10  # after any pending event (the held WDT's)
        m.set_break(m.symbol("woke"))
        m.irq(vec, 1)
        m.clear_breaks()
        m.set_break(m.symbol("isr_ret"))
        assert m.run(10_000).stop is Stop.BREAK
        m.irq(vec, 0)
        m.clear_breaks()
        m.set_break(m.symbol("woke"))
        assert m.run(10_000).stop is Stop.BREAK and not (m.regs[2] & 0x10) and m.regs[11] != 0


CLOCK_SETUP = """
    mov #0xA500, &0x0160       ; CSCTL0: unlock
    mov #0x0048, &0x0162       ; CSCTL1: DCORSEL | DCOFSEL_4 (16 MHz)
    .global dividers
dividers:
    mov #0x0000, &0x0166       ; CSCTL3: MCLK, SMCLK /1
    .global locked
locked:
    mov.b #0, &0x0161          ; CSCTL0_H: lock
    .global done
done:
    nop
"""


def test_clock_system_and_fram_wait_states(tmp_path):
    """Reset: DCO 8 MHz / 8 = 1 MHz (UG CS reset values); 16 MHz needs NWAITS >= 1 (UG FRCTL_A)."""
    with _run_asm(tmp_path / "a" if (tmp_path / "a").mkdir() is None else tmp_path, "    mov #0xA510, &0x0140\n" + CLOCK_SETUP) as m:
        assert m.mclk_hz() == 1e6
        m.set_break(m.symbol("done"))
        assert m.run(100_000).stop is Stop.BREAK and m.mclk_hz() == 16e6
    with _run_asm(tmp_path / "b" if (tmp_path / "b").mkdir() is None else tmp_path, CLOCK_SETUP) as m:
        out = m.run(100_000, raise_on_error=False)
        assert out.stop is Stop.ERROR and "NWAITS=0" in m.error and f"PC=0x{m.symbol('dividers'):04x}" in m.error
