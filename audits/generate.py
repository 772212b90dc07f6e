"""`patuh generate` — a synthetic Kalimantan Barat data package of any size, with an answer key.

The package follows docs/data-package.md exactly. Violations are planted at realistic rates (most
employers are clean) and the answer key (`expected_findings.csv`, `expected_cases.csv`) is not
written from what was planted but computed by the oracle (`audits.oracle`) from the rows actually
written — employer by employer, as they are generated, so the generator streams: it never holds
more than one employer's rows (plus the set of NIKs used, to keep them unique).

Deterministic: one `random.Random(seed)` drives every choice, in a fixed order; nothing depends on
set or hash order, the clock or the machine.
"""
from __future__ import annotations

import csv
import datetime as dt
import math
import operator
import random
import resource
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from pathlib import Path

import click
from stdnum import luhn

from patuh.audits import oracle, regions
from patuh.audits.calc.calendar import add_working_days, is_working_day, months_between, period_end, period_start
from patuh.audits.calc.dues import canonical_programs
from patuh.audits.model import CASE_COLUMNS, FINDING_COLUMNS
from patuh.audits.rulebook import parameters_dir
from patuh.engine.parameters import ParameterError, ParameterStore

D = Decimal
ZERO = D(0)
THOUSAND = D(1000)

# ----------------------------------------------------------------------------- column order

COLUMNS = {
    "employers": ["employer_id", "name", "npwp", "nib", "npp", "registered_on", "scale", "sector",
                  "jkk_risk_group", "programs", "regency_code", "address"],
    "participants": ["employer_id", "nik", "kpj", "name", "start_date", "end_date"],
    "payroll": ["employer_id", "period", "nik", "name", "employment", "wage", "bpjs_deduction"],
    "declarations": ["employer_id", "period", "nik", "reported_wage"],
    "payments": ["employer_id", "period", "amount", "paid_on", "reference"],
    "contracts": ["contract_id", "title", "contractor_id", "owner", "funding", "ppk", "value", "spk_date",
                  "start_date", "end_date", "regency_code", "parent_contract_id"],
    "contract_amendments": ["contract_id", "amended_on", "value"],
    "project_registrations": ["contract_id", "registration_no", "registered_on", "declared_value",
                              "contribution_paid", "paid_on"],
    "enforcement_actions": ["employer_id", "action", "issued_on", "reference"],
}

# ------------------------------------------------------------------------------ Kalbar data

# the province's regencies are audits/regions.py's; what the generator adds to each:
# code: (weight, number of kecamatan — used for the NIK's district digits)
_DRAW = {
    "6101": (8, 19), "6102": (4, 17), "6103": (5, 13), "6104": (5, 9), "6105": (7, 15), "6106": (8, 20),
    "6107": (6, 14), "6108": (4, 23), "6109": (3, 7), "6110": (3, 11), "6111": (2, 6), "6112": (12, 9),
    "6171": (25, 6), "6172": (8, 5),
}
if set(_DRAW) != set(regions.REGENCIES):
    raise RuntimeError("audits/generate.py _DRAW and audits/regions.py list different regencies")
# code: (name, weight, number of kecamatan)
REGENCIES = {code: (regions.regency_name(code), *_DRAW[code]) for code in regions.REGENCIES}
REGENCY_CODES = list(REGENCIES)
REGENCY_WEIGHTS = [REGENCIES[c][1] for c in REGENCY_CODES]
TOWNS = {
    "6101": "Sambas", "6102": "Bengkayang", "6103": "Ngabang", "6104": "Mempawah", "6105": "Sanggau",
    "6106": "Ketapang", "6107": "Sintang", "6108": "Putussibau", "6109": "Sekadau", "6110": "Nanga Pinoh",
    "6111": "Sukadana", "6112": "Sungai Raya", "6171": "Pontianak", "6172": "Singkawang",
}
KPP = {"6171": "701", "6112": "701", "6104": "701", "6172": "702", "6101": "702", "6102": "702",
       "6107": "703", "6108": "703", "6110": "703", "6109": "703", "6105": "704", "6103": "704",
       "6106": "705", "6111": "705"}

