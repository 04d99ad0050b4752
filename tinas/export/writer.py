"""Write the model artifact: quantise, lay the model out in NVM, compute golden vectors, and refuse
what the firmware cannot hold (with the reason)."""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tinas.cost import COST_MODEL_VERSION, evaluate_design
from tinas.export import layout
from tinas.export.artifact import Artifact, FirmwareLayer, Predictions, write_manifest
from tinas.network import LayerDesign, Network
from tinas.platform import Platform
from tinas.errors import ExportError
from tinas.quant.graph import QLayer
from tinas.quant.q15 import quantize_input
from tinas.quant.quantize import QModel, quantize
from tinas.quant.reference import run
from tinas.records import _umask

RT_VM_WORDS = 1024  # firmware/include/rt_config.h
RT_MAX_TM = 256
EXT_FRAM_BYTES = 1 << 20  # the board's external SPI FRAM (CY15B108QI, 8 Mbit): all the NVM the firmware has


def _align(x: int, a: int = 4) -> int:
    return (x + a - 1) // a * a


def check_fits_firmware(ql: QLayer) -> None:
    """The tile buffers the runtime needs for this layer's design (mirrors rt_layers.c)."""
    d = ql.design
    tm = min(d.Tm, ql.out_c)
    if tm > RT_MAX_TM:
        raise ExportError(f"layer {ql.name}: Tm={d.Tm} exceeds the firmware's {RT_MAX_TM} channels per tile")
    if ql.kind in ("CONV", "DW", "FC"):
        tr, tc = min(d.Tr, ql.out_h), min(d.Tc, ql.out_w)
        tn = tm if ql.kind == "DW" else min(d.Tn, ql.in_c)
        tri, tci = (tr - 1) * ql.stride + ql.kh, (tc - 1) * ql.stride + ql.kw
        words = tri * tci * tn + ql.kh * ql.kw * tm * (1 if ql.kind == "DW" else tn)
        if words > RT_VM_WORDS:
            raise ExportError(f"layer {ql.name}: design {d.params} needs {words} words of tile buffer, "
                              f"the firmware has {RT_VM_WORDS}")


@dataclass
class Placement:
    weights: dict[int, tuple[int, int]]  # layer -> (w_off, b_off)
    outputs: dict[int, int]  # layer -> out_off
    input_off: int
    ctrl_off: int
    psum_off: int
    blob_end: int
    nvm_size: int


def _allocate_activations(layers: list[QLayer], base: int) -> tuple[dict[int, int], int]:
    """First-fit allocation of output buffers by liveness; a buffer is never shared with a buffer live
    at the same time, so a layer's output never overlaps its inputs (tiles stay idempotent)."""
    n = len(layers)
    last_use = {i: (n if i == n - 1 else i) for i in range(n)}
    for j, ql in enumerate(layers):
        for src in (ql.in_idx, ql.in2_idx):
            if src >= 0:
                last_use[src] = max(last_use[src], j)
    placed: list[tuple[int, int, int, int]] = []  # (start, end_addr, birth, death)
    out: dict[int, int] = {}
    top = base
    for i, ql in enumerate(layers):
        size = _align(ql.out_elements * 2)
        live = sorted((s, e) for s, e, b, d in placed if not (d < i or b > last_use[i]))
        addr = base
        for s, e in live:
            if addr + size <= s:
                break
            addr = max(addr, e)
        placed.append((addr, addr + size, i, last_use[i]))
        out[i] = addr
        top = max(top, addr + size)
    return out, top


