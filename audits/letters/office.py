"""The issuing offices: who signs which letter, on whose letterhead, under which number.

An office configuration is a YAML file (sample: fixtures/kantor-kalbar.yaml, format in
docs/letters.md). It is read once per audit and validated as a whole: every problem is reported
with the file and the path of the key (`offices[2].inspectors[0].nip`), and nothing is written
when there is one. The audit finds it through `--office FILE`, else the `office:` key of the
package's package.yaml (a path relative to the package folder).

Letter numbers come from the office's own pattern, never from the run id: `{seq}` is the position
of the letter among this run's letters of that office and step kind, counted from the office's
`next_number` (the first free number of its register), so the same audit always numbers the same.
"""
from __future__ import annotations

import re
import string
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from patuh.audits.regions import REGENCIES

FORMAT = "patuh-kantor/1"
ROMAN = ["I", "II", "III", "IV", "V", "VI", "VII", "VIII", "IX", "X", "XI", "XII"]
# The document kinds that get a number, and their default code in a number.
KINDS = ("teguran-1", "teguran-2", "denda", "tmp2t", "cabut-tmp2t", "skk", "pidana", "kasus")
DEFAULT_CODES = {"teguran-1": "T1", "teguran-2": "T2", "denda": "DN", "tmp2t": "TMP2T", "cabut-tmp2t": "CTMP2T",
                 "skk": "SKK", "pidana": "PID", "kasus": "KSS"}
PLACEHOLDERS = {"seq", "office", "code", "year", "month", "roman"}


class OfficeConfigError(ValueError):
    """The office configuration is missing, unreadable or invalid; `problems` lists every one."""

    def __init__(self, path, problems: list[str]):
        self.path = str(path)
        self.problems = problems
        super().__init__(f"{path}: " + "; ".join(problems))


@dataclass(frozen=True)
class Person:
    name: str
    nip: str
    title: str


@dataclass(frozen=True)
class Office:
    code: str
    name: str
    address: str
    city: str  # the place on the place-and-date line of its letters
    regencies: tuple[str, ...]
    head: Person  # signs letters to employers and to other authorities
    inspectors: tuple[Person, ...]  # prepare the dossiers (first = the one named)
    phone: str = ""
    email: str = ""
    next_number: int = 1


@dataclass(frozen=True)
class OfficeConfig:
    path: str
    parent: str  # e.g. "BPJS Ketenagakerjaan Kantor Wilayah Kalimantan"
    number_pattern: str
    codes: dict
    offices: tuple[Office, ...]
    licensing: dict = field(default_factory=dict)  # regency -> {"name", "address"} of its DPMPTSP

    def office_for(self, regency_code: str | None) -> Office:
        for o in self.offices:
            if str(regency_code) in o.regencies:
                return o
        raise OfficeConfigError(self.path, [f"no office is configured for regency {regency_code or '(none)'}: "
                                            f"add it to the regencies of one office"])

    def number(self, office: Office, kind: str, seq: int, on) -> str:
        """The letter number of the `seq`-th (1-based) letter of `kind` of `office` in this run, dated `on`."""
        return self.number_pattern.format(seq=office.next_number + seq - 1, office=office.code, code=self.codes[kind],
                                          year=on.year, month=f"{on.month:02d}", roman=ROMAN[on.month - 1])


def _text(d: dict, key: str, where: str, problems: list[str], required: bool = True) -> str:
    v = d.get(key)
    if v is None or (isinstance(v, str) and not v.strip()):
        if required:
            problems.append(f"{where}{key}: missing (expected text)")
        return ""
    if not isinstance(v, (str, int)):
        problems.append(f"{where}{key}: expected text, got {type(v).__name__}")
        return ""
    return str(v).strip()


