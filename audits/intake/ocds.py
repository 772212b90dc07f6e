"""OCDS (Open Contracting Data Standard) to the package's contracts (``docs/intake.md``).

Procuring agencies publish their contracting processes as OCDS releases. This module reads
release packages, record packages and JSON lines of either (files or folders), compiles each
process's releases with ``ocdsmerge`` (with merge rules shipped in ``ocds_rules.py``: patuh never
reaches the network), keeps the works contracts and maps them to ``contracts`` and
``contract_amendments`` rows. A contract that cannot be mapped is left out and listed with the OCDS
path of what is missing or wrong — never guessed: no value is converted from another currency, no
funding source is inferred from the buyer's name, no region from the supplier's address.
"""
from __future__ import annotations

import csv
import os
import re
import tempfile
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from functools import lru_cache
from pathlib import Path
from typing import Any, Iterable

import ijson
from ocdskit.util import is_linked_release, is_record, is_record_package, is_release, is_release_package
from ocdsmerge import Merger
from ocdsmerge.exceptions import OCDSMergeError
from ocdsmerge.util import sorted_releases

from patuh.audits.importer import fields as f
from patuh.audits.importer.models import SPECS

from .ocds_rules import MERGE_RULES

WIB = timezone(timedelta(hours=7))  # Western Indonesia Time: Kalimantan Barat
SUFFIXES = (".json", ".jsonl", ".ndjson")
CONTRACT_COLUMNS = SPECS["contracts"].columns
AMENDMENT_COLUMNS = SPECS["contract_amendments"].columns
SUPPLIER_COLUMNS = ("employer_id", "name", "npwp", "scale", "sector", "regency_code", "address")
NPWP_SCHEME = "ID-NPWP"
# OCDS partyScale -> package scale; "sme" covers both kecil and menengah: left empty, never guessed
SCALES = {"micro": "mikro", "large": "besar"}

# Works by classification, for a process without tender.mainProcurementCategory:
# CPV division 45 (construction work), UNSPSC segment 72 (building and facility construction and
# maintenance services), KBLI 41-43 (construction).
WORKS_CLASSES = {"CPV": ("45",), "UNSPSC": ("72",), "KBLI": ("41", "42", "43")}


class OCDSError(Exception):
    """A source that cannot be read at all; ``errors`` are ready to print."""

    def __init__(self, errors: list[str]):
        self.errors = list(errors)
        super().__init__("\n".join(self.errors))


@dataclass
class LeftOut:
    ocid: str
    contract: str  # contracts[].id, or "" when the whole process is left out
    problems: list[tuple[str, str]]  # (OCDS path, reason)

    def lines(self) -> list[str]:
        where = f"{self.ocid} contract {self.contract}" if self.contract else self.ocid
        return [f"{where}: {path}: {reason}" for path, reason in self.problems]


@dataclass
class Conversion:
    files: int = 0
    releases: int = 0
    records: int = 0
    processes: int = 0
    contracts_seen: int = 0
    not_works: list[str] = field(default_factory=list)  # ocids of goods/services processes
    contracts: list[dict] = field(default_factory=list)
    amendments: list[dict] = field(default_factory=list)
    suppliers: list[dict] = field(default_factory=list)  # employers rows to add
    left_out: list[LeftOut] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)  # items that are not usable releases or records


# ------------------------------------------------------------------------------------ reading


def _files(sources: Iterable[str | Path]) -> list[Path]:
    out: list[Path] = []
    missing = []
    for s in sources:
        p = Path(s)
        if p.is_dir():
            out += sorted(q for q in p.rglob("*") if q.is_file() and q.suffix.lower() in SUFFIXES)
        elif p.is_file():
            out.append(p)
        else:
            missing.append(f"{s}: no such file or folder")
    if missing:
        raise OCDSError(missing)
    return out


