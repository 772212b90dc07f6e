"""A small, realistic store for the dossier tests and for looking at the output.

`build_store(engine)` writes one import, one run, three employers with the findings an audit of
them would give (evidence and trace shaped as in audits/model.py) and their cases:

- E001 ``PT Sawit Khatulistiwa Lestari`` (Kab. Mempawah): TUNGGAKAN 2025-03 (partly paid late) and
  2025-04 (unpaid), IURAN-PEKERJA-TIDAK-DISETOR for both months, PDS-TK 2025-04 (two workers not
  registered); teguran-1 and teguran-2 issued and expired -> next steps pidana, skk, tmp2t, denda.
- E002 ``CV Karya Bangun Borneo`` (Kota Pontianak), a contractor: JAKON-BELUM-DAFTAR,
  JAKON-KURANG-BAYAR, UPAH-DI-BAWAH-UMK 2025-05; warnings expired -> tmp2t, denda.
- E003 ``UD Sumber Rejeki`` (Kota Singkawang), not registered (PWBD), deducts the worker share and
  never paid -> pidana, teguran-1. Its NPWP is 16 digits not starting with 0, i.e. a person's NIK.

`extra_cases=n` adds n more employers shaped like E001 (for timing a set of ~20 dossiers).
All numbers are computed here with Decimal so that sheets, findings and cases agree.
"""
from __future__ import annotations

import datetime as dt
import hashlib
import json
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import insert
from sqlalchemy.engine import Engine

from patuh.audits.store import schema as s
from patuh.audits.store.db import ensure_schema

AS_OF = dt.date(2025, 9, 30)
REVISION = "rv-3f9c2a1b7d04"
PACKAGE_HASH = hashlib.sha256(b"kalbar-dossier-fixture").hexdigest()
RUN_ID = "R-" + hashlib.sha256(f"{PACKAGE_HASH}|{REVISION}|{AS_OF}|2025-01|2025-08".encode()).hexdigest()[:12].upper()

D = Decimal


def _r(x: Decimal) -> Decimal:
    return x.quantize(D(1), rounding=ROUND_HALF_UP)


def _digits(key: str, n: int) -> str:
    return str(int(hashlib.sha256(key.encode()).hexdigest(), 16))[:n]


def _fid(rule_id: str, subject: str) -> str:
    return "F-" + hashlib.sha256(f"{rule_id}|{subject}".encode()).hexdigest()[:10].upper()


# Parameters as engine.parameters.ParamUse.as_dict() gives them ---------------------------------

def _p(pid, value, valid_from, instrument, article, source, status, key=None, valid_until=None):
    return {"id": pid, "key": key, "value": value, "valid_from": valid_from, "valid_until": valid_until,
            "instrument": instrument, "article": article, "source": source, "status": status}


P_JKK3 = _p("jkk_rate", "0.0089", "2015-07-01", "PP 44/2015", "Pasal 16 ayat (1) huruf a–e",
            "star.grid.id/read/453716861; parapuan.co/read/533140917", "S2", key="3")
P_JKM = _p("jkm_rate", "0.0030", "2015-07-01", "PP 44/2015", "Pasal 18 ayat (1)", "parapuan.co; nova.grid.id", "S2")
P_JHT_E = _p("jht_rate_employer", "0.037", "2015-07-01", "PP 46/2015", "Pasal 16 ayat (1)", "scribd 368472480", "S2")
P_JHT_W = _p("jht_rate_worker", "0.02", "2015-07-01", "PP 46/2015", "Pasal 16 ayat (1)", "scribd 368472480", "S2")
P_JP_E = _p("jp_rate_employer", "0.02", "2015-07-01", "PP 45/2015", "Pasal 28 ayat (3)", "kontan; hukumonline", "S2")
P_JP_W = _p("jp_rate_worker", "0.01", "2015-07-01", "PP 45/2015", "Pasal 28 ayat (3)", "kontan; hukumonline", "S2")
P_JP_CAP = _p("jp_wage_cap", "10547400", "2025-03-01", "BPJS B/726/022025", "PP 45/2015 Pasal 29",
              "public repository note; several payroll repos", "S1", valid_until="2026-02-28")
