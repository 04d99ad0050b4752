"""The network contract: an ordered list of layer records in the form the original TiNAS produced.

The cost model, the exporter and the firmware all read this one description, so a network found by the
search, a network typed by hand and a network taken from a published solution file behave the same.
Validation follows the original's layer checks (original-tinas.md, cost model §3.1), and every refusal names the layer.
"""

from __future__ import annotations

import json
import logging
import re
from pathlib import Path
from typing import Any, ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tinas.errors import ContractError
from tinas.records import Record

_log = logging.getLogger(__name__)

LayerType = Literal["CONV", "FC", "BN", "RELU", "ADD", "GAVGPOOL"]
LoopOrder = Literal["reuse_I", "reuse_W", "reuse_O"]

# optype enum of the original (original-tinas.md, cost model §3.1)
O_CONV2D, O_CONV2D_SP, O_CONV2D_PW, O_CONV2D_DW = 0, 1, 2, 3
O_BN, O_RELU, O_FC, O_AVGPOOL, O_ADD = 4, 5, 6, 7, 8
O_CONV1D, O_CONV1D_SP, O_CONV1D_PW, O_CONV1D_DW = 9, 10, 11, 12
DEPTHWISE_OPTYPES = frozenset({O_CONV2D_DW, O_CONV1D_DW})
STANDARD_CONV_OPTYPES = frozenset({O_CONV2D, O_CONV1D, O_CONV2D_PW, O_CONV1D_PW, O_FC, O_CONV2D_SP, O_CONV1D_SP})
_EXPECTED_OPTYPE = {"BN": {O_BN}, "RELU": {O_RELU}, "ADD": {O_ADD}, "GAVGPOOL": {O_AVGPOOL}, "FC": {O_FC}}


class NetworkError(ContractError):
    """A network description that the cost model or the firmware cannot accept."""