@dataclass
class _Read:
    releases: dict[str, dict[str, dict]] = field(default_factory=dict)  # ocid -> release id -> release
    compiled: dict[str, dict] = field(default_factory=dict)  # ocid -> compiledRelease (records only)
    n_releases: int = 0
    n_records: int = 0
    skipped: list[str] = field(default_factory=list)  # items that are not usable releases/records


def read(sources: Iterable[str | Path]) -> tuple[_Read, int]:
    """Every release and record of the sources (JSON, concatenated JSON or JSON lines). A file that
    is not JSON stops the conversion; an item that is not a usable release or record is skipped
    and listed (``skipped``)."""
    files = _files(sources)
    r = _Read()
    errors: list[str] = []
    for path in files:
        try:
            with open(path, "rb") as fh:
                for n, item in enumerate(ijson.items(fh, "", multiple_values=True), start=1):
                    r.skipped += _take(r, item, f"{path.name} value {n}")
        except (ijson.JSONError, ijson.IncompleteJSONError, UnicodeDecodeError) as exc:
            errors.append(f"{path}: not readable JSON ({exc})")
        except OSError as exc:
            errors.append(f"{path}: cannot be read ({exc.strerror})")
    if errors:
        raise OCDSError(errors)
    return r, len(files)


def _take(r: _Read, item: Any, where: str) -> list[str]:
    if isinstance(item, list):
        out = []
        for i, x in enumerate(item):
            out += _take(r, x, f"{where}[{i}]")
        return out
    if not isinstance(item, dict):
        return [f"{where}: neither an OCDS release nor a record, nor a package of them"]
    if is_record_package(item):
        return sum((_record(r, rec, f"{where} records/{i}") for i, rec in enumerate(item["records"] or [])), [])
    if is_release_package(item):
        return sum((_release(r, rel, f"{where} releases/{i}") for i, rel in enumerate(item["releases"] or [])), [])
    if is_record(item):
        return _record(r, item, where)
    if is_release(item) and "ocid" in item:
        return _release(r, item, where)
    return [f"{where}: neither an OCDS release nor a record, nor a package of them"]


def _release(r: _Read, rel: Any, where: str) -> list[str]:
    if not isinstance(rel, dict) or not rel.get("ocid") or not rel.get("id") or not rel.get("date"):
        return [f"{where}: a release needs ocid, id and date"]
    if "compiled" in (rel.get("tag") or []):
        r.compiled.setdefault(rel["ocid"], rel)
        return []
    r.n_releases += 1
    r.releases.setdefault(rel["ocid"], {}).setdefault(str(rel["id"]), rel)  # a release repeated in a record
    return []


def _record(r: _Read, rec: Any, where: str) -> list[str]:
    if not isinstance(rec, dict) or not rec.get("ocid"):
        return [f"{where}: a record needs an ocid"]
    r.n_records += 1
    out = []
    for i, rel in enumerate(rec.get("releases") or []):
        if isinstance(rel, dict) and is_linked_release(rel):
            continue  # a linked release: only its compiled form below is at hand
        out += _release(r, rel, f"{where} releases/{i}")
    if isinstance(rec.get("compiledRelease"), dict):
        r.compiled.setdefault(rec["ocid"], rec["compiledRelease"])
    return out


# ------------------------------------------------------------------------------------ mapping


def wib_date(raw: Any) -> date | None:
    """An OCDS date-time as the calendar date in WIB; a date without a time as written."""
    if not isinstance(raw, str) or not raw.strip():
        return None
    s = raw.strip()
    try:
        if len(s) == 10:
            return date.fromisoformat(s)
        dtm = datetime.fromisoformat(s.replace("Z", "+00:00"))
    except ValueError:
        return None
    return dtm.astimezone(WIB).date() if dtm.tzinfo is not None else dtm.date()


@lru_cache(maxsize=1)
def _regencies() -> dict[str, dict[str, str]]:
    from patuh.audits.regions import REGENCIES

    out: dict[str, dict[str, str]] = {}
    for code, (kind, short) in REGENCIES.items():
        out.setdefault(short.lower(), {})["kota" if kind == "kota" else "kabupaten"] = code
    return out