P_JP_CAP_OLD = _p("jp_wage_cap", "10042300", "2024-03-01", "BPJS B/1387/022024", "PP 45/2015 Pasal 29",
                  "tanjungpinang.pikiran-rakyat.com; krishand.com", "S2", valid_until="2025-02-28")
P_DEADLINE = _p("payment_deadline", "15", "2015-07-01", "PP 44/2015 (LN 2015/154, TLN 5714); PP 45/2015 (LN 2015/155, TLN 5715); PP 46/2015 (LN 2015/156, TLN 5716)",
                "PP 44/2015 Pasal 21 ayat (2)–(3); PP 45/2015 Pasal 30 ayat (3); PP 46/2015 Pasal 19 ayat (2)–(3)",
                "enacted texts (peraturan.info pp/2015/44, pp/2015/45, pp/2015/46)", "P")
P_FEE = _p("late_fee_rate", "0.02", "2015-07-01", "PP 44/2015 (LN 2015/154, TLN 5714); PP 46/2015 (LN 2015/156, TLN 5716)",
           "PP 44/2015 Pasal 22 ayat (1); PP 46/2015 Pasal 20 ayat (1)", "enacted texts (peraturan.info pp/2015/44, pp/2015/46)", "P")
P_FEE_JP = _p("late_fee_rate_jp", "0.02", "2015-07-01", "PP 45/2015 (LN 2015/155, TLN 5715)", "Pasal 31 ayat (1)",
              "enacted text (peraturan.info pp/2015/45)", "P")
P_JAKON = _p("jakon_bands",
             [{"upto": "100000000", "jkk": "0.0021", "jkm": "0.0003"},
              {"upto": "500000000", "jkk": "0.0017", "jkm": "0.0002"},
              {"upto": "1000000000", "jkk": "0.0013", "jkm": "0.0002"},
              {"upto": "5000000000", "jkk": "0.0011", "jkm": "0.0001"},
              {"upto": None, "jkk": "0.0009", "jkm": "0.0001"}],
             "2015-07-01", "Permenaker 44/2015; Permenaker 5/2021", "UNCONFIRMED",
             "BPJS PROBIS p.98; star.grid.id 453670457", "P")
P_UMK_6171 = _p("umk", "3024820", "2025-01-01", "Kepgub Kalbar (UMK 2025)", "UNCONFIRMED", "ayobogor.com 3114341541", "S1",
                key="6171", valid_until="2025-12-31")
P_PWBD_GROUP = _p("pwbd_estimate_risk_group", "5", "2015-07-01", "patuh (estimate)", "–", "audit-semantics.md", "D")
P_JKK5 = _p("jkk_rate", "0.0174", "2015-07-01", "PP 44/2015", "Pasal 16 ayat (1) huruf a–e",
            "star.grid.id/read/453716861; parapuan.co/read/533140917", "S2", key="5")

RATES = {"JKK": D("0.0089"), "JKM": D("0.0030"), "JHT": D("0.057"), "JP": D("0.03")}
JP_CAP = D("10547400")

FIRST = ["Andi", "Budi", "Citra", "Dewi", "Eko", "Fitri", "Gusti", "Hendra", "Intan", "Joko", "Kartini",
         "Lukman", "Maria", "Nurul", "Oscar", "Putri", "Rahmat", "Siti", "Taufik", "Utin"]
LAST = ["Saputra", "Wijaya", "Lestari", "Hidayat", "Kurniawan", "Pratama", "Santoso", "Rahayu", "Syahputra", "Anggraini"]


def _workers(regency: str, n: int, seed: int) -> list[dict]:
    out = []
    for i in range(n):
        day = (seed * 7 + i * 3) % 28 + 1 + (40 if i % 3 == 1 else 0)
        nik = f"{regency}{(i % 9) + 1:02d}{day:02d}{(i % 12) + 1:02d}{85 + i % 14:02d}{(seed * 31 + i) % 9000 + 1000:04d}"
        wage = D(3100000 + ((seed * 131 + i * 977) % 23) * 250000)
        if i == 0:
            wage = D("12500000")  # above the JP cap
        out.append({"nik": nik, "name": f"{FIRST[(i + seed) % 20]} {LAST[(i * 3 + seed) % 10]}", "wage": wage})
    return out


