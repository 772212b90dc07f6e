"""The oracle against numbers worked out by hand (the arithmetic is in the comments).

Rates used (rules/parameters): JKK 0.24 / 0.54 / 0.89 / 1.27 / 1.74 % (groups 1–5), JKM 0.30 %,
JHT 5.7 %, JP 3 % of min(wage, cap); cap 10,042,300 until Feb 2025, 10,547,400 from Mar 2025;
late fee 2 % per started month for every programme (PP 44/2015 Pasal 22, PP 45/2015 Pasal 31,
PP 46/2015 Pasal 20); 0.5 % only for contribution months Aug 2020 – Jan 2021 (PP 49/2020).
"""
from __future__ import annotations

import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest

from patuh.audits import oracle
from patuh.audits.calc.calendar import due_date
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parents[1]
D = Decimal


@pytest.fixture(scope="module")
def params():
    return ParameterStore.load(ROOT / "rules" / "parameters")


def employer(eid="E1", **kw):
    row = {
        "employer_id": eid, "name": f"PT {eid}", "npp": f"NPP{eid}", "registered_on": dt.date(2020, 1, 1),
        "scale": "menengah", "sector": "jasa", "jkk_risk_group": 2, "programs": ["JKK", "JKM", "JHT", "JP"],
        "regency_code": "6171",
    }
    row.update(kw)
    return row


NIK = ["6171010101900001", "6171014202850002", "6171010303880003", "6171014404920004"]


def pay(eid, period, nik, wage, employment="pkwtt", deduction=0):
    return {"employer_id": eid, "period": period, "nik": nik, "name": "x", "employment": employment,
            "wage": D(wage), "bpjs_deduction": D(deduction)}


def member(eid, nik, start=dt.date(2020, 1, 1), end=None):
    return {"employer_id": eid, "nik": nik, "name": "x", "start_date": start, "end_date": end}


def decl(eid, period, nik, reported):
    return {"employer_id": eid, "period": period, "nik": nik, "reported_wage": D(reported)}


def payment(eid, period, amount, paid_on):
    return {"employer_id": eid, "period": period, "amount": D(amount), "paid_on": paid_on}


def run(params, as_of, employers, frm=None, to=None, **tables):
    tables = {"employers": employers, **tables}
    return oracle.audit(tables, params, as_of=as_of, period_from=frm, period_to=to)


def only(result, category):
    found = [f for f in result.findings if f.category == category]
    return found


# ------------------------------------------------------------------------------- PDS-TK, JP cap


def test_pds_tk_brief_example(params):
    # wage 5,000,000, group 2, all four programmes, 2025-03:
    # JKK 0.54 % = 27,000; JKM 0.3 % = 15,000; JHT 5.7 % = 285,000; JP 3 % = 150,000 → 477,000
    r = run(params, dt.date(2025, 4, 1), [employer()], payroll=[pay("E1", "2025-03", NIK[0], 5_000_000)])
    (f,) = r.findings
    assert (f.category, f.subject_type, f.subject_id, f.period) == ("PDS-TK", "employer_month", "E1:2025-03", "2025-03")
    assert f.amount == 477_000 and f.late_fee is None
    assert f.rule_id == "PDS-TK" and f.finding_id.startswith("F-")


def test_jp_cap_changes_in_march(params):
    # group 1, wage 12,000,000 (non-member → PDS-TK):
    # non-JP: 12,000,000 × (0.24 + 0.3 + 5.7 %) = 28,800 + 36,000 + 684,000 = 748,800
    # Feb 2025: JP 3 % × cap 10,042,300 = 301,269 → 1,050,069
    # Mar 2025: JP 3 % × cap 10,547,400 = 316,422 → 1,065,222
    e = employer(jkk_risk_group=1)
    r = run(params, dt.date(2025, 4, 1), [e], payroll=[pay("E1", "2025-02", NIK[0], 12_000_000),
                                                      pay("E1", "2025-03", NIK[0], 12_000_000)])
    amounts = {f.period: f.amount for f in only(r, "PDS-TK")}
    assert amounts == {"2025-02": 1_050_069, "2025-03": 1_065_222}


