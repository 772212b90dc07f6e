"""The store: SQLAlchemy Core tables (see docs/architecture.md, "Store tables").

Every data-package table (docs/data-package.md) has its columns under the same names, plus
``row_id`` (pk), ``import_id``, ``src_file``, ``src_sheet`` (NULL for CSV) and ``src_row`` (the row
number a spreadsheet shows, header = 1).

Conventions
- Money columns use :class:`Money`: BIGINT of sen (1/100 Rupiah) in the database, ``Decimal`` in
  Python. Sums are exact on SQLite and PostgreSQL and come back as ``Decimal`` because
  ``func.sum`` / ``func.coalesce`` keep the argument's type (the decorator's result processor runs).
- Dates are DATE, periods are text ``YYYY-MM``, NIK/NPWP are digits only.
- ``employers.programs`` is ``;``-joined in the canonical order ``JKK;JKM;JHT;JP``.
- JSON-ish columns (``*_json``, ``warnings``, ``trace_json`` …) are Text holding JSON.
"""
from __future__ import annotations

from decimal import Decimal

from sqlalchemy import (
    BigInteger,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy.types import TypeDecorator

# Stable constraint names so Alembic migrations and both dialects agree.
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

PROGRAMS_ORDER = ("JKK", "JKM", "JHT", "JP")
_SEN = Decimal(100)


class MoneyError(ValueError):
    """A value that cannot be stored exactly as whole sen."""


def to_sen(value) -> int:
    """Rupiah (Decimal/int/str; float via its str) -> int sen, exactly, or MoneyError."""
    if isinstance(value, bool):
        raise MoneyError(f"not a money value: {value!r}")
    if isinstance(value, int):
        return value * 100
    if isinstance(value, float):
        value = Decimal(str(value))
    elif not isinstance(value, Decimal):
        value = Decimal(str(value))
    if not value.is_finite():
        raise MoneyError(f"not a money value: {value!r}")
    sen = value * _SEN
    if sen != sen.to_integral_value():
        raise MoneyError(f"{value} has more than 2 decimals (sen)")
    return int(sen)


def from_sen(value) -> Decimal:
    """int sen (or a numeric sum from the driver) -> Decimal Rupiah with 2 decimals."""
    return Decimal(int(value)).scaleb(-2)


class Money(TypeDecorator):
    """Rupiah as BIGINT sen in the database, Decimal in Python (exact)."""

    impl = BigInteger
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        return to_sen(value)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if not isinstance(value, int):
            # PostgreSQL sum(bigint) is numeric -> Decimal; SQLite may give int or float for
            # expressions. A sum of sen is always integral.
            d = Decimal(str(value))
            if d != d.to_integral_value():
                raise MoneyError(f"non-integral sen value from database: {value!r}")
            value = int(d)
        return from_sen(value)

    @property
    def python_type(self):
        return Decimal


# --------------------------------------------------------------------------------------------
# Bookkeeping: imports


imports = Table(
    "imports",
    metadata,
    Column("import_id", Integer, primary_key=True, autoincrement=True),
    Column("package_hash", String(64), nullable=False, unique=True),
    Column("name", Text),
    Column("source", Text),
    Column("as_of", Date),
    Column("province", String(8)),
    Column("loaded_at", DateTime),
    Column("warnings", Text),  # JSON list of strings
)

import_files = Table(
    "import_files",
    metadata,
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("file", Text, nullable=False),  # name inside the package folder
    Column("sheet", Text),  # table/sheet name for a data table; NULL for package.yaml / unused
    Column("sha256", String(64), nullable=False),  # of the whole file
    Column("rows", Integer),  # data rows read from this file/sheet
    Index(None, "import_id"),
)


def _src_columns():
    return [
        Column("row_id", Integer, primary_key=True, autoincrement=True),
        # on PostgreSQL participants, declarations, payments and payroll enforce this reference by
        # triggers, once per statement, instead of a foreign key checked per row (migration 0007)
        Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
        Column("src_file", Text, nullable=False),
        Column("src_sheet", Text),
        Column("src_row", Integer, nullable=False),
    ]


# --------------------------------------------------------------------------------------------
# Data-package tables (docs/data-package.md) — same column names


employers = Table(
    "employers",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("name", Text, nullable=False),
    Column("npwp", String(16)),
    Column("nib", String(13)),
    Column("npp", Text),
    Column("registered_on", Date),
    Column("scale", String(16), nullable=False),
    Column("sector", Text),
    Column("jkk_risk_group", Integer),
    Column("programs", Text),
    Column("regency_code", String(4), nullable=False),
    Column("address", Text),
    Column("responsible_name", Text),  # migration 0005: named in letters and dossiers
    Column("responsible_title", Text),
    UniqueConstraint("import_id", "employer_id"),
)

participants = Table(
    "participants",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("nik", String(16), nullable=False),
    Column("kpj", String(11)),
    Column("name", Text, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date),
    Index(None, "import_id", "employer_id", "nik"),
)

payroll = Table(
    "payroll",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("period", String(7), nullable=False),
    Column("nik", String(16), nullable=False),
    Column("name", Text, nullable=False),
    Column("employment", String(16), nullable=False),  # default 'pkwtt' applied on import
    Column("wage", Money, nullable=False),
    Column("bpjs_deduction", Money, nullable=False),  # default 0 applied on import
    Index(None, "import_id", "employer_id", "period"),
)

declarations = Table(
    "declarations",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("period", String(7), nullable=False),
    Column("nik", String(16), nullable=False),
    Column("reported_wage", Money, nullable=False),
    # the audit joins each payroll row to its declaration by the first four and reads only the
    # wage: the join is answered from the index alone (migrations 0002 and 0006)
    Index(None, "import_id", "employer_id", "period", "nik", "reported_wage"),
)

payments = Table(
    "payments",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("period", String(7), nullable=False),
    Column("amount", Money, nullable=False),
    Column("paid_on", Date, nullable=False),
    Column("reference", Text),
    Column("kind", String(8)),  # iuran | denda (default iuran applied on import); migration 0003
    Index(None, "import_id", "employer_id", "period"),
)

contracts = Table(
    "contracts",
    metadata,
    *_src_columns(),
    Column("contract_id", Text, nullable=False),
    Column("title", Text, nullable=False),
    Column("contractor_id", Text, nullable=False),
    Column("owner", Text, nullable=False),
    Column("funding", String(16), nullable=False),
    Column("ppk", Text),
    Column("value", Money, nullable=False),
    Column("spk_date", Date, nullable=False),
    Column("start_date", Date, nullable=False),
    Column("end_date", Date, nullable=False),
    Column("regency_code", String(4), nullable=False),
    Column("parent_contract_id", Text),
    UniqueConstraint("import_id", "contract_id"),
    Index(None, "import_id", "contractor_id"),
)

contract_amendments = Table(
    "contract_amendments",
    metadata,
    *_src_columns(),
    Column("contract_id", Text, nullable=False),
    Column("amended_on", Date, nullable=False),
    Column("value", Money, nullable=False),
    Index(None, "import_id", "contract_id"),
)

project_registrations = Table(
    "project_registrations",
    metadata,
    *_src_columns(),
    Column("contract_id", Text, nullable=False),
    Column("registration_no", Text, nullable=False),
    Column("registered_on", Date, nullable=False),
    Column("declared_value", Money, nullable=False),
    Column("contribution_paid", Money, nullable=False),
    Column("paid_on", Date),
    Index(None, "import_id", "contract_id"),
)

enforcement_actions = Table(
    "enforcement_actions",
    metadata,
    *_src_columns(),
    Column("employer_id", Text, nullable=False),
    Column("action", String(16), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("reference", Text),
    Index(None, "import_id", "employer_id"),
)

villages = Table(
    "villages",
    metadata,
    *_src_columns(),
    Column("village_code", String(10), nullable=False),
    Column("name", Text, nullable=False),
    Column("regency_code", String(4), nullable=False),
    Column("officials", Integer, nullable=False),
    Column("officials_registered", Integer, nullable=False),
    Column("bpd_members", Integer),
    Column("bpd_registered", Integer),
    Index(None, "import_id", "regency_code"),
)

workforce = Table(
    "workforce",
    metadata,
    *_src_columns(),
    Column("regency_code", String(4), nullable=False),  # or '61' for the whole province
    Column("year", Integer, nullable=False),
    Column("sector", Text),
    Column("workers", Integer, nullable=False),
    Column("participants", Integer, nullable=False),
    Index(None, "import_id", "regency_code"),
)

# Data-package tables in the order the importer reads them (referenced tables first).
DATA_TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        employers,
        contracts,
        contract_amendments,
        project_registrations,
        enforcement_actions,
        participants,
        declarations,
        payments,
        payroll,
        villages,
        workforce,
    )
}

