"""Trace-aware prediction: power cycles and latency of a run from the firmware model alone.

The model's batches (one preservation batch = the tiles between two commits) are replayed against the
harness's own source models (``hil.power.energy_model.EnergyModel``: Thevenin harvester or a recorded
trace charging the capacitor) exactly as the emulator target feeds the twin: a boot, then batches drawing
their energy in chunks, each with the harvested power held from its start; a batch during which the
energy runs out browns out, its work is lost and it runs again after the recharge; under proactive
shutdown the device turns off after every committed batch. Nothing measured enters: the batch costs are
the model's counts times the profile's per-primitive cycles and energies.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from hil.power.energy_model import EnergyModel, active_power_w
from hil.power.profile import PowerProfile
from tinas.cost.firmware_model import FwConstants, count_matrix
from tinas.cost.fw_counts import Tilings, firmware_layers, layer_counts
from tinas.network import LayerDesign, Network
from tinas.platform import FIRMWARE_PRIMITIVES, Platform


@dataclass(frozen=True)
class RunPrediction:
    power_cycles: int
    active_s: float
    off_s: float
    continuous_s: float
    completed: bool
    mid_resumes: int = 0  # boots that resumed inside a layer (they repeat its table read and tile grid)
    reference_s: float = float("nan")  # continuous latency without preservation (-DRT_NO_PRESERVATION): no commits

    @property
    def latency_s(self) -> float:
        return self.active_s + self.off_s

    @property
    def imo_percent(self) -> float:
        """The original's IMO against the reference without preservation (docs/original-tinas.md, cost model §5)."""
        return 100.0 * (self.active_s - self.reference_s) / self.active_s if self.active_s > 0 else float("nan")


def _layer_count_rows(network: Network, designs: list[LayerDesign]) -> list[np.ndarray]:
    """Each firmware layer's primitive counts (FIRMWARE_PRIMITIVES order, the per-layer column 0)."""
    return [count_matrix(layer_counts(fl, Tilings.of([designs[i]])), with_layer=False)[0]
            for fl, i in firmware_layers(network)]


def batches(network: Network, designs: list[LayerDesign], platform: Platform,
            proactive: bool = True) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    """(cycles per segment, energy per segment in J, per-layer cycles summed, tail flags, flags of a layer's
    first batch) in run order; a layer's work is spread evenly over its commits (the model does not place
    edge tiles in particular batches). The per-layer cost (the layer-table read and tile grid before the
    first tile, the counters' NVM entry after the last commit; no UART frame is sent during the inference)
    goes with the layer's first batch without proactive shutdown, where a brown-out before that batch's
    commit repeats it, and with its last batch under proactive shutdown, where it runs before the yield.
    Tail flags (a segment after a layer's last commit that a brown-out would skip) are all False since the
    per-layer frames left the inference; kept for callers that pass them through."""
    k = FwConstants.of(platform)
    cyc, en, tail, first, layer_total = [], [], [], [], 0.0
    for X in _layer_count_rows(network, designs):
        n = int(X[FIRMWARE_PRIMITIVES.index("commit")])
        c = float(X @ k.cycles) + n * k.commit_untimed_cycles
        e = float(X @ k.energy_j) + n * k.commit_untimed_energy_j
        cyc += [c / n] * n
        en += [e / n] * n
        tail += [False] * n
        first += [True] + [False] * (n - 1)
        layer_total += k.cycles[-1]
        j = -1 if proactive else -n
        cyc[j] += k.cycles[-1]
        en[j] += k.energy_j[-1]
    return np.array(cyc), np.array(en), layer_total, np.array(tail, dtype=bool), np.array(first, dtype=bool)


