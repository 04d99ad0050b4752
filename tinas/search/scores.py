"""Fitness of a candidate (original-tinas.md, search §8.7): accuracy traded against IMO and the latency budget."""

from __future__ import annotations


def score(kind: str, acc: float, imo: float, lat: float, lat_req: float) -> float:
    if kind == "ACC":
        return acc
    if kind == "ACC_IMC":
        return acc / imo
    if kind == "ACC_IMO_LREQ":
        return acc * (1.0 / imo) * (lat / lat_req)
    if kind == "ACC_LREQ":
        return acc * lat / lat_req
    raise ValueError(f"unknown score type {kind!r}")