class Shape(BaseModel):
    """The original's Mat(N, CH, H, W); all None inside ``K`` of layers without a kernel."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    N: int | None = None
    CH: int | None = None
    H: int | None = None
    W: int | None = None

    def dims(self) -> tuple[int, int, int, int]:
        return (self.N or 0, self.CH or 0, self.H or 0, self.W or 0)

    @property
    def empty(self) -> bool:
        return self.N is None and self.CH is None and self.H is None and self.W is None


class Layer(BaseModel):
    """One layer record (original-tinas.md, cost model §3.1). ``add_from`` names the layer whose output is the second
    input of an ADD (None in the original's files, which never needed it)."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    name: str = Field(min_length=1)
    alias: str | None = None
    type: LayerType
    optype: int = Field(ge=0, le=12)
    stride: int | None = None
    pad: int | None = None
    K: Shape = Shape()
    IFM: Shape
    OFM: Shape
    add_from: str | None = None

    @property
    def is_depthwise(self) -> bool:
        return self.optype in DEPTHWISE_OPTYPES

    @property
    def is_1d(self) -> bool:
        return self.IFM.W == 1 and self.OFM.W == 1 and self.optype >= O_CONV1D

    def shape_key(self) -> tuple[Any, ...]:
        """Everything the cost of a layer depends on (its name excluded), for caching."""
        return (self.type, self.optype, self.stride, self.K.dims(), self.IFM.dims(), self.OFM.dims())


class LayerDesign(BaseModel):
    """The execution design of one layer (contract 3): tile sizes, inter-tile loop order, batch S."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    Tr: int = Field(ge=1)
    Tc: int = Field(ge=1)
    Tm: int = Field(ge=1)
    Tn: int = Field(ge=1)
    order: LoopOrder
    S: int = Field(default=1, ge=1)

    @property
    def params(self) -> str:
        """The original's params string, e.g. ``8_8_8_1_reuse_O_S1``."""
        return f"{self.Tr}_{self.Tc}_{self.Tm}_{self.Tn}_{self.order}_S{self.S}"

    @classmethod
    def parse(cls, value: str | dict[str, Any]) -> LayerDesign:
        """Read a design from the original's string or dict forms (``reuse_sch`` key)."""
        if isinstance(value, str):
            m = re.fullmatch(r"(\d+)_(\d+)_(\d+)_(\d+)_(reuse_[IWO])_S(\d+)", value)
            if not m:
                raise NetworkError(f"design string {value!r} is not of the form Tr_Tc_Tm_Tn_reuse_X_S<n>")
            tr, tc, tm, tn, order, s = m.groups()
            return cls(Tr=int(tr), Tc=int(tc), Tm=int(tm), Tn=int(tn), order=order, S=int(s))  # type: ignore[arg-type]
        order = value.get("order", value.get("reuse_sch"))
        return cls(Tr=value["Tr"], Tc=value["Tc"], Tm=value["Tm"], Tn=value["Tn"], order=order, S=value.get("S", 1))


def _need(cond: bool, layer: Layer, what: str) -> None:
    if not cond:
        raise NetworkError(f"layer {layer.name} ({layer.type}, optype {layer.optype}): {what}")


def validate_layer(layer: Layer) -> None:
    """The shape checks of the original (§3.1), stated as errors that name the layer."""
    ifm, ofm, k = layer.IFM, layer.OFM, layer.K
    for label, shp in (("IFM", ifm), ("OFM", ofm)):
        _need(all(v is not None and v >= 1 for v in (shp.CH, shp.H, shp.W)), layer, f"{label} needs positive CH, H, W")
    if layer.type in _EXPECTED_OPTYPE:
        _need(layer.optype in _EXPECTED_OPTYPE[layer.type], layer, f"optype does not match type {layer.type}")
    if layer.type in ("CONV", "FC"):
        _need(not k.empty and all(v is not None and v >= 1 for v in k.dims()), layer, "kernel K needs N, CH, H, W")
        _need(k.N == ofm.CH, layer, f"K.N={k.N} must equal OFM.CH={ofm.CH}")
    if layer.type == "CONV":
        _need(layer.optype in STANDARD_CONV_OPTYPES | DEPTHWISE_OPTYPES and layer.optype != O_FC, layer,
              "CONV layer needs a convolution optype")
        _need(layer.stride in (1, 2), layer, f"stride must be 1 or 2, got {layer.stride}")
        _need(k.CH in (ifm.CH, 1), layer, f"K.CH={k.CH} must be IFM.CH={ifm.CH} (or 1 for depthwise)")
        if layer.is_depthwise:
            _need(k.CH == 1 and ifm.CH == ofm.CH, layer, "depthwise needs K.CH=1 and IFM.CH=OFM.CH")
        _need(ifm.H >= ofm.H, layer, f"IFM.H={ifm.H} smaller than OFM.H={ofm.H}")  # type: ignore[operator]
        pad = layer.pad or 0
        _need(pad >= 0, layer, f"padding must not be negative, got {pad}")
        _need(ifm.H + 2 * pad >= k.H, layer,  # type: ignore[operator]
              f"kernel height {k.H} larger than the padded input ({ifm.H} + 2·{pad})")
        if layer.optype < O_CONV1D:
            _need(ifm.W + 2 * pad >= k.W, layer,  # type: ignore[operator]
                  f"kernel width {k.W} larger than the padded input ({ifm.W} + 2·{pad})")
        if layer.optype < O_CONV1D:
            _need(ifm.H == ifm.W and ofm.H == ofm.W, layer, "2-D convolution needs square IFM and OFM")
            _need(k.H == k.W, layer, "2-D convolution needs a square kernel")
        else:
            _need(k.W == 1 and ifm.W == 1 and ofm.W == 1, layer, "1-D convolution needs W=1 and K.W=1")
    elif layer.type == "FC":
        _need(k.CH == ifm.CH and k.H == ifm.H, layer, f"FC kernel {k.dims()} does not match IFM {ifm.dims()}")
        _need(ofm.H == 1 and ofm.W == 1, layer, "FC output must be 1×1")
    elif layer.type in ("BN", "RELU", "ADD"):
        _need(k.empty and layer.stride is None, layer, "must have no kernel and no stride")
        _need(ifm.dims()[1:] == ofm.dims()[1:], layer, f"IFM {ifm.dims()} and OFM {ofm.dims()} must match")
    elif layer.type == "GAVGPOOL":
        _need(ofm.H == 1 and ofm.W == 1, layer, "global average pooling output must be 1×1")
        _need(ifm.CH == ofm.CH, layer, "global average pooling keeps the channel count")


_IGNORED_EXTRAS = ("lcnt", "objtype")


def layer_from_dict(d: Any, where: str) -> Layer:
    """Build a layer from a dict in the original's form (extra keys lcnt/objtype dropped)."""
    if not isinstance(d, dict):
        raise NetworkError(f"{where}: a layer must be a JSON object, got {type(d).__name__}")
    body = {k: v for k, v in d.items() if k not in _IGNORED_EXTRAS}
    body.setdefault("K", {})
    try:
        layer = Layer.model_validate(body)
    except ValidationError as exc:
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        name = d.get("name", "?")
        raise NetworkError(f"{where}: layer {name}: field '{loc}': {first['msg']}") from None
    validate_layer(layer)
    return layer


class Network(Record):
    """Contract 2: the ordered layer list."""

    FORMAT: ClassVar[str] = "tinas.network"
    VERSION: ClassVar[int] = 1
    layers: tuple[Layer, ...]

    @classmethod
    def from_layers(cls, layer_dicts: list[Any], source: str = "<data>") -> Network:
        if not isinstance(layer_dicts, list):
            raise NetworkError(f"{source}: expected a list of layers")
        if not layer_dicts:
            raise NetworkError(f"{source}: the network has no layers")
        layers = tuple(layer_from_dict(d, f"{source}[{i}]") for i, d in enumerate(layer_dicts))
        names = [l.name for l in layers]
        dup = {n for n in names if names.count(n) > 1}
        if dup:
            raise NetworkError(f"{source}: duplicate layer names {sorted(dup)}")
        return cls(layers=layers)

    @classmethod
    def load(cls, path: str | Path) -> Network:
        """Read a Network record, a bare layer list, or a solution file (its ``subnet_obj``)."""
        data = read_json_lenient(path)
        src = str(path)
        if isinstance(data, dict) and data.get("format") == cls.FORMAT:
            return cls.from_layers([l for l in data.get("layers", [])], src)
        if isinstance(data, dict) and data.get("format") == "tinas.solution":
            from tinas.solution import Solution  # a solution written by 'tinas search': validated whole

            return Solution.from_dict(data, src).network
        return cls.from_layers(extract_layer_list(data, src), src)


def extract_layer_list(data: Any, source: str) -> list[Any]:
    """Find the layer list in the original's solution files (list of records, subnet_obj inside)."""
    if isinstance(data, list) and data and isinstance(data[0], dict) and "type" in data[0]:
        return data
    candidates = data if isinstance(data, list) else [data]
    for item in candidates:
        if isinstance(item, dict):
            if isinstance(item.get("subnet_obj"), list):
                return item["subnet_obj"]
            info = item.get("subnet_latency_info")
            if isinstance(info, dict) and isinstance(info.get("subnet_obj"), list):
                return info["subnet_obj"]
    if isinstance(data, list) and not data:
        raise NetworkError(f"{source}: the network has no layers")
    raise NetworkError(f"{source}: no layer list found (expected a list of layers, or a solution with subnet_obj)")


def read_json_lenient(path: str | Path) -> Any:
    """JSON, tolerating the trailing commas of two published solution files (and saying so)."""
    p = Path(path)
    try:
        text = p.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise NetworkError(f"{p}: file not found") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise NetworkError(f"{p}: cannot read ({exc})") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    fixed = re.sub(r",(\s*[}\]])", r"\1", text)
    try:
        data = json.loads(fixed)
    except json.JSONDecodeError as exc:
        raise NetworkError(f"{p}: not valid JSON ({exc.msg} at line {exc.lineno}, column {exc.colno})") from None
    _log.warning(f"note: {p}: removed trailing commas before parsing")
    return data