def _bill_rows(workers, programs=("JKK", "JKM", "JHT", "JP")):
    base = sum((w["wage"] for w in workers), D(0))
    jp_base = sum((min(w["wage"], JP_CAP) for w in workers), D(0))
    rows = []
    for p in programs:
        b = jp_base if p == "JP" else base
        rows.append({"program": p, "base": b, "rate": RATES[p], "due": b * RATES[p]})
    return rows


def _fmt(v):
    return None if v is None else str(v)


def _tunggakan(emp, period, workers, paid_amount, paid_on, months_late_paid, months_late_open, src_pay_row):
    """Bill, payment allocation and fee per programme, rounded once per finding."""
    rows = _bill_rows(workers)
    bill = _r(sum(r["due"] for r in rows))
    paid = paid_amount or D(0)
    outstanding_total = bill - paid
    comp, fee_total = [], D(0)
    for r in rows:
        share = r["due"] / sum(x["due"] for x in rows)
        paid_p = paid * share
        out_p = outstanding_total * share
        fee_rate = D("0.02")  # every programme, JP too (PP 45/2015 Pasal 31 ayat (1)); reported per programme
        fee = out_p * fee_rate * months_late_open + paid_p * fee_rate * (months_late_paid or 0)
        fee_total += fee
        note = f"sisa terlambat {months_late_open} bulan s.d. {AS_OF.isoformat()}"
        if paid:
            note = f"dibayar {paid_on} ({months_late_paid} bulan terlambat); " + note
        comp.append({"period": period, "program": r["program"], "base": _fmt(r["base"]), "rate": _fmt(r["rate"]),
                     "due": _fmt(r["due"].quantize(D("0.01"))), "paid": _fmt(paid_p.quantize(D("0.01"))),
                     "outstanding": _fmt(out_p.quantize(D("0.01"))), "months_late": months_late_open,
                     "fee": _fmt(fee.quantize(D("0.01"))), "note": note})
    payments = []
    if paid:
        payments.append({"period": period, "amount": _fmt(paid), "paid_on": paid_on, "reference": f"VA-{emp}-{period.replace('-', '')}",
                         "source": f"payments.csv row {src_pay_row}"})
    return bill, outstanding_total, _r(fee_total), comp, payments