_KIND = re.compile(r"^(kabupaten|kab\.?|kota|kot\.?)\s+", re.IGNORECASE)


def regency_of(name: str) -> str | None:
    """A region as written (``Kabupaten Sanggau``, ``Kab. Sanggau``, ``Sanggau``, ``6105``,
    ``61.05``) -> Kemendagri code; None when unknown or ambiguous (a bare city name)."""
    s = " ".join(name.split())
    m = re.fullmatch(r"(61)\.?(\d{2})", s)
    if m:
        code = m.group(1) + m.group(2)
        return code if any(code in v.values() for v in _regencies().values()) else None
    km = _KIND.match(s)
    kind = None
    if km:
        kind = "kota" if km.group(1).lower().startswith("kot") else "kabupaten"
        s = s[km.end():]
    options = _regencies().get(s.lower(), {})
    if kind:
        return options.get(kind)
    # a bare name is read only when it names nothing else: "Pontianak" is a city, and was a regency
    if len(options) == 1 and "kota" not in options:
        return next(iter(options.values()))
    return None


_FUNDS = (
    ("apbdes", re.compile(r"\b(APBDES|APBDESA|DANA DESA)\b")),
    ("apbn", re.compile(r"\bAPBN\b")),
    # the level is read only where it qualifies APBD directly ("APBD Provinsi", "APBD-P Kab. ...")
    ("apbd-provinsi", re.compile(r"\bAPBD( P)?\s+PROV")),
    ("apbd-kabupaten", re.compile(r"\bAPBD( P)?\s+(KABUPATEN|KAB\b|KOTA\b)")),
)


def funding_of(rel: dict) -> tuple[str | None, str, str]:
    """(funding, path, text read); funding None when the budget does not decide it."""
    budget = (rel.get("planning") or {}).get("budget")
    if not isinstance(budget, dict):
        return None, "planning/budget", ""
    texts = []
    for key in ("description", "source", "project"):
        if isinstance(budget.get(key), str):
            texts.append((f"planning/budget/{key}", budget[key]))
    for i, b in enumerate(budget.get("budgetBreakdown") or []):
        if isinstance(b, dict) and isinstance(b.get("description"), str):
            texts.append((f"planning/budget/budgetBreakdown/{i}/description", b["description"]))
    found: dict[str, str] = {}
    for path, text in texts:
        up = text.upper().replace("-", " ")
        for kind, rx in _FUNDS:
            if rx.search(up):
                found.setdefault(kind, path)
    shown = "; ".join(f'"{t}"' for _, t in texts) or "no description"
    if len(found) == 1:
        kind, path = next(iter(found.items()))
        return kind, path, shown
    return None, texts[0][0] if texts else "planning/budget", shown


def is_works(rel: dict) -> bool | None:
    """True for works, False for goods/services, None when the process does not say."""
    tender = rel.get("tender") or {}
    mpc = tender.get("mainProcurementCategory")
    if isinstance(mpc, str) and mpc:
        return mpc == "works"
    seen = False
    for base in [tender] + list(rel.get("awards") or []) + list(rel.get("contracts") or []):
        for item in (base or {}).get("items") or []:
            for cl in [item.get("classification")] + list(item.get("additionalClassifications") or []):
                if not isinstance(cl, dict):
                    continue
                scheme, cid = str(cl.get("scheme") or "").upper(), str(cl.get("id") or "")
                if scheme in WORKS_CLASSES:
                    seen = True
                    if cid.startswith(WORKS_CLASSES[scheme]):
                        return True
    return False if seen else None