# sector: (JKK risk group, employment mix as (kind, weight) pairs)
SECTORS = {
    "perdagangan": (1, [("pkwtt", 75), ("pkwt", 25)]),
    "jasa": (1, [("pkwtt", 70), ("pkwt", 30)]),
    "kesehatan": (1, [("pkwtt", 70), ("pkwt", 30)]),
    "pendidikan": (1, [("pkwtt", 65), ("pkwt", 35)]),
    "perhotelan": (2, [("pkwtt", 55), ("pkwt", 35), ("harian", 10)]),
    "transportasi": (3, [("pkwtt", 55), ("pkwt", 35), ("harian", 10)]),
    "industri pengolahan": (3, [("pkwtt", 55), ("pkwt", 30), ("harian", 15)]),
    "perkebunan": (3, [("pkwtt", 45), ("pkwt", 20), ("harian", 30), ("borongan", 5)]),
    "perikanan": (4, [("pkwtt", 40), ("pkwt", 30), ("harian", 30)]),
    "kehutanan": (4, [("pkwtt", 45), ("pkwt", 35), ("harian", 20)]),
    "konstruksi": (4, [("pkwtt", 25), ("pkwt", 40), ("harian", 25), ("borongan", 10)]),
    "pertambangan": (5, [("pkwtt", 55), ("pkwt", 40), ("harian", 5)]),
}
SECTORS_BY_SCALE = {
    "mikro": [("perdagangan", 45), ("jasa", 20), ("perhotelan", 12), ("industri pengolahan", 8),
              ("perikanan", 5), ("transportasi", 4), ("konstruksi", 6)],
    "kecil": [("perdagangan", 28), ("jasa", 15), ("perhotelan", 10), ("industri pengolahan", 10),
              ("konstruksi", 14), ("transportasi", 8), ("perikanan", 5), ("kesehatan", 5), ("pendidikan", 5)],
    "menengah": [("perdagangan", 15), ("konstruksi", 20), ("industri pengolahan", 15), ("perkebunan", 15),
                 ("transportasi", 8), ("kesehatan", 8), ("pendidikan", 6), ("perhotelan", 7), ("kehutanan", 6)],
    "besar": [("perkebunan", 35), ("industri pengolahan", 20), ("konstruksi", 15), ("pertambangan", 10),
              ("perdagangan", 8), ("kesehatan", 6), ("kehutanan", 6)],
}
SCALES = [("mikro", 75.0), ("kecil", 18.0), ("menengah", 5.5), ("besar", 1.5)]
WORKERS = {"mikro": (2, 5), "kecil": (5, 19), "menengah": (20, 99), "besar": (100, 400)}

MALE = ["Ahmad", "Muhammad", "Rahmat", "Budi", "Agus", "Hendra", "Yohanes", "Antonius", "Stefanus",
        "Fransiskus", "Heri", "Rudi", "Andi", "Syarif", "Uray", "Gusti", "Hasan", "Sulaiman", "Abdul",
        "Junaidi", "Suryadi", "Darmawan", "Eko", "Joko", "Slamet", "Hendrik", "Martinus", "Paulus",
        "Yakobus", "Benediktus", "Acong", "Ahiung", "Afung", "Supardi", "Riduan", "Zulkifli", "Firman",
        "Syahrul", "Taufik", "Wahyu", "Yusuf", "Ismail", "Marzuki", "Rizal", "Dedi", "Alex", "Kristian"]
FEMALE = ["Siti", "Nur", "Sri", "Dewi", "Rina", "Yuliana", "Maria", "Agustina", "Theresia", "Fransiska",
          "Lestari", "Wulan", "Fitri", "Rahmawati", "Nurhayati", "Aisyah", "Maimunah", "Fatimah", "Sumiati",
          "Susanti", "Mei Ling", "Lili", "Apin", "Veronika", "Herlina", "Elisabet", "Kartini", "Yanti",
          "Novita", "Indah", "Ratna", "Juliana", "Winda", "Selvi", "Margareta"]
SURNAMES = ["Saputra", "Pratama", "Hidayat", "Santoso", "Wijaya", "Kurniawan", "Setiawan", "Gunawan",
            "Hartono", "Syahputra", "Nugroho", "Anggraini", "Rahayu", "Permata", "Utami", "Alkadrie",
            "Tan", "Lim", "Lie", "Ng", "Simanjuntak", "Sinaga", "Ubing", "Ngadi", "Jalung", "Atok",
            "Riyadi", "Maulana", "Fauzi", "Ramadhan", "Hasibuan", "Susilo", "Mahmud", "Rosadi", "Effendi"]
STREETS = ["Jl. Ahmad Yani", "Jl. Gajah Mada", "Jl. Tanjungpura", "Jl. Imam Bonjol", "Jl. Sultan Hamid II",
           "Jl. Veteran", "Jl. Pahlawan", "Jl. Diponegoro", "Jl. Merdeka", "Jl. Trans Kalimantan",
           "Jl. Adisucipto", "Jl. Sudirman", "Jl. Hasanuddin", "Jl. Sungai Raya Dalam", "Jl. Khatulistiwa"]
NAME_WORDS = ["Borneo", "Khatulistiwa", "Kapuas", "Equator", "Mandiri", "Sejahtera", "Abadi", "Jaya",
              "Makmur", "Perkasa", "Lestari", "Sentosa", "Bersama", "Nusantara", "Karya", "Agung", "Prima",
              "Utama", "Sinar", "Harapan", "Cahaya", "Landak", "Melawi", "Tunas", "Mitra", "Bumi", "Sumber",
              "Rejeki", "Berkah", "Anugerah", "Persada", "Gemilang", "Sakti", "Raya", "Indah", "Baru"]