BOOKKEEPING_COLUMNS = ("row_id", "import_id", "src_file", "src_sheet", "src_row")


def package_columns(table: Table) -> list[str]:
    """The data-package column names of a data table (without the bookkeeping columns)."""
    return [c.name for c in table.columns if c.name not in BOOKKEEPING_COLUMNS]


# --------------------------------------------------------------------------------------------
# Audit output: runs, findings, cases


runs = Table(
    "runs",
    metadata,
    Column("run_id", String(64), primary_key=True),  # derived from content
    Column("import_id", Integer, ForeignKey("imports.import_id"), nullable=False),
    Column("package_hash", String(64), nullable=False),
    Column("ruleset_revision", Text, nullable=False),
    Column("as_of", Date, nullable=False),
    Column("period_from", String(7)),
    Column("period_to", String(7)),
    Column("parameters_json", Text),
    Column("counts_json", Text),
    # lifecycle (migration 0003): order of recording, who/when, the actions+reviews state the run
    # used (part of its id), and the rule titles/legal basis `explain` shows for this run
    Column("seq", Integer),
    Column("recorded_at", DateTime),
    Column("recorded_by", Text),
    Column("state_hash", String(64)),
    Column("rulebook_json", Text),
)

findings = Table(
    "findings",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("finding_id", String(64), nullable=False),
    Column("rule_id", Text, nullable=False),
    Column("category", Text, nullable=False),
    Column("subject_type", Text, nullable=False),
    Column("subject_id", Text, nullable=False),
    Column("employer_id", Text),
    Column("contract_id", Text),
    Column("period", String(7)),
    Column("amount", Money),
    Column("late_fee", Money),
    Column("severity", Text),
    Column("legal_basis", Text),
    Column("message", Text),
    Column("trace_json", Text),
    Column("evidence_json", Text),
    Column("review", String(24)),  # '' | setuju | tolak | perlu-tinjau-ulang (migration 0003)
    PrimaryKeyConstraint("run_id", "finding_id"),
    Index(None, "run_id", "employer_id"),
)