def _npwp_of(party: dict, ppath: str) -> tuple[str | None, str, str]:
    """(NPWP digits, path, problem)"""
    cands = []
    ident = party.get("identifier")
    if isinstance(ident, dict) and ident.get("scheme") == NPWP_SCHEME:
        cands.append((f"{ppath}/identifier/id", ident.get("id")))
    for i, a in enumerate(party.get("additionalIdentifiers") or []):
        if isinstance(a, dict) and a.get("scheme") == NPWP_SCHEME:
            cands.append((f"{ppath}/additionalIdentifiers/{i}/id", a.get("id")))
    if not cands:
        return None, f"{ppath}/identifier", f"the supplier {party.get('name', '')!r} has no identifier of scheme {NPWP_SCHEME}"
    path, raw = cands[0]
    try:
        return f.npwp(str(raw)), path, ""
    except f.FieldError as exc:
        return None, path, str(exc)


def _regions(rel: dict, contract: dict, cpath: str) -> tuple[set[str], list[tuple[str, str]]]:
    codes: set[str] = set()
    bad: list[tuple[str, str]] = []
    sources = [(f"{cpath}/items", contract.get("items"))] + [("tender/items", (rel.get("tender") or {}).get("items"))]
    for base, items in sources:
        for i, item in enumerate(items or []):
            if not isinstance(item, dict):
                continue
            loc = item.get("deliveryLocation") or {}
            gaz = loc.get("gazetteer") if isinstance(loc, dict) else None
            if isinstance(gaz, dict) and "KEMENDAGRI" in str(gaz.get("scheme", "")).upper():
                for j, ident in enumerate(gaz.get("identifiers") or []):
                    code = regency_of(str(ident))
                    (codes.add(code) if code else bad.append(
                        (f"{base}/{i}/deliveryLocation/gazetteer/identifiers/{j}", f'"{ident}" is not a Kalbar regency code')))
            addr = item.get("deliveryAddress")
            if isinstance(addr, dict) and isinstance(addr.get("region"), str):
                code = regency_of(addr["region"])
                (codes.add(code) if code else bad.append(
                    (f"{base}/{i}/deliveryAddress/region", f'"{addr["region"]}" is not a kabupaten/kota of Kalimantan Barat we can tell')))
        if codes or bad:
            break  # the contract's own items say it; the tender's are read only when they do not
    return codes, bad


def _money(raw: Any) -> Decimal | None:
    if isinstance(raw, bool) or not isinstance(raw, (int, float, Decimal, str)):
        return None
    try:
        v = Decimal(str(raw))
    except ArithmeticError:
        return None
    if not v.is_finite() or v < 0 or v != v.quantize(Decimal("0.01")):
        return None
    return v


def _text(v: Decimal) -> str:
    s = format(v, "f")
    return s.rstrip("0").rstrip(".") if "." in s else s


def convert(
    sources: Iterable[str | Path],
    employers: dict[str, str] | None = None,
    *,
    private_without_budget: bool = False,
) -> Conversion:
    """Read, compile and map. ``employers``: NPWP -> employer_id of the package's employers."""
    employers = dict(employers or {})
    r, nfiles = read(sources)
    conv = Conversion(files=nfiles, releases=r.n_releases, records=r.n_records, skipped=r.skipped)
    merger = Merger(merge_rules=MERGE_RULES)
    added: dict[str, dict] = {}
    rows: list[tuple[str, dict, list[dict]]] = []  # (ocid, contract row, amendment rows)
    for ocid in sorted(set(r.releases) | set(r.compiled)):
        conv.processes += 1
        releases = list(r.releases.get(ocid, {}).values())
        try:
            compiled = merger.create_compiled_release(releases) if releases else r.compiled[ocid]
        except OCDSMergeError as exc:
            conv.left_out.append(LeftOut(ocid, "", [("releases", f"cannot be compiled ({exc})")]))
            continue
        history = sorted_releases(releases) if releases else []
        contracts = [c for c in compiled.get("contracts") or [] if isinstance(c, dict)]
        conv.contracts_seen += len(contracts)
        works = is_works(compiled)
        if works is False:
            conv.not_works.append(ocid)
            continue
        if works is None:
            conv.left_out.append(LeftOut(ocid, "", [(
                "tender/mainProcurementCategory",
                "missing, and no item classification says works or not: cannot tell whether it is construction")]))
            continue
        for i, c in enumerate(contracts):
            got = _contract(ocid, compiled, i, c, history, employers, added, private_without_budget)
            if isinstance(got, LeftOut):
                conv.left_out.append(got)
            else:
                rows.append((ocid, *got))
    # contracts[].id is unique within a process only: prefix the ocid where ids meet across processes
    count: dict[str, set[str]] = {}
    for ocid, row, _ in rows:
        count.setdefault(row["contract_id"], set()).add(ocid)
    for ocid, row, amends in rows:
        if len(count[row["contract_id"]]) > 1:
            new = f"{ocid}#{row['contract_id']}"
            row["contract_id"] = new
            for a in amends:
                a["contract_id"] = new
        conv.contracts.append(row)
        conv.amendments += amends
    conv.suppliers = list(added.values())
    for s in conv.suppliers:
        missing = [c for c in ("scale", "regency_code") if not s[c]]
        conv.warnings.append(
            f"supplier {s['name']} (NPWP {s['npwp']}) is not in employers: added as employer_id {s['employer_id']}"
            f" — its BPJS data (npp, registered_on, jkk_risk_group, programs) must be completed from BPJS"
            + (f"; {' and '.join(missing)} must be filled in before the package loads" if missing else "")
        )
    return conv


