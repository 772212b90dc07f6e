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
    assert packed.trace_and_evidence() == (plain.trace, plain.evidence)
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