cases = Table(
    "cases",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("employer_id", Text, nullable=False),
    Column("name", Text),
    Column("categories", Text),  # ';'-joined
    Column("total_amount", Money),
    Column("total_late_fee", Money),
    Column("next_steps", Text),  # JSON
    Column("wait_until", Date),
    Column("trace_json", Text),
    Column("fine_json", Text),  # the administrative fine of a `denda` case, computed by the audit (0005)
    PrimaryKeyConstraint("run_id", "employer_id"),
)

# --------------------------------------------------------------------------------------------
# Lifecycle between audits (docs/lifecycle.md): append-only


recorded_actions = Table(
    "recorded_actions",
    metadata,
    Column("action_id", Integer, primary_key=True, autoincrement=True),
    Column("employer_id", Text, nullable=False),
    Column("step", String(16), nullable=False),
    Column("issued_on", Date, nullable=False),
    Column("reference", Text),
    Column("note", Text),
    Column("recorded_by", Text, nullable=False),
    Column("recorded_at", DateTime, nullable=False),
    Index(None, "employer_id"),
)

reviews = Table(
    "reviews",
    metadata,
    Column("review_id", Integer, primary_key=True, autoincrement=True),
    Column("finding_id", String(64), nullable=False),
    Column("decision", String(16), nullable=False),
    Column("reason", Text),
    Column("reviewer", Text, nullable=False),
    Column("run_id", String(64), nullable=False),  # the run whose amounts were reviewed
    Column("amount", Money),
    Column("late_fee", Money),
    Column("recorded_at", DateTime, nullable=False),
    Index(None, "finding_id"),
)

audit_log = Table(
    "audit_log",
    metadata,
    Column("event_id", Integer, primary_key=True, autoincrement=False),
    Column("at", Text, nullable=False),  # ISO text: hashed as stored, the same on both dialects
    Column("actor", Text, nullable=False),
    Column("kind", String(16), nullable=False),
    Column("summary", Text, nullable=False),
    Column("ids_json", Text, nullable=False),
    Column("prev_hash", String(64), nullable=False),
    Column("hash", String(64), nullable=False),
)

# Coverage against the UCJ target (docs/coverage.md), recorded with the run: the rows of
# coverage.csv and villages.csv in their order. Percentages are the exact two-decimal text
# ("59.56"), empty (NULL) where the denominator is 0.
coverage = Table(
    "coverage",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("region_code", String(4), nullable=False),
    Column("year", Integer, nullable=False),
    Column("sector", Text, nullable=False),  # '' = all sectors
    Column("workers", BigInteger, nullable=False),
    Column("participants", BigInteger, nullable=False),
    Column("coverage_pct", String(12)),
    Column("target_pct", String(12)),
    Column("met", String(8)),
    Column("gap_workers", BigInteger),
    Column("gap_cost_per_year", Money),
    Column("found_unregistered", Integer),
    Column("source", String(24), nullable=False),
    PrimaryKeyConstraint("run_id", "position"),
)

coverage_villages = Table(
    "coverage_villages",
    metadata,
    Column("run_id", String(64), ForeignKey("runs.run_id"), nullable=False),
    Column("position", Integer, nullable=False),
    Column("region_code", String(4), nullable=False),
    Column("villages", Integer, nullable=False),
    Column("villages_registered", Integer, nullable=False),
    Column("villages_registered_pct", String(12)),
    Column("officials", BigInteger, nullable=False),
    Column("officials_registered", BigInteger, nullable=False),
    Column("officials_pct", String(12)),
    Column("bpd_villages", Integer, nullable=False),
    Column("bpd_villages_registered", Integer, nullable=False),
    Column("bpd_pct", String(12)),
    Column("officials_unregistered", BigInteger, nullable=False),
    Column("cost_per_year", Money, nullable=False),
    PrimaryKeyConstraint("run_id", "position"),
)

__all__ = [
    "metadata",
    "Money",
    "MoneyError",
    "to_sen",
    "from_sen",
    "PROGRAMS_ORDER",
    "DATA_TABLES",
    "BOOKKEEPING_COLUMNS",
    "package_columns",
    "imports",
    "import_files",
    "employers",
    "participants",
    "payroll",
    "declarations",
    "payments",
    "contracts",
    "contract_amendments",
    "project_registrations",
    "enforcement_actions",
    "villages",
    "workforce",
    "runs",
    "findings",
    "cases",
    "recorded_actions",
    "reviews",
    "audit_log",
    "coverage",
    "coverage_villages",
]