def test_membership_window(params):
    # membership from 2025-03-20: not active in Feb, active in Mar (start ≤ last day of March);
    # ended 2025-04-01: still active in April (end ≥ first day), not in May.
    e = employer()
    parts = [member("E1", NIK[0], dt.date(2025, 3, 20), dt.date(2025, 4, 1))]
    payroll = [pay("E1", p, NIK[0], 5_000_000) for p in ("2025-02", "2025-03", "2025-04", "2025-05")]
    decls = [decl("E1", p, NIK[0], 5_000_000) for p in ("2025-03", "2025-04")]
    r = run(params, dt.date(2025, 5, 2), [e], payroll=payroll, participants=parts, declarations=decls)
    assert [f.period for f in only(r, "PDS-TK")] == ["2025-02", "2025-05"]
    assert not only(r, "PDS-UPAH")


# -------------------------------------------------------------------------------------- PDS-UPAH


def test_pds_upah_tolerance_and_rounding_once(params):
    # group 2, all four, 2025-03, rate on the non-JP difference 0.54 + 0.3 + 5.7 = 6.54 %:
    # worker A: wage 6,000,000 reported 4,000,000 → diff 2,000,000:
    #   130,800 + JP 3 % × 2,000,000 = 60,000 → 190,800
    # worker B: wage 5,000,000 reported 4,950,000 = exactly 99 % → not a finding
    # worker C: wage 5,000,000 reported 4,949,999 (just below 99 %) → the whole difference counts:
    #   50,001 × 9.54 % = 4,770.0954
    # worker D: member, on payroll, no declaration → reported 0: wage 3,100,005
    #   → 3,100,005 × 9.54 % = 295,740.477
    # total 190,800 + 4,770.0954 + 295,740.477 = 491,310.5724 → rounded once: 491,311
    # (rounding per worker would give 190,800 + 4,770 + 295,740 = 491,310)
    e = employer()
    niks = NIK
    payroll = [pay("E1", "2025-03", niks[0], 6_000_000), pay("E1", "2025-03", niks[1], 5_000_000),
               pay("E1", "2025-03", niks[2], 5_000_000), pay("E1", "2025-03", niks[3], 3_100_005)]
    parts = [member("E1", n) for n in niks]
    decls = [decl("E1", "2025-03", niks[0], 4_000_000), decl("E1", "2025-03", niks[1], 4_950_000),
             decl("E1", "2025-03", niks[2], 4_949_999)]
    r = run(params, dt.date(2025, 4, 1), [e], payroll=payroll, participants=parts, declarations=decls)
    (f,) = r.findings
    assert f.category == "PDS-UPAH" and f.amount == 491_311


def test_pds_upah_jp_difference_is_capped(params):
    # wage 12,000,000 reported 8,000,000, 2025-03, group 2:
    # non-JP 4,000,000 × 6.54 % = 261,600; JP 3 % × (min(12,000,000; 10,547,400) − 8,000,000)
    # = 3 % × 2,547,400 = 76,422 → 338,022
    e = employer()
    r = run(params, dt.date(2025, 4, 1), [e], payroll=[pay("E1", "2025-03", NIK[0], 12_000_000)],
            participants=[member("E1", NIK[0])], declarations=[decl("E1", "2025-03", NIK[0], 8_000_000)])
    (f,) = r.findings
    assert f.category == "PDS-UPAH" and f.amount == 338_022


# ---------------------------------------------------------------------------------- PDS-PROGRAM


def test_pds_program_missing_jp(params):
    # menengah registered JKK;JKM;JHT: JP missing. Wages 4,000,000 and 12,000,000 in Feb and Mar:
    # Feb: 3 % × (4,000,000 + 10,042,300) = 421,269; Mar: 3 % × (4,000,000 + 10,547,400) = 436,422
    # total 857,691 (one finding for the employer)
    e = employer(programs="JKK;JKM;JHT")
    payroll = [pay("E1", p, n, w) for p in ("2025-02", "2025-03") for n, w in ((NIK[0], 4_000_000), (NIK[1], 12_000_000))]
    parts = [member("E1", NIK[0]), member("E1", NIK[1])]
    decls = [decl("E1", r["period"], r["nik"], r["wage"]) for r in payroll]
    pays = [payment("E1", "2025-02", 0, dt.date(2025, 3, 10))]
    r = run(params, dt.date(2025, 3, 1), [e], payroll=payroll, participants=parts, declarations=decls, payments=pays)
    (f,) = r.findings
    assert (f.category, f.subject_type, f.subject_id, f.period) == ("PDS-PROGRAM", "employer", "E1", None)
    assert f.amount == 857_691