def _employer_e001(eid, name, regency, seed, src_row):
    workers = _workers(regency, 12, seed)
    findings, actions = [], []
    period_rows = {"2025-03": 2 + seed * 40, "2025-04": 14 + seed * 40}
    payroll_source = lambda period, i: f"payroll.csv row {period_rows[period] + i}"  # noqa: E731
    total_amount = total_fee = D(0)

    # TUNGGAKAN 2025-03: part paid late, rest open; 2025-04 nothing paid.
    unpaid_by_period = {}
    for period, paid_amount, paid_on, k_paid, k_open, prow in [
        ("2025-03", D("2500000"), "2025-05-20", 2, 6, 3 + seed * 5),
        ("2025-04", None, None, None, 5, None),
    ]:
        bill, outstanding, fee, comp, pays = _tunggakan(eid, period, workers, paid_amount, paid_on, k_paid, k_open, prow)
        unpaid_by_period[period] = outstanding
        subject = f"{eid}:{period}"
        findings.append(dict(
            finding_id=_fid("tunggakan", subject), rule_id="tunggakan", category="TUNGGAKAN", subject_type="employer_month",
            subject_id=subject, employer_id=eid, contract_id=None, period=period, amount=outstanding, late_fee=fee,
            severity="tinggi", legal_basis="UU 24/2011 Pasal 19 ayat (2); PP 44/2015; PP 46/2015; PP 45/2015",
            message=f"Iuran {period} sebesar Rp {int(bill):,} baru dibayar Rp {int(paid_amount or 0):,} per {AS_OF}".replace(",", "."),
            trace={"rule_id": "tunggakan", "revision": REVISION,
                   "fields": {"bill": str(bill), "paid": str(paid_amount or 0), "due_date": "2025-04-15" if period == "2025-03" else "2025-05-15"},
                   "parameters": [P_JKK3, P_JKM, P_JHT_E, P_JHT_W, P_JP_E, P_JP_W, P_JP_CAP, P_DEADLINE, P_FEE, P_FEE_JP]},
            evidence={"computation": comp, "payments": pays},
        ))
        total_amount += outstanding
        total_fee += fee

    # IURAN-PEKERJA-TIDAK-DISETOR: the worker share (JHT 2 % + JP 1 %) was deducted from the payroll.
    for period in ("2025-03", "2025-04"):
        ws = []
        ded_sum = D(0)
        for i, w in enumerate(workers):
            ded = _r(w["wage"] * D("0.02") + min(w["wage"], JP_CAP) * D("0.01"))
            ded_sum += ded
            ws.append({"nik": w["nik"], "name": w["name"], "period": period, "wage": _fmt(w["wage"]), "reported_wage": _fmt(w["wage"]),
                       "bpjs_deduction": _fmt(ded), "source": payroll_source(period, i)})
        amount = min(ded_sum, unpaid_by_period[period])
        subject = f"{eid}:{period}"
        findings.append(dict(
            finding_id=_fid("iuran_pekerja_tidak_disetor", subject), rule_id="iuran_pekerja_tidak_disetor",
            category="IURAN-PEKERJA-TIDAK-DISETOR", subject_type="employer_month", subject_id=subject, employer_id=eid,
            contract_id=None, period=period, amount=amount, late_fee=None, severity="pidana",
            legal_basis="UU 24/2011 Pasal 19 ayat (1) jo. Pasal 55",
            message=f"Potongan iuran pekerja {period} Rp {int(ded_sum):,} tidak disetor penuh".replace(",", "."),
            trace={"rule_id": "iuran_pekerja_tidak_disetor", "revision": REVISION,
                   "fields": {"deductions": str(ded_sum), "unpaid": str(unpaid_by_period[period])}, "parameters": []},
            evidence={"workers": ws},
        ))
        total_amount += amount

    # PDS-TK 2025-04: two payroll workers are not participants.
    extra = [{"nik": f"{regency}05{(seed % 28) + 1:02d}0799{2000 + seed:04d}", "name": f"Yohanes {LAST[seed % 10]}", "wage": D("3150000")},
             {"nik": f"{regency}06{(seed % 28) + 41:02d}1101{3000 + seed:04d}", "name": f"Zainab {LAST[(seed + 4) % 10]}", "wage": D("3150000")}]
    comp = []
    for r in _bill_rows(extra):
        comp.append({"period": "2025-04", "program": r["program"], "base": _fmt(r["base"]), "rate": _fmt(r["rate"]),
                     "due": _fmt(r["due"].quantize(D("0.01"))), "paid": "0", "outstanding": _fmt(r["due"].quantize(D("0.01"))),
                     "months_late": None, "fee": None, "note": "2 pekerja tidak terdaftar"})
    amount = _r(sum(D(c["due"]) for c in comp))
    subject = f"{eid}:2025-04"
    findings.append(dict(
        finding_id=_fid("pds_tk", subject), rule_id="pds_tk", category="PDS-TK", subject_type="employer_month", subject_id=subject,
        employer_id=eid, contract_id=None, period="2025-04", amount=amount, late_fee=None, severity="sedang",
        legal_basis="UU 24/2011 Pasal 15 ayat (1)", message="2 pekerja dalam daftar upah April 2025 tidak terdaftar sebagai peserta",
        trace={"rule_id": "pds_tk", "revision": REVISION, "fields": {"workers_missing": 2},
               "parameters": [P_JKK3, P_JKM, P_JHT_E, P_JHT_W, P_JP_E, P_JP_W, P_JP_CAP]},
        evidence={"computation": comp,
                  "workers": [{"nik": w["nik"], "name": w["name"], "period": "2025-04", "wage": _fmt(w["wage"]), "reported_wage": None,
                               "source": f"payroll.csv row {period_rows['2025-04'] + 12 + i}"} for i, w in enumerate(extra)]},
    ))
    total_amount += amount

    actions = [
        dict(employer_id=eid, action="teguran-1", issued_on=dt.date(2025, 6, 2), reference=f"B/{1200 + seed}/062025", src_row=2 + seed * 2),
        dict(employer_id=eid, action="teguran-2", issued_on=dt.date(2025, 6, 20), reference=f"B/{1400 + seed}/062025", src_row=3 + seed * 2),
    ]
    employer = dict(employer_id=eid, name=name, npwp="0" + _digits(f"npwp{eid}", 15), nib=_digits(f"nib{eid}", 13),
                    npp=f"{19000000 + seed * 17}", registered_on=dt.date(2016, 3, 1), scale="besar", sector="01262",
                    jkk_risk_group=3, programs="JKK;JKM;JHT;JP", regency_code=regency,
                    address=f"Jl. Raya Sungai Pinyuh Km {seed + 5}, Desa Peniraman", src_row=src_row)
    case = dict(employer_id=eid, name=name, categories="IURAN-PEKERJA-TIDAK-DISETOR;PDS-TK;TUNGGAKAN",
                total_amount=total_amount, total_late_fee=total_fee, next_steps=["pidana", "skk", "tmp2t", "denda"], wait_until=None,
                trace={"teguran-2": {"issued_on": "2025-06-20", "period_ends": "2025-07-04"}, "open": ["TUNGGAKAN", "IURAN-PEKERJA-TIDAK-DISETOR"]})
    return employer, findings, actions, case