def _person(d, where: str, problems: list[str]) -> Person:
    if not isinstance(d, dict):
        problems.append(f"{where}: expected a mapping with name, nip, title")
        return Person("", "", "")
    name = _text(d, "name", f"{where}.", problems)
    nip = _text(d, "nip", f"{where}.", problems)
    title = _text(d, "title", f"{where}.", problems)
    digits = re.sub(r"\s", "", nip)
    if nip and not re.fullmatch(r"\d{8,18}", digits):
        problems.append(f"{where}.nip: {nip!r} is not an employee number (8 to 18 digits, spaces allowed)")
    extra = set(d) - {"name", "nip", "title"}
    if extra:
        problems.append(f"{where}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
    return Person(name, nip, title)


def _check_pattern(pattern: str, problems: list[str]) -> None:
    try:
        names = {f for _, f, _, _ in string.Formatter().parse(pattern) if f is not None}
    except ValueError as exc:
        problems.append(f"number_pattern: {pattern!r} is not a valid pattern ({exc})")
        return
    unknown = {n.split(":")[0].split("!")[0] for n in names} - PLACEHOLDERS
    if unknown:
        problems.append(f"number_pattern: unknown placeholder(s) {', '.join('{' + u + '}' for u in sorted(unknown))}; "
                        f"allowed: {', '.join('{' + p + '}' for p in sorted(PLACEHOLDERS))}")
    elif "seq" not in {n.split(":")[0] for n in names}:
        problems.append("number_pattern: must contain {seq} (the running number), e.g. {seq:04d}")
    else:
        try:
            pattern.format(seq=1, office="X", code="T1", year=2025, month="01", roman="I")
        except (ValueError, KeyError, IndexError) as exc:
            problems.append(f"number_pattern: {pattern!r} cannot be filled ({exc})")


def load_office_config(path) -> OfficeConfig:
    """Read and validate an office configuration; raise OfficeConfigError listing every problem."""
    path = Path(path)
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8-sig"))
    except FileNotFoundError:
        raise OfficeConfigError(path, ["file not found"]) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise OfficeConfigError(path, [f"not readable ({exc})"]) from None
    except yaml.YAMLError as exc:
        raise OfficeConfigError(path, [f"not readable YAML ({str(exc).splitlines()[0]})"]) from None
    if not isinstance(data, dict):
        raise OfficeConfigError(path, ["expected a mapping with format, parent, number_pattern, offices"])
    problems: list[str] = []
    if data.get("format") != FORMAT:
        problems.append(f"format: expected {FORMAT!r}, got {data.get('format')!r}")
    unknown = set(data) - {"format", "parent", "number_pattern", "codes", "offices", "licensing_offices"}
    if unknown:
        problems.append(f"unknown key(s) {', '.join(sorted(map(str, unknown)))}")
    parent = _text(data, "parent", "", problems)
    pattern = _text(data, "number_pattern", "", problems)
    if pattern:
        _check_pattern(pattern, problems)
    codes = dict(DEFAULT_CODES)
    given = data.get("codes") or {}
    if not isinstance(given, dict):
        problems.append("codes: expected a mapping step -> code")
    else:
        for k, v in given.items():
            if k not in KINDS:
                problems.append(f"codes.{k}: not a document kind ({', '.join(KINDS)})")
            elif not isinstance(v, str) or not re.fullmatch(r"[A-Za-z0-9.-]+", v):
                problems.append(f"codes.{k}: {v!r} must be letters, digits, '.' or '-'")
            else:
                codes[k] = v

    offices: list[Office] = []
    seen_codes: dict[str, str] = {}
    regency_owner: dict[str, str] = {}
    raw = data.get("offices")
    if not isinstance(raw, list) or not raw:
        problems.append("offices: missing (expected a list of offices)")
        raw = []
    for i, o in enumerate(raw):
        w = f"offices[{i}]"
        if not isinstance(o, dict):
            problems.append(f"{w}: expected a mapping")
            continue
        extra = set(o) - {"code", "name", "address", "city", "phone", "email", "regencies", "head", "inspectors", "next_number"}
        if extra:
            problems.append(f"{w}: unknown key(s) {', '.join(sorted(map(str, extra)))}")
        code = _text(o, "code", f"{w}.", problems)
        if code and not re.fullmatch(r"[A-Za-z0-9-]+", code):
            problems.append(f"{w}.code: {code!r} must be letters, digits or '-'")
        if code in seen_codes:
            problems.append(f"{w}.code: {code!r} is also the code of {seen_codes[code]}")
        seen_codes.setdefault(code, w)
        regs = o.get("regencies")
        if not isinstance(regs, list) or not regs:
            problems.append(f"{w}.regencies: missing (expected a list of 4-digit Kemendagri codes)")
            regs = []
        regencies = []
        for j, r in enumerate(regs):
            r = str(r)
            if not re.fullmatch(r"\d{4}", r):
                problems.append(f"{w}.regencies[{j}]: {r!r} is not a 4-digit regency code (quote it: \"6171\")")
            elif r not in REGENCIES:
                problems.append(f"{w}.regencies[{j}]: {r} is not a regency of Kalimantan Barat")
            elif r in regency_owner:
                problems.append(f"{w}.regencies[{j}]: {r} is already served by {regency_owner[r]}")
            else:
                regency_owner[r] = w
                regencies.append(r)
        inspectors = o.get("inspectors")
        if not isinstance(inspectors, list) or not inspectors:
            problems.append(f"{w}.inspectors: missing (expected at least one inspector with name, nip, title)")
            inspectors = []
        nxt = o.get("next_number", 1)
        if not isinstance(nxt, int) or isinstance(nxt, bool) or nxt < 1:
            problems.append(f"{w}.next_number: {nxt!r} must be a whole number ≥ 1")
            nxt = 1
        offices.append(Office(
            code=code, name=_text(o, "name", f"{w}.", problems), address=_text(o, "address", f"{w}.", problems),
            city=_text(o, "city", f"{w}.", problems), regencies=tuple(regencies),
            head=_person(o.get("head"), f"{w}.head", problems),
            inspectors=tuple(_person(p, f"{w}.inspectors[{j}]", problems) for j, p in enumerate(inspectors)),
            phone=_text(o, "phone", f"{w}.", problems, required=False),
            email=_text(o, "email", f"{w}.", problems, required=False), next_number=nxt))

    licensing = {}
    lic = data.get("licensing_offices") or {}
    if not isinstance(lic, dict):
        problems.append("licensing_offices: expected a mapping regency code -> {name, address}")
        lic = {}
    for k, v in lic.items():
        k = str(k)
        if k not in REGENCIES:
            problems.append(f"licensing_offices.{k}: not a regency of Kalimantan Barat")
            continue
        if not isinstance(v, dict):
            problems.append(f"licensing_offices.{k}: expected a mapping with name, address")
            continue
        licensing[k] = {"name": _text(v, "name", f"licensing_offices.{k}.", problems),
                        "address": _text(v, "address", f"licensing_offices.{k}.", problems, required=False)}
    if problems:
        raise OfficeConfigError(path, problems)
    return OfficeConfig(path=str(path), parent=parent, number_pattern=pattern, codes=codes, offices=tuple(offices),
                        licensing=licensing)


def find_office_config(package: Path | str | None, given: Path | str | None) -> Path | None:
    """`--office FILE` if given, else the package.yaml key `office` (relative to the package)."""
    if given:
        return Path(given)
    if package is None:
        return None
    meta = Path(package) / "package.yaml"
    if not meta.is_file():
        return None
    try:
        data = yaml.safe_load(meta.read_text(encoding="utf-8-sig"))
    except (yaml.YAMLError, OSError, UnicodeDecodeError):
        return None  # the importer reports a broken package.yaml
    if isinstance(data, dict) and data.get("office"):
        return (Path(package) / str(data["office"])).resolve()
    return None
