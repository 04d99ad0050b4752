"""The search variants of the paper as complete switch sets (original-tinas.md, search §3.5).

The original applies variant files on top of whatever came before, and a variant file only names the
switches it turns *on*: TiNAS-M.json and TiNAS-U.json say nothing about Guidelines 1 and 2. Loaded
after a file that turns them on (TiNAS-test.json does), TiNAS-U would silently search with dropping
and adaptive mutation. Here every switch a variant controls is first reset to its default, then the
variant's file is applied, and it is applied last, so a variant means the same whatever the other
settings files are.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from tinas.errors import TinasError
from tinas.settings import DEFAULTS, Settings, SettingsError, load_settings, merge_into, resolve_settings_file

# category → keys (nested dict for TINAS) that define a variant
VARIANT_SWITCHES: dict[str, Any] = {
    "PLATFORM_SETTINGS": ["IMC_CONSTRAINT"],
    "NAS_SSOPTIMIZER_SETTINGS": ["SSOPT_POLICY", "SSOPT_CONSTRAINTS"],
    "NAS_EVOSEARCH_SETTINGS": ["EVOSEARCH_SCORE_TYPE"],
    "TINAS": {"STAGE1_SETTINGS": ["DROPPING_ENABLED"], "STAGE2_SETTINGS": ["BLOCK_SEARCH_SPACE", "MUTATION_OPERATOR"]},
}
KNOWN_VARIANTS = ("TiNAS", "TiNAS-M", "TiNAS-U", "TiNAS-G1", "TiNAS-G2")


def _reset(tree: dict[str, Any], defaults: dict[str, Any], spec: Any) -> None:
    if isinstance(spec, list):
        for k in spec:
            tree[k] = copy.deepcopy(defaults[k])
    else:
        for k, sub in spec.items():
            _reset(tree[k], defaults[k], sub)


def variant_file(name: str) -> str:
    return name if name.endswith(".json") else f"{name}.json"


def has_imo_cap(settings: Settings) -> bool:
    """The variant constrains IMO (TiNAS-M): CHK_PASS_IMC in stage 1 and a cap in stage 3."""
    return "CHK_PASS_IMC" in settings["NAS_SSOPTIMIZER_SETTINGS"]["SSOPT_CONSTRAINTS"].split(",")


def load_variant(files: list[str], variant: str, overrides: dict[str, Any] | None = None,
                 imo_cap: float | None = None) -> Settings:
    """``files`` (dataset, budget, …) merged left to right, the variant's switches reset to their defaults
    and set from the variant file, then ``overrides``; ``imo_cap`` replaces the cap of a variant that
    has one (the published TiNAS-M runs passed the cap on the command line)."""
    base = load_settings(files)
    tree = base.snapshot()
    _reset(tree, DEFAULTS, VARIANT_SWITCHES)
    path = resolve_settings_file(variant_file(variant))
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        raise SettingsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
    merge_into(tree, data, str(path))
    if overrides:
        merge_into(tree, copy.deepcopy(overrides), "command line")
    s = Settings(tree, [*base.sources, str(path), "command line"])
    if has_imo_cap(s):
        if imo_cap is not None:
            s["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] = float(imo_cap)
    else:
        s["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] = 0.0  # an IMO-unconstrained variant stays unconstrained
    s.validate()
    if s["TINAS"]["STAGE2_SETTINGS"]["BLOCK_SEARCH_SPACE"] == "dropped" and not s["TINAS"]["STAGE1_SETTINGS"]["DROPPING_ENABLED"]:
        raise TinasError(f"{variant}: BLOCK_SEARCH_SPACE 'dropped' without DROPPING_ENABLED")
    return s
