"""Per-dataset search spaces with the original's choice lists and defaults (original-tinas.md, search §3.3).

DIGITS and MOTION are this project's embedded defaults (data shipped with a dependency, no download):
scaled-down skeletons of the CIFAR10 (2-D) and HAR (1-D) spaces with the same block structure and choices.
"""

from __future__ import annotations

from dataclasses import dataclass

from tinas.errors import TinasError


@dataclass(frozen=True)
class DatasetSpace:
    name: str
    num_blocks: int
    num_classes: int
    stem_c_out: int
    input_channels: int
    downsample_blocks: tuple[int, ...]
    out_ch_per_blk: tuple[int, ...]
    use_1d: bool
    exp_factors: tuple[int, ...]
    kernel_sizes: tuple[int, ...]
    num_layers: tuple[int, ...]
    support_skip: tuple[bool, ...]
    width_multipliers: tuple[float, ...]
    input_resolutions: tuple[int, ...]

    def block_channels(self, width: float) -> tuple[int, ...]:
        """Output channels per block: 2·round(width·C/2), Python's banker's rounding as the original."""
        return tuple(2 * round(width * c / 2) for c in self.out_ch_per_blk[: self.num_blocks])


_EXP = (1, 3, 4, 6)
_K = (1, 3, 5, 7)
_SKIP = (False, True)
_W9 = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1.0)
_W6 = (0.5, 0.6, 0.7, 0.8, 0.9, 1.0)

SPACES: dict[str, DatasetSpace] = {
    "CIFAR10": DatasetSpace("CIFAR10", 4, 10, 16, 3, (0, 1, 2, 3), (16, 24, 32, 64, 96, 160, 320), False,
                            _EXP, _K, (1, 2, 3), _SKIP, _W9, (32, 28)),
    "HAR": DatasetSpace("HAR", 3, 6, 10, 9, (0, 1, 2), (8, 12, 16, 32, 48, 80, 160), True,
                        _EXP, _K, (1, 2, 3), _SKIP, _W6, (64, 128)),
    "MSWC": DatasetSpace("MSWC", 4, 300, 32, 1, (1, 2, 3), (24, 24, 32, 64, 96, 160, 320), False,
                         (1, 3, 6, 8), _K, (1, 2, 3, 4), _SKIP, _W9, (48, 52)),
    "KWS": DatasetSpace("KWS", 4, 12, 32, 1, (1, 2, 3), (24, 24, 32, 64, 96, 160, 320), False,
                        (1, 3, 6, 8), _K, (1, 2, 3, 4), _SKIP, _W9, (48, 52)),
    # embedded defaults: scikit-learn's 8×8 digits (1 channel; also upsampled to 12×12), and a real
    # accelerometer set (3 axes) resampled to 64 steps
    "DIGITS": DatasetSpace("DIGITS", 3, 10, 8, 1, (0, 1, 2), (8, 12, 16), False,
                           _EXP, _K, (1, 2, 3), _SKIP, _W6, (12, 8)),
    "MOTION": DatasetSpace("MOTION", 3, 4, 8, 3, (0, 1, 2), (8, 12, 16), True,
                           _EXP, _K, (1, 2, 3), _SKIP, _W6, (64, 32)),
}


def get_space(name: str) -> DatasetSpace:
    try:
        return SPACES[name.upper()]
    except KeyError:
        raise TinasError(f"unknown dataset search space {name!r}; known: {', '.join(SPACES)}") from None
