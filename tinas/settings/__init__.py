"""Search settings: the original's categories and defaults, JSON overlays merged left to right, then
command-line flags. Unlike the original (which ignores unknown keys with a warning), an unknown key or a
value of the wrong type is refused with the file and the key named: a typo must not silently fall back
to a default and change a week-long search."""

from __future__ import annotations

import copy
import math
import json
from pathlib import Path
from typing import Any

from tinas.errors import TinasError

PACKAGE_DIR = Path(__file__).parent


class SettingsError(TinasError):
    """A settings file or flag that cannot be applied."""


def _per_dataset(sup_epochs: int, batch: int, lr: float, val_batch: int, ft_epochs: int, ft_batch: int,
                 ft_lr: float) -> dict[str, Any]:
    return {
        "TRAIN_SUPERNET_EPOCHS": sup_epochs, "TRAIN_SUBNET_BATCHSIZE": batch, "TRAIN_OPT_LR": lr,
        "VAL_BATCHSIZE": val_batch, "FINETUNE_SUBNET_EPOCHS": ft_epochs, "FINETUNE_SUBNET_BATCHSIZE": ft_batch,
        "FINETUNE_OPT_LR": ft_lr, "TRAIN_MAX_STEPS_PER_EPOCH": 0, "TRAIN_LIMIT_SAMPLES": 0,
        "TRAIN_OPTIMIZER": "adam", "ACC_ADAPT_STEPS": 30,
    }


DEFAULTS: dict[str, dict[str, Any]] = {
    "GLOBAL_SETTINGS": {"EXP_SUFFIX": "test", "USE_REMOTE_LOGGER": False, "REMOTE_LOGGER_RUN_NAME_SUFFIX": "",
                        "REMOTE_LOGGER_GROUP_NAME_SUFFIX": "", "REMOTE_LOGGER_EXTRA_TAGS": [], "BUDGET_LABEL": ""},
    "CUDA_SETTINGS": {"GPUIDS": "0,1,2,3"},
    "PLATFORM_SETTINGS": {
        "MCU_TYPE": "MSP430", "REHM": 2800.0, "REHM_TABLE": {"0.005": 2800, "0.00047": 3000, "0.0001": 3100},
        "VSUP": 5.892, "VON": 4.535, "VOFF": 3.290, "EAV_SAFE_MARGIN": 0.60, "DATA_SZ": 2, "POW_TYPE": "INT",
        "CPU_CLOCK": 16000000, "VM_CAPACITY": 2048, "NVM_CAPACITY": 1000000,
        "NVM_CAPACITY_ALLOCATION": [1000000, 1000000], "LAT_E2E_REQ": 10000.0, "CCAP": 0.005, "IMC_CONSTRAINT": 50.0,
        "COST_MODEL": "tinas2025",
    },
    "NAS_SETTINGS_GENERAL": {
        "SEED": 123, "MODEL_FN_TYPE": "MODEL_FN_CONV2D", "STAGES": "1,2,3,4", "DATASET": "CIFAR10",
        "TRAIN_OPT_MOM": 0.9, "TRAIN_OPT_WD": 5e-5, "TRAIN_BATCHNORM_EPSILON": 1e-5, "TRAIN_PRINT_FREQ": 100,
        "SEARCH_TIME_TESTING": False, "DATASET_DIR": "", "SUPERNET_TYPE": "elastic",
    },
    "NAS_SSOPTIMIZER_SETTINGS": {
        "SUBNET_SAMPLE_SIZE": 1000, "VALID_SUBNETS_THRESHOLD": 0.1, "DO_RESAMPLING": False, "SSOPT_POLICY": "FLOPS",
        "SSOPT_CONSTRAINTS": "CHK_PASS_STORAGE,CHK_PASS_SPATIAL,CHK_PASS_ATOMICITY,CHK_PASS_RESPONSIVENESS,CHK_PASS_IMC",
    },
    "NAS_EVOSEARCH_SETTINGS": {
        "POP_SIZE": 64, "GENERATIONS": 30, "PARENT_RATIO": 0.2, "MUT_PROB": 0.05, "MUT_RATIO": 0.5,
        "EVOSEARCH_SCORE_TYPE": "ACC_IMC", "EVOSEARCH_TRIALS": 1, "EVOSEARCH_BYPASS_EFFICIENCY": False,
        "EVOSEARCH_INITIAL_POPULATION_FNAME": "", "EVOSEARCH_ENABLE_EVOMEMORY": True, "FIXED_NUM_CPU_WORKERS": 16,
        "FIXED_NUM_CPU_WORKERS_MUTATION": 16, "FIXED_NUM_CPU_WORKERS_CROSSOVER": 16, "DEBUG_ENABLED": False,
        "EARLY_STOP_STABLE_GENERATIONS": 0, "VALIDATION_FRACTION": 0.2,
    },
    "TINAS": {
        "STAGE1_SETTINGS": {
            "DROPPING_ENABLED": False,
            "DROPPING_BLOCK_LEVEL": {"EXP_FACTORS": [], "KERNEL_SIZES": [], "MOBILENET_NUM_LAYERS_EXPLICIT": [],
                                     "SUPPORT_SKIP": []},
            "DROPPING_NET_LEVEL": {"WIDTH_MULTIPLIER": [], "INPUT_RESOLUTION": []},
        },
        "STAGE2_SETTINGS": {
            "BLOCK_SEARCH_SPACE": "default", "MUTATION_OPERATOR": "mutate_default",
            "MUT_PROB_PER_BLOCK": [0.05] * 4, "MUT_PROB_PER_BLOCK_EXPLOITATION": [0.05] * 4,
            "MUT_PROB_PER_BLOCK_EXPLORATION": [0.2, 0.05, 0.05, 0.05], "BEST_STABLE_GENERATIONS": 5,
        },
    },
    "NAS_SETTINGS_PER_DATASET": {
        "CIFAR10": _per_dataset(400, 100, 0.025, 500, 20, 100, 0.025),
        "HAR": _per_dataset(200, 64, 0.05, 64, 15, 64, 0.025),
        "MSWC": _per_dataset(1000, 100, 0.01, 400, 25, 100, 0.01),
        "KWS": _per_dataset(200, 100, 0.01, 400, 15, 100, 0.01),
        "DIGITS": _per_dataset(30, 64, 0.01, 256, 8, 64, 0.01),
        "MOTION": _per_dataset(30, 16, 0.05, 64, 8, 16, 0.02),
    },
    "DUMPER_SETTINGS": {"DUMP_DIR": ""},
    "LOG_SETTINGS": {"TRAIN_LOG_DIR": "", "TRAIN_LOG_FNAME": "train_info.csv", "LOG_LEVEL": 1,
                     "REMOTE_LOGGING_SYNC_DIR": ""},
    "NAS_TESTING_SETTINGS": {"TRAINED_SUPERNET_FNAME": "", "FINETUNE_BASE_GENERATION": -1},
}

