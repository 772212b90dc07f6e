"""`patuh calc jakon|iuran|denda`: simulators over the same calculators the audit uses.

Amounts are whole Rupiah, rounded half-up. Each programme's employer and worker shares are
rounded on their own; `total` at the top level (iuran) and `total` (jakon) round the exact sum
once, as the audit does for a finding, so they may differ by a Rupiah from adding the parts."""
from __future__ import annotations

import datetime as dt
import json
import re
from decimal import Decimal, InvalidOperation
from pathlib import Path

import click

from patuh.engine.parameters import ParameterError, ParameterStore

from .calendar import due_date, period_start
from .late_fee import late_slice
from .dues import PROGRAMS, canonical_programs, dues
from .jakon import construction_contribution
from .money import ZERO, round_rupiah, rupiah_text
from ..cli_types import DATE, PERIOD
from ..text import number


def _params(rules_dir: str | None) -> ParameterStore:
    from patuh.audits.rulebook import parameters_dir

    return ParameterStore.load(parameters_dir(rules_dir))


def _money(value: str, name: str) -> Decimal:
    try:
        d = Decimal(value)
    except InvalidOperation:
        hint = ""
        if re.fullmatch(r"\d{1,3}(\.\d{3})+(,\d+)?", value.strip()):
            hint = (f" — dots as thousands separators are not read; write {value.strip().replace('.', '').replace(',', '.')}")
        raise click.BadParameter(f"{value!r} is not a plain number: write digits only, with a decimal point for sen "
                                 f"(3054552 or 3054552.50){hint}", param_hint=name)
    if not d.is_finite() or d < 0:
        raise click.BadParameter(f"{value!r} must be a number ≥ 0", param_hint=name)
    return d


def _out(data: dict, as_json: bool, lines: list[str], params: ParameterStore | None = None) -> None:
    warnings = params.edge_warnings() if params is not None else []
    if warnings:
        data = dict(data, warnings=warnings)
    if as_json:
        click.echo(json.dumps(data, ensure_ascii=False))
    else:
        for line in lines:
            click.echo(line)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)


def _int(d: Decimal) -> int:
    return int(round_rupiah(d))


rules_option = click.option("--rules", "rules_dir", default=None, type=click.Path(file_okay=False),
                            help="Rules folder (default: the installed rulebook; the working directory is never searched).")


@click.group("calc")
def calc() -> None:
    """Simulator iuran & denda / contribution and late-fee simulators (the audit's own calculators)."""


@calc.command("jakon")
@click.argument("value")
@click.option("--on", "on", default=None, type=DATE, help="Date of the SPK (bands in force then; default today).")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@rules_option
def jakon(value, on, as_json, rules_dir):
    """Iuran JKK+JKM proyek konstruksi atas nilai kontrak VALUE (marginal per lapisan)."""
    v = _money(value, "VALUE")
    day = on or dt.date.today()
    try:
        params = _params(rules_dir)
        r = construction_contribution(v, day, params)
    except ParameterError as exc:
        raise click.ClickException(str(exc))
    data = {"jkk": _int(r.jkk), "jkm": _int(r.jkm), "total": _int(r.total)}
    lines = [f"nilai kontrak {rupiah_text(v)} (tarif berlaku {day.isoformat()})"]
    for s in r.slices:
        lines.append(f"  lapisan {rupiah_text(s.lower)} – {rupiah_text(s.upper) if s.upper is not None else '…'}: "
                     f"{rupiah_text(s.slice_value)} × {number(((s.jkk_rate + s.jkm_rate) * 100).quantize(Decimal('0.01')))} % = "
                     f"{rupiah_text(s.jkk + s.jkm)}")
    lines.append(f"JKK {rupiah_text(data['jkk'])} + JKM {rupiah_text(data['jkm'])} = total {rupiah_text(data['total'])}")
    _out(data, as_json, lines, params)