def predict_run(network: Network, designs: list[LayerDesign], platform: Platform, profile: PowerProfile | None,
                proactive: bool, target_kind: str = "emulator", max_power_cycles: int = 200000,
                need_off_time: bool = True) -> RunPrediction:
    """Power cycles, active and off time, continuous latency. ``target_kind == "host"``: the host target
    has no energy model (it restarts only at proactive shutdowns), so the profile is ignored. Without
    ``need_off_time`` a proactive run whose every batch fits the capacitor's own energy (harvest only adds
    to it) is answered in closed form — one batch per power cycle — with ``off_s`` NaN."""
    k = FwConstants.of(platform)
    cyc, en, _, tail, first = batches(network, designs, platform, proactive)
    resume_c = k.resume_cycles
    clk = k.clock_hz
    boot_cyc = k.boot_time_s * clk
    cont = (cyc.sum() + boot_cyc) / clk
    commits = int((~tail).sum())  # one segment per commit
    ref = cont - commits * (k.cycles[FIRMWARE_PRIMITIVES.index("commit")] + k.commit_untimed_cycles) / clk
    if profile is None or target_kind == "host":
        pc = (cyc.size + 1) if proactive else 1
        mid = int((~first).sum()) if proactive else 0
        return RunPrediction(pc, cont + (pc - 1) * k.boot_time_s + mid * resume_c / clk, 0.0, cont, True, mid, ref)
    p_w = active_power_w(platform)
    e_eq = en / (p_w / clk)  # each batch's energy as cycles at the active power the source model draws
    boot_e = k.boot_energy_j / (p_w / clk)
    resume_e = k.resume_energy_j / (p_w / clk)
    cap_cycles = 0.5 * platform.ccap_f * (platform.v_on_v**2 - platform.v_off_v**2) / (p_w / clk)
    if proactive and not need_off_time and boot_e + float(e_eq.max()) <= cap_cycles:
        pc = cyc.size + 1
        mid = int((~first).sum())
        return RunPrediction(pc, cont + (pc - 1) * k.boot_time_s + mid * resume_c / clk, float("nan"), cont, True, mid, ref)
    model = EnergyModel.from_platform(profile, platform)
    drain = _Drain(model, clk)
    n = cyc.size
    i = pc = stuck = mid = 0
    active = off = 0.0  # active in cycles, off in seconds
    while True:
        pc += 1
        if pc > max_power_cycles:
            return RunPrediction(pc, active / clk, off, cont, False, mid, ref)
        model.mark_on()
        drain.power_on()
        t, out = drain.run(boot_cyc, k.boot_energy_j)
        if not out and i < n and not first[i]:  # resumes inside a layer: its table and grid again
            d, out = drain.run(resume_c, k.resume_energy_j)
            t, mid = t + d, mid + 1
        if not out and i >= n:  # proactive: the boot after the last commit only finds the run done
            drain.close()
            model.finish_measured()
            active += t
            break
        ran = False
        while not out and i < n:
            d, out = drain.run(cyc[i], en[i])  # a brown-out inside segment i loses its work so far
            t += d
            if out:
                break
            i += 1
            ran = True
            if proactive:
                break
        active += t
        if i >= n and not proactive:
            drain.close()
            model.finish_measured()
            break
        stuck = 0 if ran else stuck + 1
        if stuck > 50:  # the batch has not fitted one power cycle 50 times running: it never will
            return RunPrediction(pc, active / clk, off, cont, False, mid, ref)
        drain.close()
        off += model.recharge_to_on()
    return RunPrediction(pc, active / clk, off, cont, True, mid, ref)


class _Drain:
    """The device on the source model exactly as the emulator target feeds the twin (hil/targets/emulator.py):
    in chunks (``EnergyModel.harvest_chunk``) that restart at power-on, each with the
    usable energy and the harvested power taken at its start; the power fails where the chunk's draw minus
    its harvest reaches that energy. Segments are the model's (cycles, energy); their power is constant."""

    def __init__(self, model: EnergyModel, clk: float) -> None:
        self.m, self.clk = model, clk
        self.left = self.cyc = self.en = self.room = self.p_h = 0.0

    def power_on(self) -> None:
        self.left = self.cyc = self.en = 0.0

    def _open(self) -> None:
        self.p_h, n = self.m.harvest_chunk(self.clk)
        self.left = float(n)
        self.room = self.m.usable_energy_j()
        self.cyc = self.en = 0.0

    def close(self) -> None:
        if self.cyc > 0 or self.en > 0:
            self.m.advance_chunk(self.cyc / self.clk, self.en)
        self.left = self.cyc = self.en = 0.0

    def run(self, cycles: float, energy_j: float) -> tuple[float, bool]:
        """Run one segment: (cycles executed, whether the power failed inside it)."""
        done, per = 0.0, (energy_j / cycles if cycles > 0 else 0.0)
        if cycles <= 0:
            self.en += energy_j
            return 0.0, False
        while done < cycles:
            if self.left <= 0:
                self.close()
                self._open()
            step = min(cycles - done, self.left)
            net = per - self.p_h / self.clk  # energy drawn per cycle beyond the harvest
            room = self.room - (self.en - self.p_h * self.cyc / self.clk)
            if net > 0 and net * step >= room:
                x = max(room / net, 0.0)
                self.cyc, self.en, done = self.cyc + x, self.en + x * per, done + x
                self.close()
                return done, True
            self.cyc, self.en, self.left, done = self.cyc + step, self.en + step * per, self.left - step, done + step
        return done, False
