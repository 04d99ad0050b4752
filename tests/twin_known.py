"""A known fr5994-port defect the twin detects, shared by the twin-backed tests: the port's DMA channel
plan (contract: channels 0/1 with eUSCI_B1 triggers) names triggers the FR5994 does not have on those
channels, so the twin stops at the first NVM transfer. Tests hitting exactly that xfail naming it."""

from __future__ import annotations

import contextlib

import pytest


def is_port_dma_problem(exc: BaseException) -> bool:
    s = str(exc)
    return "DMA" in s and "trigger" in s and "held in reset" in s


@contextlib.contextmanager
def xfail_on_port_dma_problem():
    try:
        yield
    except Exception as exc:  # noqa: BLE001 - re-raised unless it is the known defect
        if is_port_dma_problem(exc):
            pytest.xfail(f"fr5994 port: {exc}")
        raise
