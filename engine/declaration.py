"""What a rulebook declares about itself in its top-level `rulebook.yaml`: the languages of its
texts, the named amounts a rule may compute besides `amount`, how amounts are rounded, and the
units and statuses its parameters may use. The engine knows none of these of its own.

    languages: [id, en]            # every title and message in each; the first is the default
    amounts: [late_fee]            # `late_fee: {calculator: …}` in a rule, `late_fee: …` in its examples
    rounding: {quantum: 1, mode: half-up}
    parameters: {units: [fraction, money, …], statuses: [P, D, …]}

A rulebook without the file (or a parameters folder read on its own) gets the generic defaults
below: texts in any language, no extra amount, amounts left exact, any unit, any status.
"""
from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal
from pathlib import Path
from typing import Any

import yaml

FILE = "rulebook.yaml"
ROUNDING_MODES = {"half-up": ROUND_HALF_UP, "half-even": ROUND_HALF_EVEN, "down": ROUND_DOWN, "up": ROUND_UP}
RESERVED_AMOUNTS = {"amount", "id", "category", "subject", "title", "message", "legal_basis", "severity", "when",
                    "evidence", "examples", "name", "fact", "fires"}


class DeclarationError(Exception):
    """rulebook.yaml is malformed; the message names the file and the key."""


@dataclass(frozen=True)
class Declaration:
    languages: tuple[str, ...] = ()
    amounts: tuple[str, ...] = ()
    quantum: Decimal | None = None
    mode: str = "half-up"
    units: tuple[str, ...] | None = None  # None: any unit name (nothing declared)
    statuses: tuple[str, ...] | None = None

    def round(self, value: Any) -> Decimal:
        """An amount as the rulebook keeps it: quantised once, or exact where nothing is declared."""
        value = Decimal(value)
        if self.quantum is None:
            return value
        return value.quantize(self.quantum, rounding=ROUNDING_MODES[self.mode])


def _names(raw: Any, where: str) -> tuple[str, ...]:
    if not isinstance(raw, list) or not all(isinstance(x, str) and x for x in raw):
        raise DeclarationError(f"{where}: expected a list of names")
    return tuple(raw)


def parse(data: Any, file: str) -> Declaration:
    if data is None:
        return Declaration()
    if not isinstance(data, dict):
        raise DeclarationError(f"{file}: expected a mapping (languages, amounts, rounding, parameters)")
    unknown = set(data) - {"languages", "amounts", "rounding", "parameters"}
    if unknown:
        raise DeclarationError(f"{file}: unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    kw: dict = {}
    if "languages" in data:
        kw["languages"] = _names(data["languages"], f"{file}: languages")
    if "amounts" in data:
        kw["amounts"] = _names(data["amounts"], f"{file}: amounts")
        clash = sorted(set(kw["amounts"]) & RESERVED_AMOUNTS)
        if clash:
            raise DeclarationError(f"{file}: amounts: {', '.join(clash)} is a field of every rule")
    if "rounding" in data:
        r = data["rounding"]
        if not isinstance(r, dict) or set(r) - {"quantum", "mode"} or "quantum" not in r:
            raise DeclarationError(f"{file}: rounding: expected {{quantum: 1, mode: half-up}}")
        mode = r.get("mode", "half-up")
        if mode not in ROUNDING_MODES:
            raise DeclarationError(f"{file}: rounding: mode {mode!r} is not one of {', '.join(ROUNDING_MODES)}")
        quantum = Decimal(str(r["quantum"])).normalize()
        if quantum.as_tuple().digits != (1,) or quantum.is_signed():
            raise DeclarationError(f"{file}: rounding: quantum {r['quantum']} is not a power of ten (1, 0.01, 1000)")
        kw["quantum"], kw["mode"] = quantum, mode
    params = data.get("parameters") or {}
    if not isinstance(params, dict) or set(params) - {"units", "statuses"}:
        raise DeclarationError(f"{file}: parameters: expected {{units: […], statuses: […]}}")
    if "units" in params:
        kw["units"] = _names(params["units"], f"{file}: parameters.units")
    if "statuses" in params:
        kw["statuses"] = _names(params["statuses"], f"{file}: parameters.statuses")
    return Declaration(**kw)


def load(rules_dir: Path | str | None) -> Declaration:
    """The declaration of the rulebook at `rules_dir` (its rulebook.yaml), or the defaults."""
    if rules_dir is None:
        return Declaration()
    path = Path(rules_dir) / FILE
    if not path.is_file():
        return Declaration()
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise DeclarationError(f"{path}: not valid YAML ({exc})") from None
    return parse(data, str(path))
