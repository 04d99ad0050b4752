"""Guideline 1 applied to the search space: the choice lists a run actually searches."""

from __future__ import annotations

from tinas.search_space import BlockChoice, DatasetSpace, block_choice_list, get_space, net_choice_list
from tinas.settings import Settings, SettingsError

_BLOCK_KEYS = {"EXP_FACTORS": "exp_factors", "KERNEL_SIZES": "kernel_sizes",
               "MOBILENET_NUM_LAYERS_EXPLICIT": "num_layers", "SUPPORT_SKIP": "support_skip"}
_NET_KEYS = {"WIDTH_MULTIPLIER": "width_multipliers", "INPUT_RESOLUTION": "input_resolutions"}


def _check_strict_subset(space: DatasetSpace, drops: dict[str, list], keys: dict[str, str], level: str) -> None:
    for key, attr in keys.items():
        values = set(getattr(space, attr))
        dropped = set(drops.get(key, []))
        if not dropped <= values:
            raise SettingsError(f"{level}.{key}: {sorted(dropped - values, key=str)} not in the {space.name} choices")
        if dropped == values:
            raise SettingsError(f"{level}.{key}: dropping every value of {sorted(values, key=str)} leaves nothing to search")


def dropped_lists(settings: Settings) -> tuple[dict[str, list] | None, dict[str, list] | None]:
    """(block-level, net-level) drops when Guideline 1 is on, else (None, None)."""
    st1 = settings["TINAS"]["STAGE1_SETTINGS"]
    if not st1["DROPPING_ENABLED"]:
        return None, None
    space = get_space(settings.dataset)
    blk, net = st1["DROPPING_BLOCK_LEVEL"], st1["DROPPING_NET_LEVEL"]
    _check_strict_subset(space, blk, _BLOCK_KEYS, "DROPPING_BLOCK_LEVEL")
    _check_strict_subset(space, net, _NET_KEYS, "DROPPING_NET_LEVEL")
    block = {"EXP_FACTORS": blk["EXP_FACTORS"], "KERNEL_SIZES": blk["KERNEL_SIZES"],
             "NUM_LAYERS": blk["MOBILENET_NUM_LAYERS_EXPLICIT"], "SUPPORT_SKIP": blk["SUPPORT_SKIP"]}
    return block, dict(net)


def search_lists(settings: Settings) -> tuple[DatasetSpace, list[tuple[float, int]], list[BlockChoice]]:
    """The dataset space, its (width, resolution) pairs and its block choices after Guideline 1."""
    space = get_space(settings.dataset)
    block_drop, net_drop = dropped_lists(settings)
    return space, net_choice_list(space, net_drop), block_choice_list(space, block_drop)


def value_lists(settings: Settings) -> dict[str, list]:
    """Per-field value lists the mutation draws from ('dropped' or 'default' block search space)."""
    space = get_space(settings.dataset)
    lists = {"exp": list(space.exp_factors), "kernel": list(space.kernel_sizes), "layers": list(space.num_layers),
             "skip": list(space.support_skip)}
    block_drop, _ = dropped_lists(settings)
    if settings["TINAS"]["STAGE2_SETTINGS"]["BLOCK_SEARCH_SPACE"] == "dropped" and block_drop is not None:
        for field, key in (("exp", "EXP_FACTORS"), ("kernel", "KERNEL_SIZES"), ("layers", "NUM_LAYERS"),
                           ("skip", "SUPPORT_SKIP")):
            lists[field] = sorted(v for v in lists[field] if v not in set(block_drop[key]))
    return lists
