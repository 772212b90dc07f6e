"""The audit's results as data: findings and cases, and the column order of their CSV files.

`evidence` of a finding is a dict that the dossiers render as is:

    {
      "workers":  [{"nik", "name", "period", "wage", "reported_wage", "source"}],   # source "payroll.csv row 41"
      "payments": [{"period", "amount", "paid_on", "reference", "source"}],
      "contracts":[{"contract_id", "title", "owner", "funding", "ppk", "value", "current_value",
                    "spk_date", "start_date", "registered_on", "contribution_paid", "source"}],
      "computation": [ {"period", "program", "base", "rate", "due", "paid", "outstanding",
                        "months_late", "fee", "note"} ],                         # computation sheet rows
    }

Money inside evidence is a string of the exact Decimal ("3054552.50"); dates are ISO strings.
`trace` is what `patuh explain` prints: {"rule_id", "revision", "fields": {...},
"parameters": [ParamUse.as_dict(), ...]}.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import pickle
from dataclasses import dataclass, field
from decimal import Decimal

import lz4.frame

from patuh.audits.store.runs import finding_json, read_json

# A packed finding's texts are compressed in the worker that judged it and decompressed once, when
# the run is recorded (one process, after the workers): LZ4's fast mode, not zlib. At 350k payroll
# rows (7,104 findings, 16 MB of JSON) zlib at level 1 took 0.25 CPU-s to compress and 0.08 s to
# decompress, LZ4 0.03 and 0.02 s, for a third more bytes held (the process's peak at 3.5 M rows
# 372 → 396 MB).
_compress, _decompress = lz4.frame.compress, lz4.frame.decompress

FINDING_COLUMNS = [
    "finding_id", "rule_id", "category", "subject_type", "subject_id", "employer_id", "period",
    "amount", "late_fee", "severity", "legal_basis", "message",
]
CASE_COLUMNS = [
    "employer_id", "name", "categories", "total_amount", "total_late_fee", "next_steps", "wait_until",
]

def case_total(findings, categories) -> "Decimal":
    """The principal of a case: amounts of the categories that add to totals (categories.yaml)."""
    return sum((f.amount for f in findings if categories.adds_to_total(f.category)), Decimal(0))


def finding_id(rule_id: str, subject_id: str) -> str:
    """Content-derived, so the same audit gives the same ids (and byte-identical outputs)."""
    return "F-" + hashlib.sha256(f"{rule_id}|{subject_id}".encode()).hexdigest()[:10].upper()


def run_id(package_hash: str, revision: str, as_of: dt.date, period_from: str, period_to: str,
           state_hash: str = "") -> str:
    """`state_hash`: the recorded actions and reviews the run used (docs/lifecycle.md); a run that
    used none keeps the id it had before the lifecycle existed."""
    key = f"{package_hash}|{revision}|{as_of.isoformat()}|{period_from}|{period_to}"
    rid = "R-" + hashlib.sha256(key.encode()).hexdigest()[:12].upper()
    if state_hash:
        rid = "R-" + hashlib.sha256(f"{rid}|{state_hash}".encode()).hexdigest()[:12].upper()
    return rid


@dataclass
class Finding:
    finding_id: str
    rule_id: str
    category: str
    subject_type: str  # employer | employer_month | contract
    subject_id: str
    employer_id: str
    period: str | None
    amount: Decimal
    late_fee: Decimal | None
    severity: str
    legal_basis: str
    message: str
    message_en: str = ""
    contract_id: str | None = None
    trace: dict = field(default_factory=dict)
    evidence: dict = field(default_factory=dict)
    review: str = ""  # '' | setuju | tolak | perlu-tinjau-ulang (docs/lifecycle.md)

    def row(self) -> dict:
        return {
            "finding_id": self.finding_id,
            "rule_id": self.rule_id,
            "category": self.category,
            "subject_type": self.subject_type,
            "subject_id": self.subject_id,
            "employer_id": self.employer_id,
            "period": self.period or "",
            "amount": str(int(self.amount)),
            "late_fee": "" if self.late_fee is None else str(int(self.late_fee)),
            "severity": self.severity,
            "legal_basis": self.legal_basis,
            "message": self.message,
        }

    # A province's findings carry some 2.5 KB of trace and evidence each as JSON, several times that
    # as Python dicts: at 3.5 M payroll rows about 400 MB held from the evidence to the store. Once a
    # batch's evidence is collected, `pack()` keeps both compressed (the same values and types back)
    # and reading either unpacks a fresh copy, never kept. So a packed finding's trace and evidence
    # are read-only: change them by assigning a new dict, which unpacks first.
    # What is kept is the JSON texts the store writes (`stored_json`), made once in the process
    # that judged the finding (an audit worker), so that recording the run, one process's work,
    # only writes them. The texts give back the very values when the trace and evidence hold only
    # JSON's own types, as they do by design (money and dates as text); otherwise a pickle of the
    # values is kept beside them.
    _PACKED = ("trace", "evidence")

    def pack(self) -> "Finding":
        if "_packed" not in self.__dict__:
            trace, evidence = self.trace, self.evidence
            texts = finding_json(trace, evidence, self.message_en)
            values = None if _from_json(*texts) == (trace, evidence) and "message_en" not in trace else (
                _compress(pickle.dumps((trace, evidence), pickle.HIGHEST_PROTOCOL)))
            del self.__dict__["trace"], self.__dict__["evidence"]
            self.__dict__["_packed"] = (values, _compress("\0".join(texts).encode()))
        return self

    def _unpacked(self) -> tuple[dict, dict]:
        values, texts = self.__dict__["_packed"]
        if values is not None:
            return pickle.loads(_decompress(values))
        return _from_json(*self.stored_json())

    def stored_json(self) -> tuple[str, str]:
        """The trace (with message_en) and the evidence as the store keeps them: JSON texts."""
        if "_packed" in self.__dict__:
            # JSON escapes every control character: NUL separates the two texts and occurs in neither
            trace, evidence = _decompress(self.__dict__["_packed"][1]).decode().split("\0")
            return trace, evidence
        return finding_json(self.trace, self.evidence, self.message_en)

    def __getattr__(self, name):  # only for attributes not in __dict__: a packed trace or evidence
        if name in Finding._PACKED and "_packed" in self.__dict__:
            return self._unpacked()[Finding._PACKED.index(name)]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name, value):
        if name in Finding._STORED and "_packed" in self.__dict__:  # the stored texts no longer hold
            self.__dict__["trace"], self.__dict__["evidence"] = self._unpacked()
            del self.__dict__["_packed"]
        object.__setattr__(self, name, value)

    _STORED = ("trace", "evidence", "message_en")


def _from_json(trace_json: str, evidence_json: str) -> tuple[dict, dict]:
    """The trace (without the message stored in it) and the evidence read back from finding_json."""
    trace = read_json(trace_json)
    del trace["message_en"]
    return trace, read_json(evidence_json)


@dataclass
class Case:
    employer_id: str
    name: str
    categories: list[str]
    total_amount: Decimal
    total_late_fee: Decimal
    next_steps: list[str]
    wait_until: dt.date | None
    trace: dict = field(default_factory=dict)
    # the administrative fine of a `denda` case (AdminFine.as_dict(), or {"error": why}), computed
    # once by the audit on the run's letter date; the letters only render it
    fine: dict | None = None

    def row(self) -> dict:
        return {
            "employer_id": self.employer_id,
            "name": self.name,
            "categories": ";".join(self.categories),
            "total_amount": str(int(self.total_amount)),
            "total_late_fee": str(int(self.total_late_fee)),
            "next_steps": ";".join(self.next_steps),
            "wait_until": self.wait_until.isoformat() if self.wait_until else "",
        }