# -------------------------------------------------------------------------------------------- PWBD


def test_pwbd_estimates_group_5_and_deductions(params):
    # kecil, no npp, no risk group → group 5 (1.74 %), mandatory JKK, JKM, JHT:
    # 2025-03 wages 3,100,000 + 3,500,000 = 6,600,000 × (1.74 + 0.3 + 5.7 = 7.74 %) = 510,840
    # one worker had 100,000 deducted; D(2025-03) = 2025-04-15 < as_of → IURAN-PEKERJA 100,000
    e = employer(npp=None, registered_on=None, jkk_risk_group=None, programs=None, scale="kecil")
    payroll = [pay("E1", "2025-03", NIK[0], 3_100_000, deduction=100_000), pay("E1", "2025-03", NIK[1], 3_500_000)]
    r = run(params, dt.date(2025, 5, 1), [e], payroll=payroll)
    got = {(f.category, f.subject_id): (f.amount, f.late_fee) for f in r.findings}
    assert got == {("PWBD", "E1"): (510_840, None), ("IURAN-PEKERJA-TIDAK-DISETOR", "E1:2025-03"): (100_000, None)}


def test_pwbd_uses_given_group(params):
    # mikro, no npp, group 1 given: JKK 0.24 % + JKM 0.3 % = 0.54 % of 3,100,000 = 16,740
    e = employer(npp=None, jkk_risk_group=1, programs=None, scale="mikro")
    r = run(params, dt.date(2025, 3, 1), [e], payroll=[pay("E1", "2025-03", NIK[0], 3_100_000)])
    (f,) = r.findings
    assert f.category == "PWBD" and f.amount == 16_740


# ---------------------------------------------------------------------------- minimum wage


def test_under_minimum_wage_ketapang(params):
    # Ketapang (6106) UMK 2025 = 3,396,267.26: pkwtt 3,000,000 short 396,267.26;
    # pkwt 3,396,267 short 0.26; harian 2,000,000 not counted → 396,267.52 → 396,268
    e = employer(npp=None, jkk_risk_group=1, regency_code="6106", scale="mikro")
    payroll = [pay("E1", "2025-03", NIK[0], 3_000_000), pay("E1", "2025-03", NIK[1], D("3396267"), "pkwt"),
               pay("E1", "2025-03", NIK[2], 2_000_000, "harian")]
    r = run(params, dt.date(2025, 3, 1), [e], payroll=payroll)
    (f,) = only(r, "UPAH-DI-BAWAH-UMK")
    assert f.amount == 396_268 and f.subject_id == "E1:2025-03"


def test_minimum_wage_falls_back_to_ump(params):
    # Sekadau (6109) has no UMK in the 2026 decree: the UMP 3,054,552 applies.
    assert oracle.minimum_wage("6109", "2026-01", params) == D("3054552")
    assert oracle.minimum_wage("6106", "2025-07", params) == D("3396267.26")


# ----------------------------------------------------------------------------- payments


def _one_worker_month(period, wage=4_000_000, deduction=0):
    # group 1, all four: bill on 4,000,000 = JKK 9,600 + JKM 12,000 + JHT 228,000 + JP 120,000
    # = 369,600; JP share 120,000 / 369,600
    e = employer(jkk_risk_group=1)
    return e, {"payroll": [pay("E1", period, NIK[0], wage, deduction=deduction)],
               "participants": [member("E1", NIK[0])], "declarations": [decl("E1", period, NIK[0], wage)]}


def test_due_date_on_weekend():
    params = ParameterStore.load(ROOT / "rules" / "parameters")
    # 15 June 2025 is a Sunday → due Monday 16 June; 15 February 2025 a Saturday → 17 February
    assert due_date("2025-05", params) == dt.date(2025, 6, 16)
    assert due_date("2025-01", params) == dt.date(2025, 2, 17)