SCORE_TYPES = ("ACC", "ACC_IMC", "ACC_IMO_LREQ", "ACC_LREQ")
MUTATION_OPERATORS = ("mutate_default", "mutate_blockwise_prob", "mutate_adaptive")


def _same_kind(default: Any, value: Any) -> bool:
    if isinstance(default, bool) or isinstance(value, bool):
        return isinstance(default, bool) and isinstance(value, bool)
    if isinstance(default, (int, float)):
        return isinstance(value, (int, float))
    return isinstance(value, type(default))


def merge_into(base: dict[str, Any], overlay: dict[str, Any], source: str, path: str = "") -> None:
    """Merge ``overlay`` into ``base`` in place: dicts key by key, scalars and lists replaced whole."""
    for key, value in overlay.items():
        where = f"{path}.{key}" if path else key
        if key not in base:
            raise SettingsError(f"{source}: unknown setting '{where}'")
        if isinstance(base[key], dict):
            if not isinstance(value, dict):
                raise SettingsError(f"{source}: setting '{where}' must be an object")
            merge_into(base[key], value, source, where)
        elif not _same_kind(base[key], value):
            raise SettingsError(
                f"{source}: setting '{where}' must be {type(base[key]).__name__}, got {type(value).__name__} {value!r}"
            )
        elif isinstance(value, float) and not math.isfinite(value):
            raise SettingsError(f"{source}: setting '{where}' must be a finite number, got {value!r}")
        elif isinstance(base[key], int) and not isinstance(base[key], bool) and isinstance(value, float):
            if not value.is_integer():
                raise SettingsError(f"{source}: setting '{where}' must be a whole number, got {value!r}")
            base[key] = int(value)
        else:
            base[key] = copy.deepcopy(value)


def resolve_settings_file(name: str, cwd: Path | None = None) -> Path:
    """A name on the command line: the current directory first, then the packaged settings
    (so the original's ``settings/CIFAR10.json`` works from the repository root)."""
    p = Path(name)
    here = (cwd or Path.cwd()) / p
    if here.is_file():
        return here
    packaged = PACKAGE_DIR / p.name
    if packaged.is_file() and packaged.suffix == ".json":
        return packaged
    raise SettingsError(f"settings file {name!r} not found (looked in {here.parent} and the packaged settings "
                        f"{', '.join(sorted(f.name for f in PACKAGE_DIR.glob('*.json')))})")


