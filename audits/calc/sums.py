"""The legal sums of a fact, each with its breakdown and the parameters it used.

The facts compute them once and carry them (`month_sums` on each employer-month, `dues_by_month`
on each employer, `contract_sums` on each contract); the calculators the rules name read them, and
the evidence renders their lines. A rule example is a bare fact without them: the calculators then
call the same functions on the example's fields, so there is still one computation.

Parameters are looked up on the date the semantics say: the first day of the contribution month
(rates, due date, late-fee rates, mandatory programmes), the SPK date for a contract's bands."""
from __future__ import annotations

import datetime as dt
import weakref
from dataclasses import dataclass, field
from functools import cached_property
from decimal import Decimal
from typing import Mapping

from patuh.engine.parameters import ParameterStore

from .bill import Bill, monthly_bill
from .calendar import due_date, period_start
from .dues import Due, apply_card, dues, rate_card, total_due
from .jakon import JakonResult, construction_contribution
from .late_fee import FeeResult, late_fee
from .money import ZERO


def _d(value) -> Decimal:
    if isinstance(value, Decimal):
        return value
    if type(value) is int and value == 0:
        return ZERO  # Decimal(str(0)): a zero amount (`… or 0`) is asked of every month, made once
    return Decimal(str(value))


def _date(value) -> dt.date:
    return value if isinstance(value, dt.date) else dt.date.fromisoformat(str(value))


@dataclass(frozen=True)
class MonthSums:
    """One employer-month: B(E,P) per programme, its due date and late fee (per late slice), and
    the dues on unregistered workers' wages and on under-reported wage gaps (per programme)."""

    bill: Bill
    due: dt.date
    fee: FeeResult
    late_fee_paid: Decimal
    uses: dict[str, tuple] = field(default_factory=dict)  # "bill" | "due" | "fee" | "unregistered" | "underreported"
    # "unregistered" | "underreported" -> (rate card, wage, JP base), or None when not computable
    # here (no risk group; a calculator computes it). Applied when first read: most months have no
    # such finding, and 36,000 months of per-programme dues nobody reads cost 90 MB.
    dues_on: dict = field(default_factory=dict, repr=False, compare=False)

    @cached_property
    def unregistered(self) -> dict[str, Due] | None:
        return self._dues("unregistered")

    @cached_property
    def underreported(self) -> dict[str, Due] | None:
        return self._dues("underreported")

    def _dues(self, which: str) -> dict[str, Due] | None:
        given = self.dues_on.get(which)
        return None if given is None else apply_card(*given)

    @property
    def arrears(self) -> Decimal:
        """B(E,P) − Paid(E,P, as_of), never below 0."""
        return max(self.bill.total - self.fee.paid, ZERO)

    @property
    def late_fee_owed(self) -> Decimal:
        """The late fee less the late fee paid (payments of kind denda by as_of), never below 0."""
        return max(self.fee.fee - self.late_fee_paid, ZERO)


def month_sums(fact: Mapping, params: ParameterStore, due: tuple[dt.date, list] | None = None,
               payments: list[tuple[dt.date, Decimal]] | None = None) -> MonthSums:
    """`due`: (due date, its parameter uses) when the caller has it already (one per month);
    `payments`: the fact's (payment date, amount) pairs when the caller has them as such."""
    on = _date(fact["on"])  # the first day of the contribution month
    group = int(fact.get("risk_group") or 0)
    programs = fact.get("programs") or []
    uses: dict[str, list] = {k: [] for k in ("bill", "due", "fee")}
    # the month's rates, looked up once for the bill and both kinds of dues below (the same month,
    # risk group and programmes; three look-ups of the card per employer-month were 0.1 CPU-s at
    # 350k), where they were first looked up before: for the bill if it has one, else for the dues
    declared = _d(fact.get("declared_wage", 0))
    card = rate_card(on, group, programs, params) if group and declared else None
    bill = monthly_bill(declared, _d(fact.get("declared_jp_base", 0)), on, group or None,
                        programs, params, uses["bill"], card)
    if due is not None:
        when, uses["due"] = due[0], due[1]
    else:
        when = due_date(fact["period"], params, uses["due"]) if fact.get("period") and fact.get("as_of") else None
    if payments is not None:
        pays = payments
    else:
        pays = list(zip((_date(d) for d in fact.get("payment_dates") or []),
                        (_d(a) for a in fact.get("payment_amounts") or [])))
    if when is not None:
        fee = late_fee(fact["period"], bill.total, bill.jp, bill.unrounded, pays, when, _date(fact["as_of"]),
                       params, uses["fee"])
    else:  # a rule example without a month or as_of: no late fee is asked of it
        fee = FeeResult(ZERO, sum((a for _, a in pays), ZERO), bill.total, None, ())

    dues_on: dict = {}
    for key, wage_field, jp_field in (("unregistered", "unregistered_wage", "unregistered_jp_base"),
                                      ("underreported", "underreported_wage_gap", "underreported_jp_gap")):
        wage = fact.get(wage_field)
        if wage is None or not group:
            dues_on[key], uses[key] = None, ()
        else:
            # the rates are looked up now (their uses are part of the sums); the dues when read
            if card is None:
                card = rate_card(on, group, programs, params)
            dues_on[key], uses[key] = (card, _d(wage), _d(fact.get(jp_field) or 0)), card.uses

    return MonthSums(bill, when, fee, _d(fact.get("late_fee_paid") or 0),
                     {k: tuple(v) for k, v in uses.items()}, dues_on)