# name prefixes of small firms by sector (menengah and besar firms are PT or CV)
PREFIX = {"perdagangan": ["UD", "Toko", "CV"], "jasa": ["Bengkel", "CV", "Salon", "Laundry"],
          "perhotelan": ["Rumah Makan", "Warung Kopi", "Penginapan", "Hotel"], "kesehatan": ["Klinik", "Apotek"],
          "pendidikan": ["Yayasan", "Lembaga Kursus"], "transportasi": ["CV", "PO"],
          "industri pengolahan": ["UD", "CV"], "perikanan": ["UD", "CV"], "konstruksi": ["CV", "CV", "PT"]}
ROADS = ["Peningkatan Jalan", "Pengaspalan Jalan", "Pemeliharaan Jalan", "Pembangunan Jembatan"]
WATER = ["Pembangunan Drainase", "Rehabilitasi Saluran Irigasi", "Pembangunan Turap", "Pembangunan Dermaga"]
BUILDINGS = ["Pembangunan Gedung Kantor", "Rehabilitasi Gedung", "Pembangunan Puskesmas", "Rehabilitasi Ruang Kelas"]
PLACES = ["Sungai Ambawang", "Rasau Jaya", "Sungai Pinyuh", "Tayan", "Entikong", "Nanga Tayap", "Sei Kakap",
          "Teluk Pakedai", "Siantan", "Jawai", "Pemangkat", "Sanggau Ledo", "Balai Karangan", "Sandai",
          "Sungai Kunyit", "Menjalin", "Kembayan", "Semitau", "Air Upas", "Meliau"]
# funding: [(owner template, kinds of work it procures)]
OWNERS = {
    "apbn": [("Balai Pelaksanaan Jalan Nasional Kalimantan Barat", ROADS),
             ("Balai Wilayah Sungai Kalimantan I", WATER),
             ("Balai Prasarana Permukiman Wilayah Kalimantan Barat", BUILDINGS)],
    "apbd-provinsi": [("Dinas PUPR Provinsi Kalimantan Barat", ROADS + WATER),
                      ("Dinas Pendidikan dan Kebudayaan Provinsi Kalimantan Barat", ["Rehabilitasi Ruang Kelas SMA"]),
                      ("RSUD dr. Soedarso", ["Pembangunan Gedung Rawat Inap", "Rehabilitasi Gedung"])],
    "apbd-kabupaten": [("Dinas PUPR {regency}", ROADS + WATER), ("Dinas Perkim {regency}", BUILDINGS),
                       ("Dinas Pendidikan {regency}", ["Rehabilitasi Ruang Kelas SD", "Pembangunan Ruang Kelas Baru"])],
    "apbdes": [("Pemerintah Desa {place}", ["Pembangunan Jalan Usaha Tani", "Pembangunan Balai Desa",
                                             "Pembangunan Jalan Rabat Beton", "Pembangunan Drainase"])],
    "swasta": [("PT {a} {b} (pemilik swasta)", ["Pembangunan Gudang", "Pembangunan Ruko", "Pembangunan Pabrik"]),
               ("Yayasan {a} {b}", ["Pembangunan Gedung Sekolah", "Pembangunan Asrama"])],
}
FUNDING = [("apbd-kabupaten", 35), ("apbd-provinsi", 18), ("apbn", 15), ("apbdes", 12), ("swasta", 20)]
VALUE_RANGE = {  # log-uniform contract values per funding source
    "apbn": (1_500_000_000, 40_000_000_000), "apbd-provinsi": (400_000_000, 15_000_000_000),
    "apbd-kabupaten": (150_000_000, 6_000_000_000), "apbdes": (50_000_000, 900_000_000),
    "swasta": (80_000_000, 8_000_000_000),
}
PPK_TITLES = ["Ir.", "", "", "Drs.", ""]
PPK_SUFFIX = [", S.T.", ", M.T.", ", S.T., M.T.", "", ", S.E."]

# Rates at which violations are planted (share of employers, or of contracts).
RATES = {
    "pwbd": 0.03, "pds_tk": 0.08, "pds_upah": 0.05, "pds_program": 0.03, "arrears": 0.05,
    "late": 0.08, "under_umk": 0.03,
    "jakon_unregistered": 0.15, "jakon_late": 0.10, "jakon_underpaid": 0.10, "jakon_amended": 0.10,
    "subcontract": 0.06,
}


# ---------------------------------------------------------------------------------- helpers


def ceil_thousand(x: Decimal) -> Decimal:
    return (x / THOUSAND).to_integral_value(rounding="ROUND_CEILING") * THOUSAND


def floor_thousand(x: Decimal) -> Decimal:
    return (x / THOUSAND).to_integral_value(rounding="ROUND_FLOOR") * THOUSAND


def whole(x: Decimal) -> Decimal:
    return x.quantize(D(1), rounding=ROUND_HALF_UP)


def text(v) -> str:
    if v is None:
        return ""
    if isinstance(v, dt.date):
        return v.isoformat()
    if isinstance(v, (list, tuple)):
        return ";".join(v)
    return str(v)


def parse_months(spec: str) -> tuple[str, str]:
    try:
        a, b = spec.split(":")
        for p in (a, b):
            period_start(p)
            if len(p) != 7:
                raise ValueError
    except ValueError:
        raise click.BadParameter(f"{spec!r} is not a range YYYY-MM:YYYY-MM, e.g. 2025-01:2025-12") from None
    if a > b:
        raise click.BadParameter(f"{spec!r}: the first month is after the last")
    return a, b