@pytest.mark.parametrize("paid_on, fee", [
    (dt.date(2025, 6, 16), None),   # the Monday after the weekend: on time, no finding
    # one day later: k = 1; fee = 2 % × 369,600 = 7,392 (of which JP 2 % × 120,000 = 2,400)
    (dt.date(2025, 6, 17), 7_392),
    (dt.date(2025, 7, 16), 7_392),  # = D(P) + 1 month: still k = 1
    (dt.date(2025, 7, 17), 14_784),  # k = 2
])
def test_telat_bayar_weekend_due(params, paid_on, fee):
    e, rows = _one_worker_month("2025-05")
    rows["payments"] = [payment("E1", "2025-05", 369_600, paid_on)]
    r = run(params, dt.date(2025, 8, 1), [e], **rows)
    if fee is None:
        assert r.findings == [] and r.cases == []
    else:
        (f,) = r.findings
        assert (f.category, f.amount, f.late_fee) == ("TELAT-BAYAR", 0, fee)


def test_partial_and_late_payments_arrears(params):
    # bill 2025-03 = 369,600, due 2025-04-15; deducted 2 % JHT + 1 % JP = 120,000
    # paid 200,000 on 2025-04-14 (on time, no fee), 100,000 on 2025-05-20 (> 05-15: k = 2);
    # 69,600 still open at as_of 2025-07-01 (> 06-15, ≤ 07-15: k = 3)
    # fee 2 % per month on every programme's share alike:
    #   100,000 × 2 × 2 % = 4,000
    #    69,600 × 3 × 2 % = 4,176       → 8,176
    e, rows = _one_worker_month("2025-03", deduction=120_000)
    rows["payments"] = [payment("E1", "2025-03", 100_000, dt.date(2025, 5, 20)),
                        payment("E1", "2025-03", 200_000, dt.date(2025, 4, 14)),
                        payment("E1", "2025-03", 50_000, dt.date(2025, 7, 2))]  # after as_of: ignored
    r = run(params, dt.date(2025, 7, 1), [e], **rows)
    got = {f.category: (f.amount, f.late_fee) for f in r.findings}
    # the worker share deducted (120,000) exceeds the unpaid 69,600 → min = 69,600
    assert got == {"TUNGGAKAN": (69_600, 8_176), "IURAN-PEKERJA-TIDAK-DISETOR": (69_600, None)}
    (case,) = r.cases
    # the 69,600 deducted and not remitted is inside the 69,600 arrears: not billed twice
    assert case.total_amount == 69_600 and case.total_late_fee == 8_176
    assert case.next_steps == ["pidana", "teguran-1"]


def test_late_in_two_partial_payments(params):
    # bill 369,600 of 2025-03 paid 169,600 on 2025-05-02 (k = 1) and 200,000 on 2025-06-20 (k = 3)
    # fee = (169,600 × 1 + 200,000 × 3) × 2 % = 769,600 × 2 % = 15,392
    e, rows = _one_worker_month("2025-03")
    rows["payments"] = [payment("E1", "2025-03", 169_600, dt.date(2025, 5, 2)),
                        payment("E1", "2025-03", 200_000, dt.date(2025, 6, 20))]
    r = run(params, dt.date(2025, 8, 1), [e], **rows)
    (f,) = r.findings
    assert (f.category, f.amount, f.late_fee) == ("TELAT-BAYAR", 0, 15_392)


def test_month_not_yet_due_is_not_a_payment_finding(params):
    # D(2025-03) = 2025-04-15 is not before as_of 2025-04-15: nothing owed yet
    e, rows = _one_worker_month("2025-03", deduction=120_000)
    r = run(params, dt.date(2025, 4, 15), [e], **rows)
    assert r.findings == []


def test_no_declarations_no_bill(params):
    # payroll but nobody declared: B = 0, so no TUNGGAKAN (the worker is PDS-UPAH instead)
    e, rows = _one_worker_month("2025-03")
    rows["declarations"] = []
    r = run(params, dt.date(2025, 6, 1), [e], **rows)
    assert [f.category for f in r.findings] == ["PDS-UPAH"]


def test_overpayment_is_ignored(params):
    e, rows = _one_worker_month("2025-03")
    rows["payments"] = [payment("E1", "2025-03", 400_000, dt.date(2025, 4, 10))]
    assert run(params, dt.date(2025, 6, 1), [e], **rows).findings == []


# --------------------------------------------------------------------------------- contracts


