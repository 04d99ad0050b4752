"""Settings: the original's files merge left to right; errors name the file and the key."""

from __future__ import annotations

import json

import pytest

from tinas.settings import SettingsError, load_settings


def test_merge_order_and_packaged_resolution():
    s = load_settings(["settings/CIFAR10.json", "settings/TiNAS-M.json"])
    assert s.dataset == "CIFAR10" and s.suffix == "TiNAS-M"
    assert s["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] == 30
    assert s["NAS_EVOSEARCH_SETTINGS"]["POP_SIZE"] == 8  # from CIFAR10.json
    assert s["TINAS"]["STAGE1_SETTINGS"]["DROPPING_NET_LEVEL"]["INPUT_RESOLUTION"] == [28]
    s2 = load_settings(["settings/TiNAS-M.json", "settings/TiNAS.json"])
    assert s2["PLATFORM_SETTINGS"]["IMC_CONSTRAINT"] == 0 and s2.suffix == "TiNAS"  # later file wins
    s3 = load_settings(["settings/HAR.json"], overrides={"PLATFORM_SETTINGS": {"CCAP": 0.0001}})
    assert s3["PLATFORM_SETTINGS"]["CCAP"] == 0.0001


def test_local_file_wins_over_packaged(tmp_path):
    (tmp_path / "settings").mkdir()
    (tmp_path / "settings" / "CIFAR10.json").write_text(json.dumps({"NAS_SETTINGS_GENERAL": {"DATASET": "HAR"}}))
    assert load_settings(["settings/CIFAR10.json"], cwd=tmp_path).dataset == "HAR"


@pytest.mark.parametrize("payload, needle", [
    ({"PLATFORM_SETTINGS": {"CCAPX": 1}}, "unknown setting 'PLATFORM_SETTINGS.CCAPX'"),
    ({"NOPE": {}}, "unknown setting 'NOPE'"),
    ({"PLATFORM_SETTINGS": {"CCAP": "big"}}, "must be float"),
    ({"NAS_EVOSEARCH_SETTINGS": {"EVOSEARCH_SCORE_TYPE": "FAST"}}, "EVOSEARCH_SCORE_TYPE"),
])
def test_errors_name_file_and_key(tmp_path, payload, needle):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(payload))
    with pytest.raises(SettingsError, match=needle.replace("(", r"\(")) as exc:
        load_settings([str(p)])
    if "unknown" in needle or "must be" in needle:
        assert str(p) in str(exc.value)


def test_missing_file():
    with pytest.raises(SettingsError, match="not found"):
        load_settings(["settings/NOPE.json"])
