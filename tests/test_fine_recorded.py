"""The administrative fine of PP 86/2013 is computed once, by the audit, on the run's letter date, and
recorded with the case (cases.fine_json); the denda letter renders what was recorded and refuses a
letter date the fine was not computed for. Amounts checked by hand against the demo package
(fixtures/kalbar-demo/README.md): E13's PDS-UPAH 375,769 + 395,966 = 771,735, second warning of
1 July 2025 ended 15 July 2025; 0.1 % for one month → 771.735 → Rp 772."""
from __future__ import annotations

import datetime as dt
import json
from decimal import Decimal
from pathlib import Path

import pytest

from fresh_db import fresh_db_url
from sqlalchemy import select

from patuh.audits.audit import run_audit
from patuh.audits.importer.load import load_package
from patuh.audits.store import schema as s
from patuh.audits.store.db import get_engine

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "fixtures" / "kalbar-demo"
OFFICE = ROOT / "fixtures" / "kantor-kalbar.yaml"


@pytest.fixture(scope="module")
def audited(tmp_path_factory):
    engine = get_engine(fresh_db_url(tmp_path_factory.mktemp("fine")))
    loaded = load_package(DEMO, engine)
    result = run_audit(engine, loaded.import_id, letter_date=dt.date(2025, 12, 20))
    return engine, result


def _fines(engine, run_id):
    with engine.connect() as conn:
        return {r.employer_id: r.fine_json for r in conn.execute(
            select(s.cases.c.employer_id, s.cases.c.fine_json).where(s.cases.c.run_id == run_id))}


def test_the_audit_records_the_fine_of_each_denda_case_and_no_other(audited):
    engine, result = audited
    fines = _fines(engine, result.run_id)
    denda = {c.employer_id for c in result.cases if "denda" in c.next_steps}
    assert denda == {"E13", "E19"}
    assert {e for e, f in fines.items() if f is not None} == denda
    e13 = json.loads(fines["E13"])
    assert Decimal(e13["base"]) == Decimal("771735") and Decimal(e13["amount"]) == Decimal("772")
    assert Decimal(e13["rate"]) == Decimal("0.001") and e13["months"] == 1
    assert e13["warning_ended"] == "2025-07-15" and e13["letter_date"] == "2025-12-20"
    assert sorted(Decimal(ln["amount"]) for ln in e13["lines"]) == [Decimal("375769"), Decimal("395966")]
    assert {p["id"] for p in e13["parameters"]} == {"admin_fine_rate_monthly", "admin_fine_max_days"}
    assert all(p["instrument"].startswith("PP 86/2013") and p["source"] for p in e13["parameters"])
    e19 = json.loads(fines["E19"])
    assert Decimal(e19["base"]) == Decimal("3993600") and Decimal(e19["amount"]) == Decimal("3994")


def test_letters_render_the_recorded_fine_and_refuse_another_letter_date(audited, tmp_path):
    from patuh.audits.letters import load_office_config, write_letters
    from patuh.audits.letters.build import LetterError

    engine, result = audited
    office = load_office_config(OFFICE)
    write_letters(engine, result.run_id, office, tmp_path / "a", dt.date(2025, 12, 20), pdf=False)
    html = (tmp_path / "a" / "surat/denda/E13/surat.html").read_text(encoding="utf-8")
    assert "772" in html and "771.735" in html
    with pytest.raises(LetterError, match="2025-12-20"):
        write_letters(engine, result.run_id, office, tmp_path / "b", dt.date(2025, 12, 22), pdf=False)


def test_a_fine_the_store_altered_is_what_the_letter_says(audited, tmp_path):
    """The letter reads the stored fine; it does not compute one (a recomputation would print 772)."""
    from patuh.audits.letters import load_office_config, write_letters

    engine, result = audited
    with engine.begin() as conn:
        row = conn.execute(select(s.cases.c.fine_json).where(s.cases.c.run_id == result.run_id,
                                                             s.cases.c.employer_id == "E13")).scalar_one()
        fine = json.loads(row)
        conn.execute(s.cases.update().where(s.cases.c.run_id == result.run_id, s.cases.c.employer_id == "E13")
                     .values(fine_json=json.dumps(dict(fine, amount="98765"))))
    try:
        write_letters(engine, result.run_id, load_office_config(OFFICE), tmp_path, dt.date(2025, 12, 20), pdf=False)
        html = (tmp_path / "surat/denda/E13/surat.html").read_text(encoding="utf-8")
        assert "Rp 98.765" in html and "Rp 772<" not in html
    finally:
        with engine.begin() as conn:
            conn.execute(s.cases.update().where(s.cases.c.run_id == result.run_id, s.cases.c.employer_id == "E13")
                         .values(fine_json=row))
