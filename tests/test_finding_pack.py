"""A packed finding (audits/model.py Finding.pack) gives back the same trace and evidence, with
their types, however it is read, copied or sent to another process."""
import dataclasses
import datetime as dt
import pickle
from decimal import Decimal

from patuh.audits.model import Finding


def _finding():
    return Finding("F-1", "R1", "TUNGGAKAN", "employer_month", "E1:2025-01", "E1", "2025-01", Decimal("10.00"),
                   Decimal("0.20"), "tinggi", "UU 24/2011 Pasal 19", "pesan", "message",
                   trace={"fields": {"bill": Decimal("10.00"), "due": dt.date(2025, 2, 17)}, "parameters": [{"id": "x"}]},
                   evidence={"workers": [{"nik": "6171010101900001", "wage": "1.00"}], "computation": []})


def test_packed_reads_back_the_same_values_and_types():
    plain, packed = _finding(), _finding().pack()
    assert "trace" not in packed.__dict__ and "evidence" not in packed.__dict__
    assert packed.trace == plain.trace and packed.evidence == plain.evidence
    assert type(packed.trace["fields"]["bill"]) is Decimal and type(packed.trace["fields"]["due"]) is dt.date
    assert packed == plain and dataclasses.asdict(packed) == dataclasses.asdict(plain)
    again = pickle.loads(pickle.dumps(packed))  # as a worker process sends it back
    assert again == plain and again.evidence == plain.evidence


def test_a_read_is_a_copy_and_an_assignment_replaces():
    f = _finding().pack()
    f.trace["fields"]["bill"] = Decimal(0)  # changes a copy only: packed values are read-only
    assert f.trace["fields"]["bill"] == Decimal("10.00")
    f.evidence = {"workers": []}  # assigning unpacks, and keeps the other one
    assert f.evidence == {"workers": []} and f.trace["fields"]["bill"] == Decimal("10.00")
    assert "_packed" not in f.__dict__


def test_unknown_attributes_still_fail():
    import pytest

    with pytest.raises(AttributeError):
        _finding().pack().nothing


def test_a_finding_carrying_an_employers_dues_by_month_packs(tmp_path):
    """A rule may list `dues_by_month` (computed when read) among its evidence fields: the
    finding's trace then holds it as plain data, which packs and travels between processes."""
    import pickle

    from patuh.audits.audit import run_audit
    from patuh.audits.importer import load_package
    from patuh.audits.store.db import get_engine
    from patuh.engine.trace import jsonable
    from patuh.audits.calc.sums import DuesOnRead

    engine = get_engine(f"sqlite:///{tmp_path / 'p.db'}")
    from pathlib import Path

    loaded = load_package(Path(__file__).resolve().parent.parent / "fixtures" / "kalbar-demo", engine)
    result = run_audit(engine, loaded.import_id)
    assert result.findings
    # the employer facts' lazily computed dues, as a rule's evidence field would carry them
    from patuh.audits.facts import Scope, employer_facts, employer_month_facts
    from patuh.engine.parameters import ParameterStore
    from patuh.audits.rulebook import rules_dir

    with engine.connect() as conn:
        sc = Scope(conn, loaded.import_id, result.period_from, result.period_to, result.as_of,
                   ParameterStore.load(rules_dir() / "parameters"))
        facts = employer_facts(sc, employer_month_facts(sc))
    lazy = [f["dues_by_month"] for f in facts if isinstance(f.get("dues_by_month"), DuesOnRead)]
    assert lazy
    f = result.findings[0]
    f.trace = dict(f.trace, evidence_fields={"dues_by_month": jsonable(lazy[0])})
    assert pickle.loads(pickle.dumps(f.pack())).trace["evidence_fields"]["dues_by_month"].keys() == {"mandatory", "missing"}


def test_the_stored_json_made_when_packing_is_what_the_unpacked_finding_gives():
    """The store writes the JSON texts pack() made in the worker: they must be those of the values."""
    import json

    plain, packed = _finding(), _finding().pack()
    trace_json, evidence_json = packed.stored_json()
    assert (trace_json, evidence_json) == plain.stored_json()
    assert json.loads(trace_json)["message_en"] == "message" and json.loads(trace_json)["fields"]["bill"] == "10.00"
    assert json.loads(evidence_json) == {"workers": [{"nik": "6171010101900001", "wage": "1.00"}], "computation": []}
    packed.message_en = "changed"  # a change after packing: the texts follow it
    assert json.loads(packed.stored_json()[0])["message_en"] == "changed"
    again = pickle.loads(pickle.dumps(_finding().pack()))
    assert again.stored_json() == plain.stored_json()


def test_a_finding_of_json_values_keeps_only_its_stored_texts():
    """Trace and evidence of JSON's own types (money and dates as text, as the audit makes them)
    are kept only as the stored JSON, and read back equal; other values keep a pickle beside it."""
    f = _finding()
    f.trace = {"fields": {"bill": "10.00", "due": "2025-02-17", "n": 3, "ok": True}, "parameters": [{"id": "x"}]}
    plain = dataclasses.replace(f)
    f.pack()
    assert f.__dict__["_packed"][0] is None  # no pickle: the texts are enough
    assert f.trace == plain.trace and f.evidence == plain.evidence and f.stored_json() == plain.stored_json()
    assert type(f.trace["fields"]["n"]) is int and f.trace["fields"]["ok"] is True
    g = _finding().pack()  # a Decimal and a date in the trace: kept as values too
    assert g.__dict__["_packed"][0] is not None and type(g.trace["fields"]["bill"]) is Decimal