def _contract(ocid, rel, i, c, history, employers, added, private_without_budget):
    cpath = f"contracts/{i}"
    cid = str(c.get("id") or "")
    problems: list[tuple[str, str]] = []
    if not cid:
        return LeftOut(ocid, f"#{i}", [(f"{cpath}/id", "missing")])
    if c.get("status") == "cancelled":
        return LeftOut(ocid, cid, [(f"{cpath}/status", "cancelled")])
    row: dict[str, str] = {"contract_id": cid}
    tender = rel.get("tender") or {}
    title = c.get("title") or tender.get("title")
    if not (isinstance(title, str) and title.strip()):
        problems.append((f"{cpath}/title", "missing, and so is tender/title"))
    row["title"] = (title or "").strip() if isinstance(title, str) else ""

    # contractor: the award's one supplier, by NPWP
    awards = [a for a in rel.get("awards") or [] if isinstance(a, dict)]
    award = next((a for a in awards if c.get("awardID") is not None and str(a.get("id")) == str(c.get("awardID"))), None)
    apath = f"awards/{awards.index(award)}" if award is not None else None
    if award is None and c.get("awardID") is None and len(awards) == 1:
        award, apath = awards[0], "awards/0"
    row["contractor_id"] = ""
    if award is None:
        problems.append((f"{cpath}/awardID", "no award of this contract found: its supplier is unknown"))
    else:
        sups = [s for s in award.get("suppliers") or [] if isinstance(s, dict)]
        if len(sups) != 1:
            problems.append((f"{apath}/suppliers", f"{len(sups)} suppliers — one contractor per contract expected"))
        else:
            parties = [p for p in rel.get("parties") or [] if isinstance(p, dict)]
            k = next((j for j, p in enumerate(parties) if str(p.get("id")) == str(sups[0].get("id"))), None)
            if k is None:
                problems.append((f"{apath}/suppliers/0/id", f'"{sups[0].get("id")}" is not in parties'))
            else:
                party = parties[k]
                npwp, npath, why = _npwp_of(party, f"parties/{k}")
                if npwp is None:
                    problems.append((npath, why))
                else:
                    emp = employers.get(npwp)
                    if emp is None:
                        emp = npwp
                        if npwp not in added:
                            added[npwp] = _supplier(party, npwp)
                    row["contractor_id"] = emp

    buyer = rel.get("buyer") or {}
    row["owner"] = buyer.get("name", "").strip() if isinstance(buyer.get("name"), str) else ""
    if not row["owner"]:
        problems.append(("buyer/name", "missing: the owner of the work is unknown"))

    funding, fpath, shown = funding_of(rel)
    if funding is None:
        budget = (rel.get("planning") or {}).get("budget")
        if budget is None and private_without_budget:
            funding = "swasta"
        elif budget is None:
            problems.append(("planning/budget", "missing: the source of funds is unknown (declare --swasta if these"
                             " processes are privately funded)"))
        else:
            problems.append((fpath, f"does not decide the source of funds ({shown}): APBN, APBD provinsi,"
                             " APBD kabupaten/kota or APBDes expected"))
    row["funding"] = funding or ""

    row["ppk"] = ""
    for p in rel.get("parties") or []:
        if isinstance(p, dict) and "procuringEntity" in (p.get("roles") or []):
            cp = p.get("contactPoint") or {}
            if isinstance(cp, dict) and isinstance(cp.get("name"), str):
                row["ppk"] = cp["name"].strip()
            break

    # value at signing, and each later change of it
    amends: list[dict] = []
    vals = []  # (release, value, currency, path)
    for rel_ in history:
        for j, cc in enumerate(rel_.get("contracts") or []):
            if isinstance(cc, dict) and str(cc.get("id")) == cid and isinstance(cc.get("value"), dict) and "amount" in cc["value"]:
                vals.append((rel_, cc["value"].get("amount"), cc["value"].get("currency"), j))
    if not history:  # only a compiled release: its value is the latest one
        v = c.get("value") if isinstance(c.get("value"), dict) else {}
        if c.get("amendments"):
            problems.append((f"{cpath}/amendments", "the contract was amended, and only a compiled release is at"
                             " hand: the value at signing is unknown (give the releases)"))
        elif "amount" in v:
            vals.append((rel, v.get("amount"), v.get("currency"), i))
    row["value"] = ""
    if not vals:
        problems.append((f"{cpath}/value/amount", "missing: the contract value is unknown"))
    else:
        first = vals[0]
        cur = first[2]
        amount = _money(first[1])
        vpath = f"{cpath}/value"
        if cur != "IDR":
            problems.append((f"{vpath}/currency", "missing — the currency is not known to be IDR, the value is not taken"
                             if cur is None else f'"{cur}" — the value is not in IDR and is not converted'))
        elif amount is None:
            problems.append((f"{vpath}/amount", f'"{first[1]}" is not an amount of Rupiah (0 or more, at most 2 decimals)'))
        else:
            row["value"] = _text(amount)
            last = amount
            dates = {str(a.get("releaseID")): a.get("date") for a in c.get("amendments") or [] if isinstance(a, dict)}
            for rel_, raw, cur_, _j in vals[1:]:
                v = _money(raw)
                if cur_ != "IDR" or v is None:
                    problems.append((f"{vpath}", f'a later release ({rel_.get("id")}) gives "{raw}" {cur_}: not an IDR amount'))
                    continue
                if v == last:
                    continue
                when = wib_date(dates.get(str(rel_.get("id"))) or rel_.get("date"))
                if when is None:
                    problems.append((f"{cpath}/amendments", f"release {rel_.get('id')} changes the value but has no date"))
                    continue
                amends.append({"contract_id": cid, "amended_on": when.isoformat(), "value": _text(v)})
                last = v

    signed = wib_date(c.get("dateSigned"))
    row["spk_date"] = signed.isoformat() if signed else ""
    if signed is None:
        problems.append((f"{cpath}/dateSigned", "missing or not a date: the contract is not signed yet"))
    period = c.get("period") if isinstance(c.get("period"), dict) else {}
    for key, col in (("startDate", "start_date"), ("endDate", "end_date")):
        d = wib_date(period.get(key))
        row[col] = d.isoformat() if d else ""
        if d is None:
            problems.append((f"{cpath}/period/{key}", "missing or not a date"))

    codes, bad = _regions(rel, c, cpath)
    problems += bad
    row["regency_code"] = ""
    if len(codes) == 1 and not bad:
        row["regency_code"] = next(iter(codes))
    elif len(codes) > 1:
        problems.append(("tender/items", f"the work lies in several regencies ({', '.join(sorted(codes))}):"
                         " one contract row per regency cannot be made from one OCDS contract"))
    elif not bad:
        problems.append(("tender/items/0/deliveryAddress/region",
                         "missing: where the work is done is unknown (deliveryAddress.region or deliveryLocation)"))
    row["parent_contract_id"] = ""
    if problems:
        return LeftOut(ocid, cid, problems)
    return row, amends