class Settings:
    """A merged settings tree with convenient section access; ``snapshot()`` gives plain JSON data."""

    def __init__(self, tree: dict[str, Any], sources: list[str]) -> None:
        self.tree = tree
        self.sources = sources

    def __getitem__(self, category: str) -> dict[str, Any]:
        return self.tree[category]

    @property
    def dataset(self) -> str:
        return str(self.tree["NAS_SETTINGS_GENERAL"]["DATASET"])

    @property
    def per_dataset(self) -> dict[str, Any]:
        return self.tree["NAS_SETTINGS_PER_DATASET"][self.dataset]

    @property
    def suffix(self) -> str:
        return str(self.tree["GLOBAL_SETTINGS"]["EXP_SUFFIX"])

    def snapshot(self) -> dict[str, Any]:
        return copy.deepcopy(self.tree)

    def validate(self) -> None:
        ev = self.tree["NAS_EVOSEARCH_SETTINGS"]
        if ev["EVOSEARCH_SCORE_TYPE"] not in SCORE_TYPES:
            raise SettingsError(f"EVOSEARCH_SCORE_TYPE {ev['EVOSEARCH_SCORE_TYPE']!r} not one of {SCORE_TYPES}")
        op = self.tree["TINAS"]["STAGE2_SETTINGS"]["MUTATION_OPERATOR"]
        if op not in MUTATION_OPERATORS:
            raise SettingsError(f"MUTATION_OPERATOR {op!r} not one of {MUTATION_OPERATORS}")
        if self.dataset not in self.tree["NAS_SETTINGS_PER_DATASET"]:
            raise SettingsError(f"DATASET {self.dataset!r} has no per-dataset settings")
        if ev["POP_SIZE"] < 2 or ev["GENERATIONS"] < 1:
            raise SettingsError("POP_SIZE must be ≥ 2 and GENERATIONS ≥ 1")
        if self.tree["PLATFORM_SETTINGS"]["COST_MODEL"] not in ("tinas2025", "firmware"):
            raise SettingsError(f"COST_MODEL {self.tree['PLATFORM_SETTINGS']['COST_MODEL']!r} not one of "
                                f"('tinas2025', 'firmware')")
        mu = parent_count(self)
        if mu < 2:
            raise SettingsError(
                f"POP_SIZE {ev['POP_SIZE']} × PARENT_RATIO {ev['PARENT_RATIO']} gives {mu} parent(s): crossover "
                f"would only clone it; use POP_SIZE ≥ {_min_pop(float(ev['PARENT_RATIO']))} (8 at the original's 0.2)")
        if mu > ev["POP_SIZE"]:
            raise SettingsError(f"PARENT_RATIO {ev['PARENT_RATIO']} gives more parents than POP_SIZE {ev['POP_SIZE']}")
        if not 0 < ev["VALIDATION_FRACTION"] < 1:
            raise SettingsError(f"VALIDATION_FRACTION must be in (0, 1), got {ev['VALIDATION_FRACTION']}")
        for key in ("LAT_E2E_REQ", "CCAP"):
            v = self.tree["PLATFORM_SETTINGS"][key]
            if not v > 0:
                raise SettingsError(f"{key} must be positive, got {v}")
        imc = self.tree["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"]
        if not 0 <= imc <= 100:
            raise SettingsError(f"IMC_CONSTRAINT must be a percentage in [0, 100], got {imc}")


def parent_count(settings: "Settings") -> int:
    """μ = round(PARENT_RATIO · POP_SIZE), as the original (original-tinas.md, search §8.1)."""
    ev = settings["NAS_EVOSEARCH_SETTINGS"]
    return int(round(float(ev["PARENT_RATIO"]) * int(ev["POP_SIZE"])))


def _min_pop(ratio: float) -> int:
    p = 2
    while int(round(ratio * p)) < 2 and p < 10_000:
        p += 1
    return p


def load_settings(files: list[str] | None = None, inline_json: str | None = None,
                  overrides: dict[str, dict[str, Any]] | None = None, cwd: Path | None = None) -> Settings:
    """Defaults → files (left to right) → inline JSON → flag overrides; then validated."""
    tree = copy.deepcopy(DEFAULTS)
    sources = ["defaults"]
    for name in files or []:
        path = resolve_settings_file(name, cwd)
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except json.JSONDecodeError as exc:
            raise SettingsError(f"{path}: not valid JSON ({exc.msg} at line {exc.lineno})") from None
        if not isinstance(data, dict):
            raise SettingsError(f"{path}: a settings file must hold a JSON object")
        merge_into(tree, data, str(path))
        sources.append(str(path))
    if inline_json:
        try:
            data = json.loads(inline_json)
        except json.JSONDecodeError as exc:
            raise SettingsError(f"--settings-json: not valid JSON ({exc.msg})") from None
        merge_into(tree, data, "--settings-json")
        sources.append("--settings-json")
    if overrides:
        merge_into(tree, overrides, "command line")
        sources.append("command line")
    s = Settings(tree, sources)
    s.validate()
    return s