@dataclass(frozen=True)
class MonthDues:
    """Dues of one month of an employer-level finding (PWBD, PDS-PROGRAM): a computation block."""

    period: str
    wage: Decimal
    jp_base: Decimal
    by_program: dict[str, Due]
    estimated_risk_group: int | None  # the group assumed when the employer gave none


@dataclass(frozen=True)
class EmployerDues:
    months: tuple[MonthDues, ...]
    uses: tuple

    @property
    def total(self) -> Decimal:
        return sum((total_due(m.by_program) for m in self.months), ZERO)


def dues_by_month(fact: Mapping, params: ParameterStore, which: str) -> EmployerDues:
    """Employer-level dues month by month, each at its month's rates and mandatory programmes.
    `which` is "mandatory" (PWBD) or "missing" (PDS-PROGRAM). A fact without `by_month` (a rule
    example) is one block at `on` with its totals and listed programmes."""
    return _employer_dues(fact, params, which)()


# ParameterStore -> {(period, scale, risk group, registered programmes or None): (rate card, estimated
# risk group, the month's parameter uses)} for _employer_dues
_MONTH_CARDS: "weakref.WeakKeyDictionary[ParameterStore, dict]" = weakref.WeakKeyDictionary()


def _employer_dues(fact: Mapping, params: ParameterStore, which: str):
    """Looks up every parameter of `dues_by_month` now, and returns what computes the dues."""
    uses: list = []
    blocks = []  # (period, wage, JP base, rate card, estimated risk group)

    def risk_group(on: dt.date, into: list) -> tuple[int, int | None]:
        group = int(fact.get("risk_group") or 0)
        if group:
            return group, None
        use = params.lookup("pwbd_estimate_risk_group", on)
        into.append(use)
        return int(use.value), int(use.value)

    months = fact.get("by_month")
    if not months:
        on = _date(fact["on"])
        programs = fact["mandatory_programs"] if which == "mandatory" else fact["missing_programs"]
        group, estimated = risk_group(on, uses)
        blocks.append((str(fact["on"])[:7], _d(fact["wage_total"]), _d(fact["jp_base_total"]),
                       rate_card(on, group, programs, params, uses), estimated))
    else:
        # what a month's lookups give depends on the month, the scale, the risk group and (for the
        # missing programmes) the registered ones, not on the employer: made once per such month
        # and run (3,000 employers × 12 months × 2 looked up every parameter again, a third of
        # the employer facts' time), with the very uses, in the order the lookups append them
        memo = _MONTH_CARDS.get(params)
        if memo is None:
            memo = _MONTH_CARDS[params] = {}
        registered = None if which == "mandatory" else tuple(fact["programs"])
        for period, wage, jp_base in months:
            key = (period, fact["scale"], int(fact.get("risk_group") or 0), registered)
            found = memo.get(key)
            if found is None:
                on = period_start(period)
                mine: list = []
                use = params.lookup("mandatory_programs", on, fact["scale"])
                mine.append(use)
                programs = list(use.value) if which == "mandatory" else [p for p in use.value if p not in fact["programs"]]
                group, estimated = risk_group(on, mine)
                card = rate_card(on, group, programs, params, mine)
                found = memo[key] = (card, estimated, tuple(mine))
            card, estimated, month_uses = found
            uses.extend(month_uses)
            blocks.append((period, _d(wage), _d(jp_base), card, estimated))
    uses_t = tuple(uses)

    def compute() -> EmployerDues:
        return EmployerDues(tuple(MonthDues(period, wage, jp_base, apply_card(card, wage, jp_base), estimated)
                                  for period, wage, jp_base, card, estimated in blocks), uses_t)
    return compute


class DuesOnRead(Mapping):
    """An employer fact's `dues_by_month`: {"mandatory": EmployerDues, "missing": EmployerDues}.
    Every parameter is looked up when the fact is made (as `dues_by_month` does); the dues, which
    only a PWBD or PDS-PROGRAM finding reads, are computed when first read, once."""

    __slots__ = ("_pending", "_done")

    def __init__(self, fact: Mapping, params: ParameterStore, whiches=("mandatory", "missing")):
        self._pending = {which: _employer_dues(fact, params, which) for which in whiches}
        self._done: dict[str, EmployerDues] = {}

    def __getitem__(self, which: str) -> EmployerDues:
        found = self._done.get(which)
        if found is None:
            found = self._done[which] = self._pending[which]()
        return found

    def __iter__(self):
        return iter(self._pending)

    def __len__(self) -> int:
        return len(self._pending)


@dataclass(frozen=True)
class ContractSums:
    """A contract's JKK + JKM contribution, band by band, at the bands in force on its SPK date."""

    bands: JakonResult
    uses: tuple


def contract_sums(fact: Mapping, params: ParameterStore) -> ContractSums:
    uses: list = []
    bands = construction_contribution(_d(fact["current_value"]), _date(fact["spk_date"]), params, uses)
    return ContractSums(bands, tuple(uses))