def _employer_e002():
    eid, regency = "E002", "6171"
    findings = []
    c1 = {"contract_id": "602/PUPR-BM/2025", "title": "Peningkatan Jalan Sungai Ambawang–Kuala Mandor Seg. 2", "owner": "Dinas PUPR Provinsi Kalimantan Barat",
          "funding": "apbd-provinsi", "ppk": "Ir. H. Syarif Abdullah, M.T.", "value": "4850000000.00", "current_value": "5120000000.00",
          "spk_date": "2025-04-07", "start_date": "2025-04-14", "registered_on": None, "contribution_paid": None,
          "source": "contracts.xlsx sheet contracts row 7; contract_amendments.csv row 3"}
    # construction contribution on 5,120,000,000, marginal bands
    bands = [(D(100000000), D("0.0021"), D("0.0003")), (D(500000000), D("0.0017"), D("0.0002")), (D(1000000000), D("0.0013"), D("0.0002")),
             (D(5000000000), D("0.0011"), D("0.0001")), (None, D("0.0009"), D("0.0001"))]

    def jakon(value):
        comp, lo, total = [], D(0), D(0)
        for hi, jkk, jkm in bands:
            top = value if hi is None else min(value, hi)
            if top <= lo:
                break
            slice_ = top - lo
            for prog, rate in (("JKK", jkk), ("JKM", jkm)):
                comp.append({"period": None, "program": prog, "base": _fmt(slice_), "rate": _fmt(rate), "due": _fmt((slice_ * rate).quantize(D("0.01"))),
                             "paid": None, "outstanding": None, "months_late": None, "fee": None,
                             "note": f"irisan {int(lo):,}–{int(top):,}".replace(",", ".")})
                total += slice_ * rate
            lo = top
        return comp, _r(total)

    comp1, due1 = jakon(D("5120000000"))
    findings.append(dict(
        finding_id=_fid("jakon_belum_daftar", c1["contract_id"]), rule_id="jakon_belum_daftar", category="JAKON-BELUM-DAFTAR",
        subject_type="contract", subject_id=c1["contract_id"], employer_id=eid, contract_id=c1["contract_id"], period=None,
        amount=due1, late_fee=None, severity="tinggi", legal_basis="Permenaker 44/2015 Pasal 2–3; Perpres 109/2013 Pasal 6 ayat (4)",
        message="Proyek belum didaftarkan pada BPJS Ketenagakerjaan per 30 September 2025",
        trace={"rule_id": "jakon_belum_daftar", "revision": REVISION, "fields": {"current_value": "5120000000.00"}, "parameters": [P_JAKON]},
        evidence={"contracts": [c1], "computation": comp1}))
    c2 = {"contract_id": "027/SPK/PUPR-MPW/2025", "title": "Rehabilitasi Gedung Puskesmas Sungai Kunyit", "owner": "Dinas PUPR Kabupaten Mempawah",
          "funding": "apbd-kabupaten", "ppk": "Rudi Hartono, S.T.", "value": "780000000.00", "current_value": "780000000.00",
          "spk_date": "2025-02-10", "start_date": "2025-02-17", "registered_on": "2025-02-24", "contribution_paid": "1250000.00",
          "source": "contracts.xlsx sheet contracts row 9; project_registrations.csv row 4"}
    comp2, due2 = jakon(D("780000000"))
    comp2.append({"period": None, "program": "JKK+JKM", "base": None, "rate": None, "due": None, "paid": "1250000.00",
                  "outstanding": _fmt(due2 - D("1250000")), "months_late": None, "fee": None, "note": "dibayar 24-02-2025"})
    findings.append(dict(
        finding_id=_fid("jakon_kurang_bayar", c2["contract_id"]), rule_id="jakon_kurang_bayar", category="JAKON-KURANG-BAYAR",
        subject_type="contract", subject_id=c2["contract_id"], employer_id=eid, contract_id=c2["contract_id"], period=None,
        amount=due2 - D("1250000"), late_fee=None, severity="sedang", legal_basis="Permenaker 44/2015; Perdir BPJS 22/PERDIR.02/072022",
        message="Iuran proyek kurang dibayar", trace={"rule_id": "jakon_kurang_bayar", "revision": REVISION,
                                                        "fields": {"contribution_paid": "1250000.00"}, "parameters": [P_JAKON]},
        evidence={"contracts": [c2], "computation": comp2}))
    ws = [{"nik": "6171014505990003", "name": "Rina Marlina", "period": "2025-05", "wage": "2500000", "reported_wage": "2500000", "source": "payroll.csv row 88"},
          {"nik": "6171021203010123", "name": "Agus Salim", "period": "2025-05", "wage": "2750000", "reported_wage": "2750000", "source": "payroll.csv row 89"},
          {"nik": "6112030708970456", "name": "Dedi Irawan", "period": "2025-05", "wage": "2900000", "reported_wage": "2900000", "source": "payroll.csv row 90"}]
    short = sum((D("3024820") - D(w["wage"]) for w in ws), D(0))
    findings.append(dict(
        finding_id=_fid("upah_di_bawah_umk", f"{eid}:2025-05"), rule_id="upah_di_bawah_umk", category="UPAH-DI-BAWAH-UMK",
        subject_type="employer_month", subject_id=f"{eid}:2025-05", employer_id=eid, contract_id=None, period="2025-05",
        amount=short, late_fee=None, severity="sedang", legal_basis="PP 51/2023; Kepgub Kalbar UMK 2025",
        message="3 pekerja dibayar di bawah UMK Kota Pontianak 2025", trace={"rule_id": "upah_di_bawah_umk", "revision": REVISION,
                                                                            "fields": {"workers": 3}, "parameters": [P_UMK_6171]},
        evidence={"workers": ws}))
    employer = dict(employer_id=eid, name="CV Karya Bangun Borneo", npwp="018765432701000", nib="9120305551234", npp="21004567",
                    registered_on=dt.date(2019, 8, 1), scale="menengah", sector="konstruksi", jkk_risk_group=4, programs="JKK;JKM;JHT;JP",
                    regency_code=regency, address="Jl. Sultan Abdurrahman No. 21, Pontianak Selatan", src_row=3)
    actions = [dict(employer_id=eid, action="teguran-1", issued_on=dt.date(2025, 7, 1), reference="B/2210/072025", src_row=6),
               dict(employer_id=eid, action="teguran-2", issued_on=dt.date(2025, 7, 21), reference="B/2480/072025", src_row=7)]
    case = dict(employer_id=eid, name=employer["name"], categories="JAKON-BELUM-DAFTAR;JAKON-KURANG-BAYAR;UPAH-DI-BAWAH-UMK",
                total_amount=sum(f["amount"] for f in findings), total_late_fee=D(0), next_steps=["tmp2t", "denda"], wait_until=None, trace={})
    return employer, findings, actions, case