def place(qm: QModel) -> Placement:
    n = len(qm.layers)
    pos = layout.HEADER.size + n * layout.LAYER.size
    pos = _align(pos)
    weights = {}
    for i, ql in enumerate(qm.layers):
        if ql.w_q is not None:
            w_off = pos
            pos = _align(pos + ql.w_q.size * 2)
            b_off = pos
            pos = _align(pos + ql.out_c * 4)
            weights[i] = (w_off, b_off)
    input_off = pos
    h, w, c = qm.input_shape
    pos = _align(pos + h * w * c * 2)
    ctrl_off = pos
    pos = _align(pos + layout.CTRL.size + layout.counters_bytes(n))
    blob_end = pos
    psum = 0
    for ql in qm.layers:
        d = ql.design
        needs = (ql.kind in ("CONV", "FC") and -(-ql.in_c // d.Tn) > 1) or (
            ql.kind == "GAP" and (-(-ql.in_h // d.Tr)) * (-(-ql.in_w // d.Tc)) > 1)
        if needs:
            psum = max(psum, 2 * ql.out_elements * 4)
    psum_off = pos
    pos = _align(pos + psum)
    outputs, top = _allocate_activations(qm.layers, pos)
    return Placement(weights, outputs, input_off, ctrl_off, psum_off, blob_end, top)


def build_blob(qm: QModel, pl: Placement, x_q: np.ndarray, proactive: bool) -> bytes:
    buf = bytearray(pl.blob_end)
    out_last = pl.outputs[len(qm.layers) - 1]
    table_off = layout.HEADER.size
    for i, ql in enumerate(qm.layers):
        w_off, b_off = pl.weights.get(i, (0, 0))
        d = ql.design
        rec = {
            "kind": layout.KIND_CODES[ql.kind], "order": layout.ORDER_CODES[d.order], "S": d.S,
            "flags": layout.LAYER_FLAG_ONE_D if ql.one_d else 0,
            "in_c": ql.in_c, "in_h": ql.in_h, "in_w": ql.in_w, "out_c": ql.out_c, "out_h": ql.out_h,
            "out_w": ql.out_w, "kh": ql.kh, "kw": ql.kw, "stride": ql.stride, "pad": ql.pad,
            "Tr": min(d.Tr, 65535), "Tc": min(d.Tc, 65535), "Tm": d.Tm, "Tn": d.Tn,
            "shift": ql.shift, "shift_b": ql.shift_b,
            "in_off": pl.input_off if ql.in_idx < 0 else pl.outputs[ql.in_idx],
            "in2_off": pl.outputs[ql.in2_idx] if ql.in2_idx >= 0 else 0,
            "out_off": pl.outputs[i], "w_off": w_off, "b_off": b_off,
        }
        buf[table_off + i * layout.LAYER.size: table_off + (i + 1) * layout.LAYER.size] = layout.pack(
            layout.LAYER, layout.LAYER_FIELDS, rec)
        if ql.w_q is not None:
            wb = ql.w_q.astype("<i2").tobytes()
            buf[w_off: w_off + len(wb)] = wb
            bb = ql.b_q.astype("<i4").tobytes()
            buf[b_off: b_off + len(bb)] = bb
    xb = x_q.astype("<i2").tobytes()
    buf[pl.input_off: pl.input_off + len(xb)] = xb
    header = {
        "magic": layout.MAGIC, "version": layout.VERSION, "n_layers": len(qm.layers), "table_off": table_off,
        "blob_size": pl.blob_end, "input_off": pl.input_off, "psum_off": pl.psum_off, "ctrl_off": pl.ctrl_off,
        "out_off": out_last, "out_len": qm.layers[-1].out_elements,
        "flags": layout.FLAG_PROACTIVE if proactive else 0, "crc32": 0,
    }
    buf[: layout.HEADER.size] = layout.pack(layout.HEADER, layout.HEADER_FIELDS, header)
    header["crc32"] = zlib.crc32(bytes(buf)) & 0xFFFFFFFF
    buf[: layout.HEADER.size] = layout.pack(layout.HEADER, layout.HEADER_FIELDS, header)
    return bytes(buf)


def c_header(blob: bytes, name: str) -> str:
    lines = [f"/* Generated by tinas export: model '{name}' ({len(blob)} bytes). Do not edit. */",
             "#include <stdint.h>", f"#define TINAS_MODEL_SIZE {len(blob)}u",
             "static const uint8_t tinas_model_blob[TINAS_MODEL_SIZE] = {"]
    for i in range(0, len(blob), 16):
        lines.append("    " + ", ".join(f"0x{b:02x}" for b in blob[i: i + 16]) + ",")
    lines.append("};")
    return "\n".join(lines) + "\n"


def _components(cost, power: str) -> dict[str, float]:
    return {k: float(v) for k, v in cost.totals(power).items()}


def predictions_for(network: Network, designs: list[LayerDesign], platform: Platform) -> Predictions | None:
    cost = evaluate_design(network, designs, platform, power="INT")
    if not cost.feasible:
        return None
    return Predictions(
        latency_intermittent_s=cost.latency_intermittent_s, latency_continuous_s=cost.latency_continuous_s,
        active_time_s=cost.active_time_s, recharge_time_s=cost.recharge_time_s, imo_percent=cost.imo_percent,
        power_cycles=cost.power_cycles, ccap_f=platform.ccap_f, platform_sha256=platform.sha256,
        cost_model_version=COST_MODEL_VERSION, components_int_s=_components(cost, "INT"),
        components_cont_s=_components(cost, "CONT"),
    )


def export_model(network: Network, designs: list[LayerDesign], weights: dict[str, np.ndarray],
                 calib_inputs: np.ndarray, out_dir: str | Path, *, golden_input: np.ndarray | None = None,
                 platform: Platform | None = None, proactive: bool = False, name: str = "model",
                 source: str = "", nvm_limit_bytes: int | None = EXT_FRAM_BYTES) -> Artifact:
    """Quantise and write an artifact directory. Raises ``ExportError`` naming what does not fit.

    ``proactive``: the header's PROACTIVE flag — one preservation batch (S tiles) per power cycle, as the
    original TiNAS runs (commit, then shut down and wait for the recharge); the default is the brown-out
    regime (commit every batch, run until the energy runs out). ``nvm_limit_bytes``: at most the 1 MiB of
    the external FRAM (a larger model is refused naming both sizes); None lifts the limit (host runs)."""
    qm = quantize(network, list(designs), weights, calib_inputs)
    for ql in qm.layers:
        check_fits_firmware(ql)
    pl = place(qm)
    if nvm_limit_bytes is not None and pl.nvm_size > nvm_limit_bytes:
        where = " (the 1 MiB external FRAM)" if nvm_limit_bytes == EXT_FRAM_BYTES else ""
        raise ExportError(f"the model needs {pl.nvm_size} B of NVM (weights, input, activations, partial sums, "
                          f"progress); the target holds {nvm_limit_bytes} B{where}")
    x = calib_inputs[0] if golden_input is None else golden_input
    x_q = quantize_input(x)
    outs = run(qm, x_q)
    blob = build_blob(qm, pl, x_q, proactive)
    wsha = hashlib.sha256(b"".join(np.ascontiguousarray(weights[k]).tobytes() for k in sorted(weights))).hexdigest()
    rec = Artifact(
        name=name, network=network, designs=tuple(designs),
        firmware_layers=tuple(FirmwareLayer(name=ql.name, covers=ql.covers, kind=ql.kind, f_out=ql.f_out,
                                            shift=ql.shift, out_elements=ql.out_elements, design=ql.design)
                              for ql in qm.layers),
        blob_sha256=hashlib.sha256(blob).hexdigest(), blob_size=len(blob), nvm_size=pl.nvm_size,
        out_len=qm.layers[-1].out_elements, out_f=qm.layers[-1].f_out, proactive_shutdown=proactive,
        predictions=predictions_for(network, list(designs), platform) if platform is not None else None,
        source=source, weights_sha256=wsha,
    )
    # everything goes to a temporary sibling folder that replaces the target only when complete
    d = Path(out_dir)
    d.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{d.name}.", dir=d.parent))
    tmp.chmod(0o777 & ~_umask())  # mkdtemp makes 0700; an artifact is for sharing
    try:
        (tmp / "model.bin").write_bytes(blob)
        (tmp / "model.h").write_text(c_header(blob, name))
        golden = {"input": x_q, **{f"layer_{i}": o for i, o in enumerate(outs)}}
        np.savez(tmp / "golden.npz", **golden)
        rec.to_file(tmp / "artifact.json")
        write_manifest(tmp)
        if d.exists():
            shutil.rmtree(d)
        os.replace(tmp, d)
    finally:
        if tmp.exists():
            shutil.rmtree(tmp)
    return rec