def _supplier(party: dict, npwp: str) -> dict:
    addr = party.get("address") if isinstance(party.get("address"), dict) else {}
    details = party.get("details") if isinstance(party.get("details"), dict) else {}
    region = addr.get("region") if isinstance(addr.get("region"), str) else ""
    street = ", ".join(str(addr[k]) for k in ("streetAddress", "locality") if isinstance(addr.get(k), str))
    return {
        "employer_id": npwp,
        "name": str(party.get("name") or "").strip(),
        "npwp": npwp,
        "scale": SCALES.get(str(details.get("scale") or ""), ""),
        "sector": "konstruksi",
        "regency_code": (regency_of(region) or "") if region else "",
        "address": street,
    }


# ------------------------------------------------------------------------------------ writing


def read_employers(package: Path) -> tuple[list[str], list[dict], dict[str, str]]:
    """(header, rows, NPWP -> employer_id) of a canonical package's employers.csv."""
    path = package / "employers.csv"
    try:
        with open(path, encoding="utf-8-sig", newline="") as fh:
            reader = csv.DictReader(fh)
            header = list(reader.fieldnames or [])
            rows = list(reader)
    except FileNotFoundError:
        raise OCDSError([f"{package}: no employers.csv — --employers needs the package's employers table in"
                         " the canonical form (docs/data-package.md)"]) from None
    except (UnicodeDecodeError, csv.Error) as exc:
        raise OCDSError([f"{path}: not a readable canonical CSV ({exc})"]) from None
    if "employer_id" not in header or "npwp" not in header:
        raise OCDSError([f"{path}: columns employer_id and npwp are needed to match suppliers by NPWP"])
    by_npwp = {}
    for r in rows:
        raw = (r.get("npwp") or "").strip()
        if raw:
            try:
                by_npwp.setdefault(f.npwp(raw), (r.get("employer_id") or "").strip())
            except f.FieldError:
                pass  # the importer reports it when the package is loaded
    return header, rows, by_npwp


