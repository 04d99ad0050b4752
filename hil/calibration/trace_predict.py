"""Trace-aware prediction: power cycles and latency of a run from the firmware model alone.

The model's batches (one preservation batch = the tiles between two commits) are replayed against the
harness's own source models (``hil.power.energy_model.EnergyModel``: Thevenin harvester or a recorded
trace charging the capacitor) exactly as a target consumes them: a boot, then batches while the energy
budget lasts; a batch that does not fit browns out, its work is lost and it runs again after the
recharge; under proactive shutdown the device turns off after every committed batch. Nothing measured
enters: the batch costs are the model's counts times the profile's per-primitive constants, and each
batch's energy is expressed as cycles at the device's active power, the unit the source model budgets in.
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
        c, e = float(X @ k.cycles), float(X @ k.energy_j)
        n = int(X[FIRMWARE_PRIMITIVES.index("commit")])
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
    ref = cont - commits * k.cycles[FIRMWARE_PRIMITIVES.index("commit")] / clk
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
    n = cyc.size
    i = pc = stuck = mid = 0
    active = off = 0.0  # active in cycles of time, off in seconds
    while True:
        pc += 1
        if pc > max_power_cycles:
            return RunPrediction(pc, active / clk, off, cont, False, mid, ref)
        budget = model.power_on()
        assert budget is not None, "an energy model always gives a budget"
        used, t = boot_e, boot_cyc
        if i < n and not first[i]:  # resumes inside a layer: its table and grid again
            used, t, mid = used + resume_e, t + resume_c, mid + 1
        if i >= n:  # proactive: the boot after the last commit only finds the run done
            model.finish(int(min(used, budget)))
            active += t
            break
        ran = False
        while i < n and used + e_eq[i] <= budget:
            used += e_eq[i]
            t += cyc[i]
            i += 1
            ran = True
            if proactive:
                break
        if i >= n and not proactive:
            model.finish(int(used))
            active += t
            break
        stuck = 0 if ran else stuck + 1
        if stuck > 50:  # the batch has not fitted one power cycle 50 times running: it never will
            return RunPrediction(pc, active / clk, off, cont, False, mid, ref)
        if not ran or not proactive:  # brown-out inside segment i: its work so far is lost
            t += max(budget - used, 0.0) * cyc[i] / max(e_eq[i], 1e-30)
            used = budget
        active += t
        off += model.power_off(int(used))
    return RunPrediction(pc, active / clk, off, cont, True, mid, ref)
