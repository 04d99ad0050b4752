"""The runtime's progress and cycle counters on the host port, against hand counts and against a
continuous run. With --tick-clock the firmware's clock counts its own reads, so the committed counters
are exact: one tick per tile executed (compute), one per committed batch (preservation), one per boot
(recovery). The hand counts below come from the tile grid of each layer (rt_layers.c's contract:
ceil-divided output rows, columns, channels and, for CONV/FC, input-channel slices; a global pooling
layer tiles its input) and the batch size S, and are computed here from the artifact's network and
designs, not read from the firmware."""

from __future__ import annotations

import math

import pytest

from hil.drivers.host_process import HostDevice, build_host_firmware
from hil.serial_protocol import FrameType
from tests.fw_models import IMAGE_BLOCKS, SERIES_BLOCKS, alternative_designs, make_artifact

pytestmark = pytest.mark.tools("gcc", "make")

CASES = {
    "image-2d": dict(dataset="DIGITS", width=0.5, resolution=8, blocks=IMAGE_BLOCKS),
    "series-1d": dict(dataset="MOTION", width=0.6, resolution=32, blocks=SERIES_BLOCKS),
}


def hand_counts(art) -> tuple[int, int]:
    """(tiles, committed batches) of one inference, from the network and the designs."""
    by_name = {l.name: l for l in art.record.network.layers}
    tiles = batches = 0
    for fl in art.record.firmware_layers:
        first, last, d = by_name[fl.covers[0]], by_name[fl.covers[-1]], fl.design
        if fl.kind == "GAP":
            n = math.ceil(first.IFM.H / d.Tr) * math.ceil(first.IFM.W / d.Tc) * math.ceil(last.OFM.CH / d.Tm)
            s = 1
        else:
            slices = math.ceil(first.IFM.CH / d.Tn) if fl.kind in ("CONV", "FC") else 1
            n = (math.ceil(last.OFM.H / d.Tr) * math.ceil(last.OFM.W / d.Tc) * math.ceil(last.OFM.CH / d.Tm)
                 * slices)
            s = 1 if slices > 1 else d.S  # partial sums across slices: commit after every tile
        tiles += n
        batches += math.ceil(n / s)
    return tiles, batches


def done_frame(summary) -> dict[str, int]:
    frames = [f for f in summary.frames if f.type == FrameType.DONE]
    assert frames, "no DONE frame"
    return frames[-1].fields()


@pytest.fixture(scope="module")
def exe():
    return build_host_firmware()


def test_hand_count_of_a_small_grid():
    """The counting rule on numbers small enough to check by eye: an 8×8×6 output of a CONV with 4 input
    channels, Tr=Tc=3, Tm=4, Tn=2 -> 3·3·2 tiles × 2 slices = 36 tiles, each its own batch."""
    from types import SimpleNamespace as N

    net = N(layers=[N(name="C", IFM=N(CH=4, H=8, W=8), OFM=N(CH=6, H=8, W=8))])
    fl = N(kind="CONV", covers=("C",), design=N(Tr=3, Tc=3, Tm=4, Tn=2, S=3))
    assert hand_counts(N(record=N(network=net, firmware_layers=[fl]))) == (36, 36)
    fl1 = N(kind="CONV", covers=("C",), design=N(Tr=3, Tc=3, Tm=4, Tn=4, S=4))  # one slice: batches of 4
    assert hand_counts(N(record=N(network=net, firmware_layers=[fl1]))) == (18, 5)


