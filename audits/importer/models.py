"""Pydantic v2 row models, one per data-package table (docs/data-package.md).

Each field parses its raw cell with a parser from :mod:`fields` through a ``BeforeValidator``;
parse failures become ``PydanticCustomError("patuh", "{msg}")`` so the message reaches the user
verbatim. Field names are the column names. Checks across columns of one row ("required when
npp", ``end_date >= start_date``) are in ``row_checks`` so that each can name its own column.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Annotated, Any, Callable, Optional

from pydantic import BaseModel, BeforeValidator, ConfigDict
from pydantic_core import PydanticCustomError

from . import fields as f

EMPTY_MSG = "required value is empty"


def _err(msg: str) -> PydanticCustomError:
    return PydanticCustomError("patuh", "{msg}", {"msg": msg})


def _required(parser: Callable[[Any], Any]):
    def validate(raw):
        if raw is None:
            raise _err(EMPTY_MSG)
        try:
            return parser(raw)
        except f.FieldError as exc:
            raise _err(str(exc)) from None

    validate.parser = parser  # read by the importer's fast path (fast.py) to pick a column's kind
    return BeforeValidator(validate)


def _optional(parser: Callable[[Any], Any], default=None):
    def validate(raw):
        if raw is None:
            return default
        try:
            return parser(raw)
        except f.FieldError as exc:
            raise _err(str(exc)) from None

    validate.parser = parser
    return BeforeValidator(validate)


def Req(tp, parser):  # noqa: N802 - reads like a type
    return Annotated[tp, _required(parser)]


def Opt(tp, parser, default=None):  # noqa: N802
    return Annotated[Optional[tp], _optional(parser, default)]


class Row(BaseModel):
    model_config = ConfigDict(extra="ignore", frozen=False, validate_default=False)


SCALES = ("mikro", "kecil", "menengah", "besar")
EMPLOYMENT = ("pkwtt", "pkwt", "harian", "borongan")
FUNDING = ("apbn", "apbd-provinsi", "apbd-kabupaten", "apbdes", "swasta")
ACTIONS = ("teguran-1", "teguran-2", "denda", "tmp2t", "skk", "pidana")
PAYMENT_KINDS = ("iuran", "denda")


class Employer(Row):
    employer_id: Req(str, f.identifier)
    name: Req(str, f.text)
    npwp: Opt(str, f.npwp) = None
    nib: Opt(str, f.nib) = None
    npp: Opt(str, f.identifier) = None
    registered_on: Opt(date, f.iso_date) = None
    scale: Req(str, f.enum(*SCALES))
    sector: Opt(str, f.text) = None
    jkk_risk_group: Opt(int, f.risk_group) = None
    programs: Opt(str, f.programs) = None
    regency_code: Req(str, f.regency_code)
    address: Opt(str, f.text) = None
    responsible_name: Opt(str, f.text) = None  # the natural person who answers for the employer
    responsible_title: Opt(str, f.text) = None  # e.g. Direktur Utama, Pemilik


class Participant(Row):
    employer_id: Req(str, f.identifier)
    nik: Req(str, f.nik)
    kpj: Opt(str, f.kpj) = None
    name: Req(str, f.text)
    start_date: Req(date, f.iso_date)
    end_date: Opt(date, f.iso_date) = None


class Payroll(Row):
    employer_id: Req(str, f.identifier)
    period: Req(str, f.period)
    nik: Req(str, f.nik)
    name: Req(str, f.text)
    employment: Opt(str, f.enum(*EMPLOYMENT), "pkwtt") = "pkwtt"
    wage: Req(Decimal, f.money)
    bpjs_deduction: Opt(Decimal, f.money, Decimal(0)) = Decimal(0)


class Declaration(Row):
    employer_id: Req(str, f.identifier)
    period: Req(str, f.period)
    nik: Req(str, f.nik)
    reported_wage: Req(Decimal, f.money)


class Payment(Row):
    employer_id: Req(str, f.identifier)
    period: Req(str, f.period)
    amount: Req(Decimal, f.money)
    paid_on: Req(date, f.iso_date)
    reference: Opt(str, f.text) = None
    # iuran: a contribution payment (as before the column existed); denda: pays the period's late fee
    kind: Opt(str, f.enum(*PAYMENT_KINDS), "iuran") = "iuran"


class Contract(Row):
    contract_id: Req(str, f.identifier)
    title: Req(str, f.text)
    contractor_id: Req(str, f.identifier)
    owner: Req(str, f.text)
    funding: Req(str, f.enum(*FUNDING))
    ppk: Opt(str, f.text) = None
    value: Req(Decimal, f.money)
    spk_date: Req(date, f.iso_date)
    start_date: Req(date, f.iso_date)
    end_date: Req(date, f.iso_date)
    regency_code: Req(str, f.regency_code)
    parent_contract_id: Opt(str, f.identifier) = None


class ContractAmendment(Row):
    contract_id: Req(str, f.identifier)
    amended_on: Req(date, f.iso_date)
    value: Req(Decimal, f.money)


class ProjectRegistration(Row):
    contract_id: Req(str, f.identifier)
    registration_no: Req(str, f.identifier)
    registered_on: Req(date, f.iso_date)
    declared_value: Req(Decimal, f.money)
    contribution_paid: Req(Decimal, f.money)
    paid_on: Opt(date, f.iso_date) = None


class EnforcementAction(Row):
    employer_id: Req(str, f.identifier)
    action: Req(str, f.enum(*ACTIONS))
    issued_on: Req(date, f.iso_date)
    reference: Opt(str, f.text) = None


class Village(Row):
    village_code: Req(str, f.village_code)
    name: Req(str, f.text)
    regency_code: Req(str, f.regency_code)
    officials: Req(int, f.integer)
    officials_registered: Req(int, f.integer)
    bpd_members: Opt(int, f.integer) = None
    bpd_registered: Opt(int, f.integer) = None


class Workforce(Row):
    regency_code: Req(str, f.regency_or_province_code)
    year: Req(int, f.year)
    sector: Opt(str, f.text) = None
    workers: Req(int, f.integer)
    participants: Req(int, f.integer)


# ------------------------------------------------------------------------------ row checks


def _check_employer(row: dict) -> list[tuple[str, str]]:
    if not row.get("npp"):
        return []
    return [
        (col, "required when npp is given")
        for col in ("registered_on", "jkk_risk_group", "programs")
        if row.get(col) is None
    ]


def _check_dates(row: dict) -> list[tuple[str, str]]:
    start, end = row.get("start_date"), row.get("end_date")
    if start is not None and end is not None and end < start:
        return [("end_date", f'"{end.isoformat()}" is before start_date {start.isoformat()}')]
    return []


@dataclass(frozen=True)
class TableSpec:
    name: str
    model: type[Row]
    # columns holding an employer_id / contract_id that must exist in employers / contracts
    employer_refs: tuple[str, ...] = ()
    contract_refs: tuple[str, ...] = ()
    # key columns that must be unique within the import (checked in SQL after insert)
    unique_sql: tuple[str, ...] = ()
    row_check: Callable[[dict], list[tuple[str, str]]] | None = None
    columns: tuple[str, ...] = field(default=())
    required_columns: tuple[str, ...] = field(default=())

    @classmethod
    def build(cls, name, model, **kw) -> "TableSpec":
        cols = tuple(model.model_fields)
        req = tuple(n for n, fi in model.model_fields.items() if fi.is_required())
        return cls(name=name, model=model, columns=cols, required_columns=req, **kw)


SPECS: dict[str, TableSpec] = {
    s.name: s
    for s in (
        TableSpec.build("employers", Employer, row_check=_check_employer),
        TableSpec.build("contracts", Contract, employer_refs=("contractor_id",), row_check=_check_dates),
        TableSpec.build("contract_amendments", ContractAmendment, contract_refs=("contract_id",)),
        TableSpec.build("project_registrations", ProjectRegistration, contract_refs=("contract_id",)),
        TableSpec.build("enforcement_actions", EnforcementAction, employer_refs=("employer_id",)),
        TableSpec.build(
            "participants",
            Participant,
            employer_refs=("employer_id",),
            unique_sql=("employer_id", "nik", "start_date"),
            row_check=_check_dates,
        ),
        TableSpec.build(
            "declarations", Declaration, employer_refs=("employer_id",), unique_sql=("employer_id", "period", "nik")
        ),
        TableSpec.build("payments", Payment, employer_refs=("employer_id",)),
        TableSpec.build(
            "payroll", Payroll, employer_refs=("employer_id",), unique_sql=("employer_id", "period", "nik")
        ),
        TableSpec.build("villages", Village),
        TableSpec.build("workforce", Workforce),
    )
}

REQUIRED_TABLES = ("employers", "payroll")
REQUIRED_WHEN_NPP = ("participants", "declarations", "payments")
