"""The versioned-record base: envelope checks, atomic writes, error messages naming the file."""

import json
from typing import ClassVar

import pytest

from tinas.errors import ContractError
from tinas.records import Record, atomic_path


class Demo(Record):
    FORMAT: ClassVar[str] = "tinas.demo"
    VERSION: ClassVar[int] = 2
    latency_s: float


def test_round_trip(tmp_path):
    p = Demo(latency_s=1.5).to_file(tmp_path / "d.json")
    data = json.loads(p.read_text())
    assert data["format"] == "tinas.demo" and data["version"] == 2
    assert Demo.from_file(p).latency_s == 1.5


@pytest.mark.parametrize(
    "payload, needle",
    [
        ({"format": "other", "version": 1, "latency_s": 1}, "expected 'tinas.demo'"),
        ({"format": "tinas.demo", "version": 3, "latency_s": 1}, "version 3"),
        ({"format": "tinas.demo", "version": 1, "latency_s": "x"}, "field 'latency_s'"),
        ({"format": "tinas.demo", "version": 1, "latency_s": 1, "extra": 2}, "field 'extra'"),
    ],
)
def test_refusals_name_the_problem(tmp_path, payload, needle):
    p = tmp_path / "bad.json"
    p.write_text(json.dumps(payload))
    with pytest.raises(ContractError) as exc:
        Demo.from_file(p)
    assert needle in str(exc.value) and str(p) in str(exc.value)


def test_not_json_and_missing(tmp_path):
    p = tmp_path / "x.json"
    p.write_text("{nope")
    with pytest.raises(ContractError, match="not valid JSON"):
        Demo.from_file(p)
    with pytest.raises(ContractError, match="not found"):
        Demo.from_file(tmp_path / "missing.json")


def test_atomic_path_leaves_nothing_on_failure(tmp_path):
    target = tmp_path / "out.csv"
    with pytest.raises(RuntimeError):
        with atomic_path(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("boom")
    assert not target.exists()
    assert list(tmp_path.iterdir()) == []