def _write_csv(path: Path, header: list[str], rows: list[dict]) -> Path:
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
        w = csv.DictWriter(fh, fieldnames=header, extrasaction="ignore", lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
    return Path(tmp)


def write(conv: Conversion, out: Path, employers: tuple[list[str], list[dict]] | None) -> list[str]:
    """contracts.csv, contract_amendments.csv and (with suppliers to add, or an employers package)
    employers.csv in ``out``; all files are replaced together or none is. Returns the files written."""
    out.mkdir(parents=True, exist_ok=True)
    plan: list[tuple[Path, list[str], list[dict]]] = [
        (out / "contracts.csv", list(CONTRACT_COLUMNS), conv.contracts),
        (out / "contract_amendments.csv", list(AMENDMENT_COLUMNS), conv.amendments),
    ]
    if employers is not None or conv.suppliers:
        header, rows = employers if employers is not None else ([], [])
        header = list(header) + [c for c in SUPPLIER_COLUMNS if c not in header]
        plan.append((out / "employers.csv", header, list(rows) + conv.suppliers))
    temps = []
    try:
        for path, header, rows in plan:
            temps.append((_write_csv(path, header, rows), path))
    except BaseException:
        for tmp, _ in temps:
            tmp.unlink(missing_ok=True)
        raise
    for tmp, path in temps:
        os.replace(tmp, path)
    return [p.name for _, p in temps]