@calc.command("iuran")
@click.option("--wage", required=True, help="Monthly wage (basic + fixed allowances).")
@click.option("--period", required=True, type=PERIOD, help="Contribution month YYYY-MM.")
@click.option("--risk-group", "risk_group", required=True, type=click.IntRange(1, 5), help="JKK risk group 1–5.")
@click.option("--programs", default="JKK,JKM,JHT,JP", show_default=True,
              help="Programmes, comma-separated (JKK,JKM); a ;-separated list must be quoted in a shell.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@rules_option
def iuran(wage, period, risk_group, programs, as_json, rules_dir):
    """Iuran bulanan per program untuk satu upah / monthly contributions for one wage."""
    w = _money(wage, "--wage")
    # commas: `JKK;JKM` unquoted in a shell runs `JKM` as a command and leaves `JKK` alone
    names = [p.strip().upper() for p in re.split(r"[,;]", programs) if p.strip()]
    progs = canonical_programs(names)
    unknown = set(names) - set(PROGRAMS)
    if unknown or not progs:
        raise click.BadParameter(f"{programs!r}: use JKK, JKM, JHT, JP separated by commas, e.g. JKK,JKM",
                                 param_hint="--programs")
    params = _params(rules_dir)
    on = period_start(period)
    try:
        cap = params.value("jp_wage_cap", on)
        by = dues(w, min(w, cap), on, risk_group, progs, params)
    except ParameterError as exc:
        raise click.ClickException(str(exc))
    data = {p: {"employer": _int(d.employer), "worker": _int(d.worker),
                "total": _int(d.employer) + _int(d.worker)} for p, d in by.items()}
    exact = sum((d.total for d in by.values()), ZERO)
    data["total"] = _int(exact)
    lines = [f"upah {rupiah_text(w)} · {period} · kelompok risiko {risk_group} · batas upah JP {rupiah_text(cap)}"]
    for p, d in data.items():
        if p != "total":
            lines.append(f"  {p:<4} pemberi kerja {rupiah_text(d['employer']):>14}  pekerja {rupiah_text(d['worker']):>12}"
                         f"  jumlah {rupiah_text(d['total']):>14}")
    lines.append(f"  total {rupiah_text(data['total'])}")
    _out(data, as_json, lines, params)


@calc.command("denda")
@click.option("--period", required=True, type=PERIOD, help="Contribution month YYYY-MM.")
@click.option("--paid-on", "paid_on", required=True, type=DATE, help="Day the sum was (or will be) paid.")
@click.option("--amount", required=True, help="The late sum.")
@click.option("--jp-amount", "jp_amount", default="0", show_default=True, help="The JP part of --amount.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
@rules_option
def denda(period, paid_on, amount, jp_amount, as_json, rules_dir):
    """Denda keterlambatan / late fee on a sum of month P paid on a given day."""
    paid = paid_on
    x, x_jp = _money(amount, "--amount"), _money(jp_amount, "--jp-amount")
    if x_jp > x:
        raise click.BadParameter("the JP part cannot exceed the amount", param_hint="--jp-amount")
    params = _params(rules_dir)
    on = period_start(period)
    try:
        due = due_date(period, params)
        rate, rate_jp = params.value("late_fee_rate", on), params.value("late_fee_rate_jp", on)
    except ParameterError as exc:
        raise click.ClickException(str(exc))
    # reported per programme: the JP fee goes to the JP fund with the arrears (PP 45/2015 Pasal 31),
    # the others' with the next month's contribution (PP 44/2015 Pasal 22; PP 46/2015 Pasal 20)
    fee = late_slice(x, x_jp, due, paid, rate, rate_jp)
    k, fee_non_jp, fee_jp = fee.months_late, fee.fee_non_jp, fee.fee_jp
    data = {"due_date": due.isoformat(), "months_late": k, "fee": _int(fee_non_jp + fee_jp),
            "fee_non_jp": _int(fee_non_jp), "fee_jp": _int(fee_jp)}
    lines = [f"iuran {period}: jatuh tempo {due.isoformat()}, dibayar {paid.isoformat()} → {k} bulan terlambat",
             f"  denda JKK/JKM/JHT {k} × {number(rate * 100)} % × {rupiah_text(x - x_jp)} = {rupiah_text(data['fee_non_jp'])}",
             f"  denda JP          {k} × {number(rate_jp * 100)} % × {rupiah_text(x_jp)} = {rupiah_text(data['fee_jp'])}",
             f"  jumlah denda {rupiah_text(data['fee'])}"]
    _out(data, as_json, lines, params)