@pytest.mark.parametrize("case", sorted(CASES))
def test_continuous_run_counts_by_hand(tmp_path, exe, case):
    art = make_artifact(tmp_path / "a", proactive=False, **CASES[case])
    tiles, batches = hand_counts(art)
    s = HostDevice(exe, art, tmp_path / "nvm", tick_clock=True).run()
    assert s.correct and s.restarts == 0
    c = s.ctrl
    assert (c["compute_cycles"], c["preserve_cycles"], c["recover_cycles"], c["boot_count"]) == (tiles, batches, 1, 1)
    assert max(c["slot0_seq"], c["slot1_seq"]) == batches  # one commit per batch
    assert abs(c["slot0_seq"] - c["slot1_seq"]) == 1  # the two slots alternate
    d = done_frame(s)
    assert (d["compute_cycles"], d["preserve_cycles"], d["recover_cycles"], d["boot_count"]) == (tiles, batches, 1, 1)


@pytest.mark.parametrize("case", sorted(CASES))
def test_intermittent_run_commits_what_a_continuous_run_counts(tmp_path, exe, case):
    """Proactive shutdown after every batch: every counter survives the reboots (committed to NVM), so
    compute and preservation equal the continuous run's, and there is one recovery per boot."""
    cont = HostDevice(exe, make_artifact(tmp_path / "c", proactive=False, **CASES[case]), tmp_path / "nvm_c",
                      tick_clock=True).run()
    art = make_artifact(tmp_path / "a", proactive=True, **CASES[case])
    tiles, batches = hand_counts(art)
    s = HostDevice(exe, art, tmp_path / "nvm", tick_clock=True).run(yield_mode=True)
    assert s.correct and s.restarts == batches  # a shutdown after every committed batch
    c = s.ctrl
    assert c["compute_cycles"] == cont.ctrl["compute_cycles"] == tiles
    assert c["preserve_cycles"] == cont.ctrl["preserve_cycles"] == batches
    assert c["boot_count"] == batches + 1 and c["recover_cycles"] == batches + 1
    assert max(c["slot0_seq"], c["slot1_seq"]) == batches
    d = done_frame(s)
    assert (d["compute_cycles"], d["preserve_cycles"], d["recover_cycles"]) == (tiles, batches, batches + 1)
    boots = [f.fields()["boot_count"] for f in s.frames if f.type == FrameType.BOOT]
    assert boots == list(range(1, batches + 2))


def test_odd_tilings_count_by_hand(tmp_path, exe):
    """Random legal designs (small Tn: partial sums across slices; S up to 3) change the counts, and the
    counters follow the hand count exactly."""
    c = CASES["image-2d"]
    designs = alternative_designs(seed=5, **c)
    art = make_artifact(tmp_path / "a", designs=designs, proactive=True, **c)
    tiles, batches = hand_counts(art)
    s = HostDevice(exe, art, tmp_path / "nvm", tick_clock=True).run(yield_mode=True)
    assert s.correct
    assert (s.ctrl["compute_cycles"], s.ctrl["preserve_cycles"], s.ctrl["recover_cycles"]) == (tiles, batches, batches + 1)


@pytest.mark.parametrize("first_write", [3, 7, 20])
def test_counters_under_power_failures(tmp_path, exe, first_write):
    """Failures injected mid-run (at the K-th NVM write of a boot, K ≥ 3, after the boot's own counter
    writes): one recovery per boot; the commit sequence still counts each batch once; compute and
    preservation never count a re-executed tile twice."""
    art = make_artifact(tmp_path / "a", proactive=False, **CASES["image-2d"])
    tiles, batches = hand_counts(art)
    failures = [(first_write + 5 * i, 0) for i in range(6)]
    s = HostDevice(exe, art, tmp_path / "nvm", tick_clock=True).run(failures=failures)
    assert s.correct and s.injected_failures == 6
    c = s.ctrl
    assert c["boot_count"] == 7 and c["recover_cycles"] == 7
    assert max(c["slot0_seq"], c["slot1_seq"]) == batches
    assert c["compute_cycles"] <= tiles and c["preserve_cycles"] <= batches
    # at most the batch cut between its commit and its counter writes is lost per failure
    assert c["compute_cycles"] >= tiles - 6 * 3 and c["preserve_cycles"] >= batches - 6