def contract(cid="K1", value=80_000_000, spk=dt.date(2025, 3, 3), start=dt.date(2025, 3, 10), **kw):
    row = {"contract_id": cid, "title": "Jalan", "contractor_id": "E1", "owner": "Dinas PUPR", "funding": "apbd-kabupaten",
           "ppk": None, "value": D(value), "spk_date": spk, "start_date": start, "end_date": dt.date(2025, 12, 31),
           "regency_code": "6171", "parent_contract_id": None}
    row.update(kw)
    return row


def reg(cid, on, paid, declared=80_000_000):
    return {"contract_id": cid, "registration_no": "R" + cid, "registered_on": on, "declared_value": D(declared),
            "contribution_paid": D(paid), "paid_on": on}


def test_jakon_unregistered_spec_example(params):
    # V = 80,000,000: JKK 0.21 % = 168,000 + JKM 0.03 % = 24,000 → 192,000
    r = run(params, dt.date(2025, 4, 1), [employer()], payroll=[], frm="2025-03", to="2025-03",
            contracts=[contract(), contract("K2", start=dt.date(2025, 4, 2))])  # K2 not started: nothing
    (f,) = r.findings
    assert (f.category, f.subject_type, f.subject_id, f.employer_id, f.amount) == (
        "JAKON-BELUM-DAFTAR", "contract", "K1", "E1", 192_000)


def test_jakon_marginal_bands_and_underpayment(params):
    # V = 2,000,000,000 marginal: 100M × 0.24 % = 240,000; 400M × 0.19 % = 760,000;
    # 500M × 0.15 % = 750,000; 1,000M × 0.12 % = 1,200,000 → 2,950,000.
    # Paid the published flat mistake 0.12 % × 2,000M = 2,400,000 → KURANG-BAYAR 550,000.
    # spk 2025-03-03: the 14th working day after it is 2025-03-21 → registered that day: on time.
    c = contract(value=2_000_000_000)
    r = run(params, dt.date(2025, 6, 1), [employer()], payroll=[], frm="2025-03", to="2025-03",
            contracts=[c], project_registrations=[reg("K1", dt.date(2025, 3, 21), 2_400_000)])
    (f,) = r.findings
    assert (f.category, f.amount) == ("JAKON-KURANG-BAYAR", 550_000)


def test_jakon_late_registration_and_tolerance(params):
    # registered 2025-03-24, one working day after the deadline 2025-03-21 → TELAT-DAFTAR, amount 0;
    # paid 191,999 of 192,000: Rp1 short is within the tolerance → no KURANG-BAYAR
    r = run(params, dt.date(2025, 6, 1), [employer()], payroll=[], frm="2025-03", to="2025-03",
            contracts=[contract()], project_registrations=[reg("K1", dt.date(2025, 3, 24), 191_999)])
    assert [(f.category, f.amount) for f in r.findings] == [("JAKON-TELAT-DAFTAR", 0)]


def test_jakon_amendment_raises_contribution(params):
    # amended to 120,000,000 on 2025-05-02: 240,000 + 20,000,000 × 0.19 % = 38,000 → 278,000;
    # paid 192,000 on the signing value → KURANG-BAYAR 86,000. A later amendment (after as_of)
    # and a registration after as_of are ignored.
    amends = [{"contract_id": "K1", "amended_on": dt.date(2025, 5, 2), "value": D(120_000_000)},
              {"contract_id": "K1", "amended_on": dt.date(2025, 7, 1), "value": D(900_000_000)}]
    regs = [reg("K1", dt.date(2025, 3, 10), 192_000), reg("K1", dt.date(2025, 6, 5), 1_000_000)]
    r = run(params, dt.date(2025, 6, 1), [employer()], payroll=[], frm="2025-03", to="2025-03",
            contracts=[contract()], contract_amendments=amends, project_registrations=regs)
    assert [(f.category, f.amount) for f in r.findings] == [("JAKON-KURANG-BAYAR", 86_000)]


# --------------------------------------------------------------------------------------- cases


def action(kind, on):
    return {"employer_id": "E1", "action": kind, "issued_on": on, "reference": None}


