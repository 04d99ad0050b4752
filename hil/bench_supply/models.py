"""SCPI command tables per supply family; the model is recognised from ``*IDN?``."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CommandTable:
    family: str
    select_channel: str | None
    set_voltage: str
    set_current: str
    output_on: str
    output_off: str
    meas_voltage: str
    meas_current: str
    error_query: str


KEYSIGHT_E36 = CommandTable("Keysight E36xx", "INST:NSEL {ch}", "VOLT {v:.4f}", "CURR {i:.4f}", "OUTP ON", "OUTP OFF",
                            "MEAS:VOLT?", "MEAS:CURR?", "SYST:ERR?")
RIGOL_DP800 = CommandTable("Rigol DP8xx", None, ":SOUR{ch}:VOLT {v:.4f}", ":SOUR{ch}:CURR {i:.4f}", ":OUTP CH{ch},ON",
                           ":OUTP CH{ch},OFF", ":MEAS:VOLT? CH{ch}", ":MEAS:CURR? CH{ch}", ":SYST:ERR?")
BK_9170 = CommandTable("BK Precision 9170", None, "VOLT {v:.4f}", "CURR {i:.4f}", "OUTP 1", "OUTP 0", "MEAS:VOLT?",
                       "MEAS:CURR?", "SYST:ERR?")
GENERIC = CommandTable("generic SCPI", None, "VOLT {v:.4f}", "CURR {i:.4f}", "OUTP ON", "OUTP OFF", "MEAS:VOLT?",
                       "MEAS:CURR?", "SYST:ERR?")


def table_for_idn(idn: str) -> CommandTable:
    s = idn.upper()
    if "KEYSIGHT" in s or "AGILENT" in s:
        return KEYSIGHT_E36
    if "RIGOL" in s and ",DP8" in s:
        return RIGOL_DP800
    if "B&K" in s or "BK PRECISION" in s or ",917" in s:
        return BK_9170
    return GENERIC