def default_params_dir() -> Path:
    return parameters_dir()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # Linux: kB


@dataclass
class Worker:
    nik: str
    name: str
    kpj: str
    employment: str
    factor: Decimal  # wage as a multiple of the minimum wage (harian/borongan: of a month's earnings)
    first: int  # index of the first month on the payroll
    last: int  # index of the last month on the payroll
    hired_on: dt.date
    left_on: dt.date | None
    member: bool = True  # has a participant row
    under_reported: Decimal | None = None  # reported share of the wage (PDS-UPAH)
    wages: dict = field(default_factory=dict)  # year -> wage


@dataclass
class Stats:
    rows: dict = field(default_factory=lambda: {t: 0 for t in COLUMNS})
    findings: int = 0
    cases: int = 0
    by_category: dict = field(default_factory=dict)
    seconds: float = 0.0
    peak_rss_mb: float = 0.0


# -------------------------------------------------------------------------------- generator


class Generator:
    def __init__(self, n_employers: int, period_from: str, period_to: str, seed: int, as_of: dt.date,
                 params: ParameterStore):
        self.n = n_employers
        self.months = months_between(period_from, period_to)
        self.scope = oracle.Scope(as_of, period_from, period_to)
        self.as_of = as_of
        self.rng = random.Random(seed)
        self.params = oracle.MemoParams(params)
        self.used_nik: set[str] = set()
        self.worker_no = 0
        self.contract_no = 0
        self.recent_contracts: list[dict] = []  # for subcontracts: a few recent main contracts
        self.due = {p: self.params.due_date(p) for p in self.months}
        self.minimum = {}  # (regency, year) -> minimum wage
        for code in REGENCY_CODES:
            for year in sorted({int(p[:4]) for p in self.months}):
                self.minimum[(code, year)] = oracle.minimum_wage(code, f"{year}-01", self.params)

    # -- small random helpers ------------------------------------------------------------------
    def pick(self, weighted):
        items, weights = zip(*weighted)
        return self.rng.choices(items, weights)[0]

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def day_between(self, a: dt.date, b: dt.date) -> dt.date:
        if b <= a:
            return a
        return a + dt.timedelta(days=self.rng.randint(0, (b - a).days))

    def working_day_on_or_before(self, d: dt.date) -> dt.date:
        while not is_working_day(d):
            d -= dt.timedelta(days=1)
        return d

    # -- identifiers -----------------------------------------------------------------------------
    def nik(self, regency: str, female: bool, born: dt.date) -> str:
        kec = self.rng.randint(1, REGENCIES[regency][2])
        day = born.day + (40 if female else 0)
        serial = self.rng.randint(1, 9999)
        while True:
            nik = f"61{regency[2:]}{kec:02d}{day:02d}{born.month:02d}{born.year % 100:02d}{serial:04d}"
            if nik not in self.used_nik:
                self.used_nik.add(nik)
                return nik
            serial = serial % 9999 + 1

    @staticmethod
    def npwp(i: int, regency: str) -> str:
        first8 = f"0{1 + i % 3}{(123457 + i * 7919) % 1_000_000:06d}"
        return first8 + luhn.calc_check_digit(first8) + KPP[regency] + "000"

    @staticmethod
    def nib(i: int) -> str:
        return f"91{(31_415_926_535 + i * 104_729) % 100_000_000_000:011d}"

    @staticmethod
    def npp(i: int) -> str:
        return f"{(10_000_000 + i * 7_919) % 100_000_000:08d}"

    # -- one employer --------------------------------------------------------------------------
    def employer(self, i: int) -> tuple[dict, dict]:
        rng = self.rng
        scale = self.pick(SCALES)
        regency = rng.choices(REGENCY_CODES, REGENCY_WEIGHTS)[0]
        sector = self.pick(SECTORS_BY_SCALE[scale])
        words = rng.sample(NAME_WORDS, 2)
        if scale in ("mikro", "kecil"):
            prefix = rng.choice(PREFIX.get(sector, ["CV", "UD"]))
        else:
            prefix = rng.choice(["PT", "PT", "CV"] if scale == "menengah" else ["PT"])
        name = f"{prefix} {words[0]} {words[1]}"
        plan = {k: self.chance(RATES[k]) for k in ("pwbd", "pds_tk", "pds_upah", "pds_program", "arrears", "late",
                                                    "under_umk")}
        registered = not plan["pwbd"]
        group = SECTORS[sector][0]
        mandatory = oracle.mandatory_programs(scale, self.months[0], self.params)
        programs = list(mandatory)
        if scale in ("kecil", "mikro") and self.chance(0.3):
            programs = list(canonical_programs(programs + ["JHT"]))  # voluntary extra programmes
        if plan["pds_program"]:
            drop = {"besar": "JP", "menengah": "JP", "kecil": "JHT", "mikro": "JKM"}[scale]
            programs = [p for p in programs if p != drop]
        start = period_start(self.months[0])
        emp = {
            "employer_id": f"E{i + 1:06d}",
            "name": name,
            "npwp": self.npwp(i, regency) if scale != "mikro" or self.chance(0.6) else None,
            "nib": self.nib(i) if self.chance(0.93) else None,
            "npp": self.npp(i) if registered else None,
            "registered_on": self.day_between(dt.date(2008, 1, 1), start - dt.timedelta(days=60)) if registered else None,
            "scale": scale,
            "sector": sector,
            "jkk_risk_group": group if registered or self.chance(0.3) else None,
            "programs": programs if registered else None,
            "regency_code": regency,
            "address": f"{rng.choice(STREETS)} No. {rng.randint(1, 250)}, {TOWNS[regency]}",
        }
        # Deducting the worker share is the norm where JHT/JP exist; an employer in arrears
        # deducts less often (otherwise every arrears month would be a criminal case).
        has_worker_share = registered and any(p in programs for p in ("JHT", "JP"))
        plan["deducts"] = has_worker_share and self.chance(0.4 if plan["arrears"] else 0.9)
        if not registered:
            plan["deducts"] = self.chance(0.3)
        return emp, plan

    def workers(self, emp: dict, plan: dict) -> list[Worker]:
        rng = self.rng
        lo, hi = WORKERS[emp["scale"]]
        n = int(math.exp(rng.uniform(math.log(lo), math.log(hi + 1))))  # log-uniform: skewed to small
        n = max(lo, min(hi, n))
        mix = SECTORS[emp["sector"]][1]
        nm = len(self.months)
        start = period_start(self.months[0])
        out = []
        for k in range(n):
            female = rng.random() < 0.38
            born = dt.date(rng.randint(start.year - 58, start.year - 19), rng.randint(1, 12), rng.randint(1, 28))
            first_name = rng.choice(FEMALE if female else MALE)
            name = f"{first_name} {rng.choice(SURNAMES)}"
            employment = "pkwtt" if k == 0 else self.pick(mix)
            if employment in ("harian", "borongan"):
                factor = D(rng.randint(70, 115)) / 100
            elif k > 0 and emp["scale"] in ("menengah", "besar") and rng.random() < 0.05:
                factor = D(rng.randint(250, 600)) / 100  # managers, some above the JP wage cap
            else:
                factor = D(100 + int(abs(rng.gauss(0, 18)))) / 100
            first, last = 0, nm - 1
            hired = self.day_between(dt.date(2008, 1, 1), start - dt.timedelta(days=1))
            if k > 0 and nm > 1 and rng.random() < 0.08:  # joins during the audited months
                first = rng.randint(1, nm - 1)
                hired = self.day_between(period_start(self.months[first]), period_end(self.months[first]))
            left = None
            if k > 0 and nm > 1 and first < nm - 1 and rng.random() < 0.06:  # leaves during them
                last = rng.randint(first, nm - 2)
                left = self.day_between(period_start(self.months[last]), period_end(self.months[last]))
            self.worker_no += 1
            out.append(Worker(self.nik(emp["regency_code"] if rng.random() < 0.85 else rng.choice(REGENCY_CODES),
                                       female, born),
                              name, f"{10_000_000_000 + self.worker_no * 37:011d}", employment, factor,
                              first, last, hired, left))
        if plan["pds_tk"]:
            for w in rng.sample(out, max(1, len(out) // rng.randint(4, 12))):
                w.member = False
        if plan["pds_upah"]:
            members = [w for w in out if w.member]
            for w in rng.sample(members, max(1, len(members) // rng.randint(2, 6))) if members else []:
                w.under_reported = D(rng.randint(55, 90)) / 100
        if plan["under_umk"]:
            fixed = [w for w in out if w.employment in ("pkwtt", "pkwt")]
            for w in rng.sample(fixed, min(len(fixed), rng.randint(1, 3))):
                w.factor = D(rng.randint(85, 97)) / 100
                w.employment = "pkwtt"
        return out

    def wage(self, emp: dict, w: Worker, period: str) -> Decimal:
        year = int(period[:4])
        if w.employment in ("harian", "borongan"):  # earnings vary with the days worked
            base = self.minimum[(emp["regency_code"], year)] * w.factor * D(self.rng.randint(80, 110)) / 100
            return floor_thousand(base)
        wage = w.wages.get(year)
        if wage is None:
            base = self.minimum[(emp["regency_code"], year)] * w.factor
            wage = w.wages[year] = floor_thousand(base) if w.factor < 1 else ceil_thousand(base)
        return wage

    def payments(self, emp: dict, plan: dict, bills: dict[str, Decimal]) -> list[dict]:
        rng = self.rng
        due_months = [p for p in self.months if self.due[p] < self.as_of and bills.get(p, ZERO) > 0]
        late = set(rng.sample(due_months, min(len(due_months), rng.randint(1, 3)))) if plan["late"] else set()
        unpaid = set(due_months[-rng.randint(1, 4):]) if plan["arrears"] and due_months else set()
        out = []
        for p in self.months:
            b = bills.get(p, ZERO)
            if b <= 0:
                continue
            due = self.due[p]
            on_time = self.day_between(period_end(p) + dt.timedelta(days=2), due)
            parts: list[tuple[Decimal, dt.date]]
            if p in unpaid:
                parts = [] if rng.random() < 0.6 else [(whole(b * D(rng.randint(30, 80)) / 100), on_time)]
            elif p in late:
                if rng.random() < 0.5:
                    parts = [(b, due + dt.timedelta(days=rng.randint(1, 75)))]
                else:  # two partial payments, the second late
                    first = whole(b * D(rng.randint(30, 70)) / 100)
                    d1 = on_time if rng.random() < 0.5 else due + dt.timedelta(days=rng.randint(1, 20))
                    parts = [(first, d1), (b - first, d1 + dt.timedelta(days=rng.randint(5, 60)))]
            else:
                parts = [(b, on_time)]
            for amount, paid_on in parts:
                if paid_on <= self.as_of and amount > 0:
                    out.append({"employer_id": emp["employer_id"], "period": p, "amount": amount, "paid_on": paid_on,
                                "reference": f"VA{emp['npp']}{p.replace('-', '')}{len(out) + 1:02d}"})
        return out

    def enforcement(self, emp: dict, plan: dict, rows: dict) -> list[dict]:
        """Some history for employers that are probably in breach (and a little for the others)."""
        rng = self.rng
        suspicious = any(plan[k] for k in ("pwbd", "pds_tk", "pds_upah", "pds_program", "arrears", "late", "under_umk"))
        suspicious = suspicious or plan.get("jakon_violation", False)
        if not suspicious:
            if rng.random() < 0.02:
                d = self.working_day_on_or_before(self.as_of - dt.timedelta(days=rng.randint(400, 900)))
                return [self._action(emp, "teguran-1", d)]
            return []
        story = self.pick([("none", 45), ("t1", 10), ("t1-over", 14), ("t2", 8), ("t2-over", 12),
                           ("denda", 7), ("all", 4)])
        if story == "none":
            return []
        t1 = self.as_of - dt.timedelta(days=rng.randint(3, 12) if story == "t1" else rng.randint(60, 200))
        t1 = self.working_day_on_or_before(t1)
        out = [self._action(emp, "teguran-1", t1)]
        if story in ("t1", "t1-over"):
            return out
        t2 = self.as_of - dt.timedelta(days=rng.randint(3, 12) if story == "t2" else rng.randint(25, 55))
        t2 = self.working_day_on_or_before(max(t2, t1 + dt.timedelta(days=16)))
        if t2 > self.as_of:
            return out
        out.append(self._action(emp, "teguran-2", t2))
        if story in ("denda", "all"):
            d = add_working_days(t2, rng.randint(11, 14))
            if d <= self.as_of:
                out.append(self._action(emp, "denda", d))
                out.append(self._action(emp, "tmp2t", d))
                if story == "all":
                    out.append(self._action(emp, "skk", d))
                    out.append(self._action(emp, "pidana", d))
        return out

    def _action(self, emp: dict, action: str, on: dt.date) -> dict:
        number = self.rng.randint(100, 9999)
        return {"employer_id": emp["employer_id"], "action": action, "issued_on": on,
                "reference": f"{number}/BPJSTK-KB/{action.upper()}/{on.year}"}

    def contracts(self, emp: dict, plan: dict) -> tuple[list[dict], list[dict], list[dict]]:
        rng = self.rng
        if emp["sector"] != "konstruksi":
            return [], [], []
        count = {"mikro": (0, 1), "kecil": (1, 2), "menengah": (1, 4), "besar": (2, 6)}[emp["scale"]]
        contracts, amendments, registrations = [], [], []
        lo_day = period_start(self.months[0])
        hi_day = min(period_end(self.months[-1]), self.as_of) - dt.timedelta(days=20)
        for _ in range(rng.randint(*count)):
            self.contract_no += 1
            parent = None
            if self.recent_contracts and rng.random() < RATES["subcontract"]:
                parent = rng.choice(self.recent_contracts)
            if parent is not None:
                funding = parent["funding"]
                owner = parent["contractor_name"]
                value = whole(parent["value"] * D(rng.randint(10, 40)) / 100 / THOUSAND) * THOUSAND
                spk = self.day_between(parent["spk_date"], parent["spk_date"] + dt.timedelta(days=30))
            else:
                funding = self.pick(FUNDING)
                template, works = rng.choice(OWNERS[funding])
                owner = template.format(regency=REGENCIES[emp["regency_code"]][0], place=rng.choice(PLACES),
                                        a=rng.choice(NAME_WORDS), b=rng.choice(NAME_WORDS))
                vlo, vhi = VALUE_RANGE[funding]
                value = D(int(math.exp(rng.uniform(math.log(vlo), math.log(vhi))) // 1_000_000 * 1_000_000))
                spk = self.day_between(lo_day, hi_day)
            spk = self.working_day_on_or_before(spk)
            start = spk + dt.timedelta(days=rng.randint(3, 14))
            end = start + dt.timedelta(days=rng.randint(60, 300))
            code = {"apbn": "BPJN", "apbd-provinsi": "PUPR-KB", "apbd-kabupaten": "PUPR", "apbdes": "DS",
                    "swasta": "SW"}[funding]
            cid = f"{self.contract_no:05d}/SPK/{code}/{spk.year}"
            ppk = None
            if funding != "swasta":
                ppk = (f"{rng.choice(PPK_TITLES)} {rng.choice(MALE + FEMALE)} {rng.choice(SURNAMES)}"
                       f"{rng.choice(PPK_SUFFIX)}").strip()
            title = (f"Pekerjaan subkontrak: {parent['title']}" if parent is not None
                     else f"{rng.choice(works)} {rng.choice(PLACES)}")
            c = {"contract_id": cid, "title": title, "contractor_id": emp["employer_id"],
                 "owner": owner, "funding": funding, "ppk": ppk, "value": value, "spk_date": spk,
                 "start_date": start, "end_date": end, "regency_code": emp["regency_code"],
                 "parent_contract_id": parent["contract_id"] if parent else None}
            contracts.append(c)
            if parent is None:
                self.recent_contracts.append({**c, "contractor_name": emp["name"]})
                del self.recent_contracts[:-50]
            # amendment (addendum): value up 5–25 %, usually not reported to BPJS
            if rng.random() < RATES["jakon_amended"]:
                amended = self.day_between(start, min(end, self.as_of))
                amendments.append({"contract_id": cid, "amended_on": amended,
                                   "value": whole(value * D(rng.randint(105, 125)) / 100 / THOUSAND) * THOUSAND})
                plan["jakon_violation"] = True
            r = rng.random()
            if r < RATES["jakon_unregistered"]:
                plan["jakon_violation"] = True
                continue
            deadline = add_working_days(spk, 14)
            if r < RATES["jakon_unregistered"] + RATES["jakon_late"]:
                registered_on = add_working_days(deadline, rng.randint(1, 40))
                plan["jakon_violation"] = True
            else:
                registered_on = add_working_days(spk, rng.randint(1, 14))
            if registered_on > self.as_of:
                continue
            due = oracle.contribution(c, [], spk, self.params)  # on the signing value
            paid = due
            if rng.random() < RATES["jakon_underpaid"] / (1 - RATES["jakon_unregistered"]):
                plan["jakon_violation"] = True
                flat_rate = next(b["jkk"] + b["jkm"] for b in self.params.value("jakon_bands", spk)
                                 if b["up_to"] is None or value <= b["up_to"])
                flat = whole(value * flat_rate)  # the published mistake: one band's rate on the whole value
                paid = flat if flat < due - 1 else whole(due * D(rng.randint(40, 80)) / 100)
            registrations.append({"contract_id": cid, "registration_no": f"JK{spk.year}{self.contract_no:07d}",
                                  "registered_on": registered_on, "declared_value": value,
                                  "contribution_paid": paid, "paid_on": registered_on + dt.timedelta(days=rng.randint(0, 3))})
        return contracts, amendments, registrations

    def build(self, i: int) -> tuple[dict, dict[str, list[dict]]]:
        """One employer and all its rows."""
        emp, plan = self.employer(i)
        eid = emp["employer_id"]
        registered = emp["npp"] is not None
        workers = self.workers(emp, plan)
        rows: dict[str, list[dict]] = {t: [] for t in COLUMNS if t != "employers"}
        payroll, declarations = rows["payroll"], rows["declarations"]
        programs = emp["programs"] or []
        jht, jp = "JHT" in programs, "JP" in programs
        caps = {p: self.params.value("jp_wage_cap", period_start(p)) for p in self.months}
        for w in workers:
            # a worker who left before the employer registered never became a participant
            if registered and w.member and (w.left_on is None or w.left_on >= max(w.hired_on, emp["registered_on"])):
                start = max(w.hired_on, emp["registered_on"])
                rows["participants"].append({"employer_id": eid, "nik": w.nik, "kpj": w.kpj, "name": w.name,
                                             "start_date": start, "end_date": w.left_on})
            for m in range(w.first, w.last + 1):
                p = self.months[m]
                wage = self.wage(emp, w, p)
                reported = None
                if registered and w.member:
                    reported = wage if w.under_reported is None else floor_thousand(wage * w.under_reported)
                    declarations.append({"employer_id": eid, "period": p, "nik": w.nik, "reported_wage": reported})
                deduction = ZERO
                if plan["deducts"]:
                    base = reported if registered else wage
                    if base is not None:
                        if not registered:
                            deduction = whole(base * D("0.02"))
                        else:
                            deduction = (base * D("0.02") if jht else ZERO) + (min(base, caps[p]) * D("0.01") if jp else ZERO)
                            deduction = whole(deduction)
                payroll.append({"employer_id": eid, "period": p, "nik": w.nik, "name": w.name,
                                "employment": w.employment, "wage": wage, "bpjs_deduction": deduction})
        if registered:
            by_month: dict[str, list[dict]] = {}
            for d in declarations:
                by_month.setdefault(d["period"], []).append(d)
            bills = {p: oracle.bill(emp, by_month.get(p, []), p, self.params).total for p in self.months}
            rows["payments"] = self.payments(emp, plan, bills)
        rows["contracts"], rows["contract_amendments"], rows["project_registrations"] = self.contracts(emp, plan)
        rows["enforcement_actions"] = self.enforcement(emp, plan, rows)
        return emp, rows


def generate_package(out: Path, n_employers: int, period_from: str, period_to: str, seed: int = 1,
                     as_of: dt.date | None = None, params: ParameterStore | None = None) -> Stats:
    """Write the package (and its answer key) to `out`; return what was written."""
    t0 = time.perf_counter()
    params = params or ParameterStore.load(default_params_dir())
    if as_of is None:
        as_of = period_end(period_to) + dt.timedelta(days=60)
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    gen = Generator(n_employers, period_from, period_to, seed, as_of, params)
    stats = Stats()
    with ExitStack() as stack:
        writers = {}
        for table, cols in list(COLUMNS.items()) + [("expected_findings", FINDING_COLUMNS),
                                                    ("expected_cases", CASE_COLUMNS)]:
            fh = stack.enter_context(open(out / f"{table}.csv", "w", newline="", encoding="utf-8"))
            writers[table] = csv.writer(fh, lineterminator="\n")
            writers[table].writerow(cols)
        getters = {t: operator.itemgetter(*cols) for t, cols in COLUMNS.items()}
        for i in range(n_employers):
            emp, rows = gen.build(i)
            writers["employers"].writerow([text(emp[c]) for c in COLUMNS["employers"]])
            stats.rows["employers"] += 1
            for table, table_rows in rows.items():
                # csv writes None as an empty cell and str() of the rest: Decimal gives a plain
                # number ("3330000"), a date its ISO form; no list columns outside employers.
                writers[table].writerows(map(getters[table], table_rows))
                stats.rows[table] += len(table_rows)
            findings, case = oracle.audit_employer(emp, rows, gen.scope, gen.params)
            for f in findings:
                writers["expected_findings"].writerow(oracle.finding_csv_row(f))
                stats.by_category[f.category] = stats.by_category.get(f.category, 0) + 1
            stats.findings += len(findings)
            if case is not None:
                writers["expected_cases"].writerow(oracle.case_csv_row(case))
                stats.cases += 1
    (out / "package.yaml").write_text(
        f"name: generated-{n_employers}-employers-seed-{seed}\n"
        f"source: patuh generate --employers {n_employers} --months {period_from}:{period_to} --seed {seed} "
        f"(synthetic data, not real persons or firms)\n"
        f"as_of: {as_of.isoformat()}\n"
        f'province: "61"\n',
        encoding="utf-8",
    )
    stats.seconds = time.perf_counter() - t0
    stats.peak_rss_mb = peak_rss_mb()
    return stats


@click.command("generate")
@click.argument("out", type=click.Path(file_okay=False, path_type=Path))
@click.option("--employers", "n_employers", type=click.IntRange(min=1), required=True,
              help="Number of employers (about 100 payroll rows each over 12 months).")
@click.option("--months", default="2025-01:2025-12", show_default=True, help="Contribution months FROM:TO.")
@click.option("--seed", type=int, default=1, show_default=True, help="Same seed, same package.")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="Reference date written to package.yaml (default: 60 days after the last month).")
@click.option("--rules", "rules_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Rules folder whose parameters/ the answer key uses (default: the installed rulebook).")
def generate(out: Path, n_employers: int, months: str, seed: int, as_of, rules_dir: Path | None) -> None:
    """Tulis paket data sintetis / write a synthetic data package with an answer key.

    OUT gets every table of the data package as CSV, package.yaml, and the answer key computed by
    the oracle: expected_findings.csv and expected_cases.csv.
    """
    period_from, period_to = parse_months(months)
    params_dir = (rules_dir / "parameters") if rules_dir else default_params_dir()
    try:
        params = ParameterStore.load(params_dir)
        stats = generate_package(out, n_employers, period_from, period_to, seed,
                                 as_of.date() if as_of else None, params)
    except ParameterError as exc:
        raise click.ClickException(f"{exc} — the parameters do not cover the months asked for") from None
    total = sum(stats.rows.values())
    payroll = stats.rows["payroll"]
    click.echo(f"wrote {out}: {total:,} rows in {stats.seconds:.1f} s "
               f"({payroll / stats.seconds if stats.seconds else 0:,.0f} payroll rows/s, peak RSS {stats.peak_rss_mb:.0f} MB)")
    for table, n in stats.rows.items():
        click.echo(f"  {table:<24}{n:>12,}")
    click.echo(f"  expected findings       {stats.findings:>12,}  "
               + ", ".join(f"{k} {v}" for k, v in sorted(stats.by_category.items())))
    click.echo(f"  expected cases          {stats.cases:>12,}")
