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

    @property
    def latency_s(self) -> float:
        return self.active_s + self.off_s

    @property
    def imo_percent(self) -> float:
        return 100.0 * (self.active_s - self.continuous_s) / self.active_s if self.active_s > 0 else float("nan")


def batches(network: Network, designs: list[LayerDesign], platform: Platform,
            proactive: bool = True) -> tuple[np.ndarray, np.ndarray, float, np.ndarray, np.ndarray]:
    """(cycles per segment, energy per segment in J, per-layer cycles summed, tail flags, flags of a layer's
    first batch) in run order; a
    layer's work is spread evenly over its commits (the model does not place edge tiles in particular
    batches). The per-layer cost is mostly the layer-end record (the counters' NVM copy and the LAYER
    frame), which the runtime sends after the layer's last commit: without proactive shutdown it is a
    segment of its own (tail flag) that a brown-out cuts short and the next boot skips, as it resumes at
    the next layer; under proactive shutdown it runs before the yield, in the last batch's power cycle."""
    k = FwConstants.of(platform)
    cyc, en, tail, first, layer_total = [], [], [], [], 0.0
    for fl, i in firmware_layers(network):
        X = count_matrix(layer_counts(fl, Tilings.of([designs[i]])), with_layer=False)[0]
        c, e = float(X @ k.cycles), float(X @ k.energy_j)
        n = int(X[FIRMWARE_PRIMITIVES.index("commit")])
        cyc += [c / n] * n
        en += [e / n] * n
        tail += [False] * n
        first += [True] + [False] * (n - 1)
        layer_total += k.cycles[-1]
        if proactive:
            cyc[-1] += k.cycles[-1]
            en[-1] += k.energy_j[-1]
        else:
            cyc.append(k.cycles[-1])
            en.append(k.energy_j[-1])
            tail.append(True)
            first.append(False)
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
    if profile is None or target_kind == "host":
        pc = (cyc.size + 1) if proactive else 1
        mid = int((~first).sum()) if proactive else 0
        return RunPrediction(pc, cont + (pc - 1) * k.boot_time_s + mid * resume_c / clk, 0.0, cont, True, mid)
    p_w = active_power_w(platform)
    e_eq = en / (p_w / clk)  # each batch's energy as cycles at the active power the source model draws
    boot_e = k.boot_energy_j / (p_w / clk)
    resume_e = k.resume_energy_j / (p_w / clk)
    cap_cycles = 0.5 * platform.ccap_f * (platform.v_on_v**2 - platform.v_off_v**2) / (p_w / clk)
    if proactive and not need_off_time and boot_e + float(e_eq.max()) <= cap_cycles:
        pc = cyc.size + 1
        mid = int((~first).sum())
        return RunPrediction(pc, cont + (pc - 1) * k.boot_time_s + mid * resume_c / clk, float("nan"), cont, True, mid)
    model = EnergyModel.from_platform(profile, platform)
    n = cyc.size
    i = pc = stuck = mid = 0
    active = off = 0.0  # active in cycles of time, off in seconds
    while True:
        pc += 1
        if pc > max_power_cycles:
            return RunPrediction(pc, active / clk, off, cont, False, mid)
        budget = model.power_on()
        assert budget is not None, "an energy model always gives a budget"
        used, t = boot_e, boot_cyc
        if i < n and not first[i] and not tail[i]:  # resumes inside a layer: its table and grid again
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
            return RunPrediction(pc, active / clk, off, cont, False, mid)
        if not ran or not proactive:  # brown-out inside segment i: its work so far is lost
            t += max(budget - used, 0.0) * cyc[i] / max(e_eq[i], 1e-30)
            used = budget
            if tail[i]:  # a layer-end record cut short is not sent again: the next boot starts the next layer
                i += 1
        active += t
        off += model.power_off(int(used))
    return RunPrediction(pc, active / clk, off, cont, True, mid)