@pytest.mark.parametrize("categories, actions, as_of, steps, wait", [
    ({"PDS-TK"}, [], dt.date(2025, 6, 18), ["teguran-1"], None),
    # teguran-1 on Mon 2025-06-02: working days 3, 4, 5 Jun (6 Jun Idul Adha), 9–13, 16, 17 → 17 Jun
    ({"PDS-TK"}, [action("teguran-1", dt.date(2025, 6, 2))], dt.date(2025, 6, 17), ["tunggu"], dt.date(2025, 6, 17)),
    ({"PDS-TK"}, [action("teguran-1", dt.date(2025, 6, 2))], dt.date(2025, 6, 18), ["teguran-2"], None),
    ({"PDS-TK"}, [action("teguran-1", dt.date(2025, 6, 2)), action("teguran-2", dt.date(2025, 6, 2))],
     dt.date(2025, 6, 10), ["tunggu"], dt.date(2025, 6, 17)),
    ({"PDS-TK"}, [action("teguran-1", dt.date(2025, 5, 2)), action("teguran-2", dt.date(2025, 6, 2))],
     dt.date(2025, 6, 18), ["tmp2t", "denda"], None),
    ({"TUNGGAKAN", "PDS-TK"}, [action("teguran-1", dt.date(2025, 5, 2)), action("teguran-2", dt.date(2025, 6, 2))],
     dt.date(2025, 6, 18), ["skk", "tmp2t", "denda"], None),
    ({"TUNGGAKAN", "IURAN-PEKERJA-TIDAK-DISETOR"},
     [action("teguran-1", dt.date(2025, 5, 2)), action("teguran-2", dt.date(2025, 6, 2)), action("denda", dt.date(2025, 6, 20))],
     dt.date(2025, 7, 1), ["pidana", "skk", "tmp2t"], None),
    # pidana whatever the warnings, while the ladder waits
    ({"IURAN-PEKERJA-TIDAK-DISETOR"}, [action("teguran-1", dt.date(2025, 6, 2))], dt.date(2025, 6, 5),
     ["pidana", "tunggu"], dt.date(2025, 6, 17)),
    # everything already issued → pantau
    ({"TUNGGAKAN", "IURAN-PEKERJA-TIDAK-DISETOR"},
     [action(a, dt.date(2025, 3, 3)) for a in ("denda", "tmp2t", "skk", "pidana")]
     + [action("teguran-1", dt.date(2025, 1, 6)), action("teguran-2", dt.date(2025, 2, 3))],
     dt.date(2025, 7, 1), ["pantau"], None),
    # a letter dated after as_of does not exist yet
    ({"PDS-TK"}, [action("teguran-1", dt.date(2025, 7, 2))], dt.date(2025, 7, 1), ["teguran-1"], None),
])
def test_next_steps(params, categories, actions, as_of, steps, wait):
    assert oracle.next_steps(categories, actions, as_of, params) == (steps, wait)


def test_case_totals_and_order(params):
    # PDS-TK 477,000 (brief example, March) + JAKON-BELUM-DAFTAR 192,000 for the same contractor
    e = employer()
    r = run(params, dt.date(2025, 4, 1), [e], payroll=[pay("E1", "2025-03", NIK[0], 5_000_000)],
            contracts=[contract()])
    (case,) = r.cases
    assert case.row() == {"employer_id": "E1", "name": "PT E1", "categories": "PDS-TK;JAKON-BELUM-DAFTAR",
                          "total_amount": "669000", "total_late_fee": "0", "next_steps": "teguran-1", "wait_until": ""}


def test_default_scope_from_payroll(params):
    e = employer(npp=None, jkk_risk_group=1, scale="mikro")
    payroll = [pay("E1", p, NIK[0], 3_100_000) for p in ("2025-02", "2025-03", "2025-04")]
    r = oracle.audit({"employers": [e], "payroll": payroll}, params, package_as_of=dt.date(2025, 6, 1))
    assert (r.scope.period_from, r.scope.period_to, r.scope.as_of) == ("2025-02", "2025-04", dt.date(2025, 6, 1))
    r2 = oracle.audit({"employers": [e], "payroll": payroll}, params, as_of=dt.date(2025, 6, 1),
                      period_from="2025-03", period_to="2025-03")
    # PWBD on March only: 3,100,000 × 0.54 % = 16,740
    assert [f.amount for f in r2.findings if f.category == "PWBD"] == [16_740]