def _employer_e003():
    eid = "E003"
    ws = [{"nik": "6172011002880011", "name": "Hasan Basri", "wage": D("3100000")},
          {"nik": "6172015507920022", "name": "Lim Mei Ling", "wage": D("3100000")},
          {"nik": "6172010101000033", "name": "Sutrisno", "wage": D("3300000")}]
    findings = []
    comp = []
    for period in ("2025-06", "2025-07"):
        for p, rate in (("JKK", D("0.0174")), ("JKM", D("0.0030"))):
            base = sum((w["wage"] for w in ws), D(0))
            comp.append({"period": period, "program": p, "base": _fmt(base), "rate": _fmt(rate), "due": _fmt((base * rate).quantize(D("0.01"))),
                         "paid": "0", "outstanding": _fmt((base * rate).quantize(D("0.01"))), "months_late": None, "fee": None,
                         "note": "kelompok risiko 5 (perkiraan)"})
    findings.append(dict(
        finding_id=_fid("pwbd", eid), rule_id="pwbd", category="PWBD", subject_type="employer", subject_id=eid, employer_id=eid,
        contract_id=None, period=None, amount=_r(sum(D(c["due"]) for c in comp)), late_fee=None, severity="tinggi",
        legal_basis="UU 24/2011 Pasal 15 ayat (1); Perpres 109/2013 Pasal 6", message="Pemberi kerja wajib belum mendaftar",
        trace={"rule_id": "pwbd", "revision": REVISION, "fields": {"npp": None}, "parameters": [P_JKK5, P_JKM, P_PWBD_GROUP]},
        evidence={"computation": comp}))
    for n, period in enumerate(("2025-06", "2025-07")):
        wrows = [{"nik": w["nik"], "name": w["name"], "period": period, "wage": _fmt(w["wage"]), "reported_wage": None,
                  "bpjs_deduction": _fmt(_r(w["wage"] * D("0.03"))), "source": f"payroll.xlsx sheet payroll row {2 + n * 3 + i}"}
                 for i, w in enumerate(ws)]
        amount = sum((D(w["bpjs_deduction"]) for w in wrows), D(0))
        findings.append(dict(
            finding_id=_fid("iuran_pekerja_tidak_disetor", f"{eid}:{period}"), rule_id="iuran_pekerja_tidak_disetor",
            category="IURAN-PEKERJA-TIDAK-DISETOR", subject_type="employer_month", subject_id=f"{eid}:{period}", employer_id=eid,
            contract_id=None, period=period, amount=amount, late_fee=None, severity="pidana", legal_basis="UU 24/2011 Pasal 19 ayat (1) jo. Pasal 55",
            message="Iuran pekerja dipotong dari upah tetapi tidak pernah disetor", trace={"rule_id": "iuran_pekerja_tidak_disetor",
                                                                                         "revision": REVISION, "fields": {}, "parameters": []},
            evidence={"workers": wrows}))
    employer = dict(employer_id=eid, name="UD Sumber Rejeki", npwp="6172011204750001", nib="0220001234567", npp=None, registered_on=None,
                    scale="kecil", sector="perdagangan", jkk_risk_group=None, programs=None, regency_code="6172",
                    address="Jl. Diponegoro No. 8, Singkawang Barat", src_row=4)
    case = dict(employer_id=eid, name=employer["name"], categories="IURAN-PEKERJA-TIDAK-DISETOR;PWBD",
                total_amount=sum(f["amount"] for f in findings), total_late_fee=D(0), next_steps=["pidana", "teguran-1"], wait_until=None, trace={})
    return employer, findings, [], case


INPUT_FILES = [
    {"file": "package.yaml", "sheet": None, "rows": None},
    {"file": "employers.csv", "sheet": "employers", "rows": 3},
    {"file": "payroll.csv", "sheet": "payroll", "rows": 420},
    {"file": "payroll.xlsx", "sheet": "payroll", "rows": 6},
    {"file": "payments.csv", "sheet": "payments", "rows": 18},
    {"file": "contracts.xlsx", "sheet": "contracts", "rows": 12},
    {"file": "project_registrations.csv", "sheet": "project_registrations", "rows": 5},
    {"file": "enforcement_actions.csv", "sheet": "enforcement_actions", "rows": 4},
]


def input_files() -> list[dict]:
    """The (file, sheet, sha256) list write_manifest takes."""
    return [{"file": f["file"], "sheet": f["sheet"], "sha256": hashlib.sha256(f["file"].encode()).hexdigest()} for f in INPUT_FILES]


def build_store(engine: Engine, *, employer_name: str = "PT Sawit Khatulistiwa Lestari", extra_cases: int = 0) -> str:
    """Write the fixture into `engine` (schema created if needed); returns the run id."""
    ensure_schema(engine)
    employers, findings, actions, cases = [], [], [], []
    e, f, a, c = _employer_e001("E001", employer_name, "6104", 0, 2)
    employers.append(e); findings += f; actions += a; cases.append(c)  # noqa: E702
    for part in (_employer_e002(), _employer_e003()):
        e, f, a, c = part
        employers.append(e); findings += f; actions += a; cases.append(c)  # noqa: E702
    regencies = ["6101", "6102", "6103", "6105", "6106", "6107", "6108", "6109", "6110", "6111", "6112", "6171", "6172"]
    for i in range(extra_cases):
        eid = f"X{i + 1:03d}"
        e, f, a, c = _employer_e001(eid, f"PT Perkebunan Nusantara Borneo {i + 1}", regencies[i % len(regencies)], i + 1, 10 + i)
        employers.append(e); findings += f; actions += a; cases.append(c)  # noqa: E702

    with engine.begin() as conn:
        imp = conn.execute(insert(s.imports).values(
            package_hash=PACKAGE_HASH, name="kalbar-dossier-fixture", source="tests/dossier_fixtures.py", as_of=AS_OF, province="61",
            loaded_at=dt.datetime(2025, 10, 1, 8, 0), warnings="[]")).inserted_primary_key[0]
        conn.execute(insert(s.import_files), [dict(import_id=imp, **f, sha256=hashlib.sha256(f["file"].encode()).hexdigest()) for f in INPUT_FILES])
        conn.execute(insert(s.employers), [dict(import_id=imp, src_file="employers.csv", src_sheet=None, **e) for e in employers])
        conn.execute(insert(s.enforcement_actions), [dict(import_id=imp, src_file="enforcement_actions.csv", src_sheet=None, **a) for a in actions])
        conn.execute(insert(s.runs).values(
            run_id=RUN_ID, import_id=imp, package_hash=PACKAGE_HASH, ruleset_revision=REVISION, as_of=AS_OF, period_from="2025-01",
            period_to="2025-08", parameters_json="{}", counts_json=json.dumps({"findings": len(findings), "cases": len(cases)})))
        conn.execute(insert(s.findings), [
            dict({k: v for k, v in f.items() if k not in ("trace", "evidence")}, run_id=RUN_ID,
                 trace_json=json.dumps(f["trace"], sort_keys=True), evidence_json=json.dumps(f["evidence"], sort_keys=True))
            for f in findings])
        conn.execute(insert(s.cases), [
            dict({k: v for k, v in c.items() if k not in ("trace", "next_steps")}, run_id=RUN_ID,
                 next_steps=json.dumps(c["next_steps"]), trace_json=json.dumps(c["trace"], sort_keys=True))
            for c in cases])
    return RUN_ID


def all_niks(engine: Engine, run_id: str = RUN_ID) -> set[str]:
    """Every 16-digit NIK that occurs in the findings' evidence (for the no-NIK test)."""
    from sqlalchemy import select

    out = set()
    with engine.connect() as conn:
        for ev in conn.execute(select(s.findings.c.evidence_json).where(s.findings.c.run_id == run_id)).scalars():
            for w in json.loads(ev).get("workers", []):
                out.add(w["nik"])
    return out
