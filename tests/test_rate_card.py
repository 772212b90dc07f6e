"""The memoised rate cards of audits.calc.dues give the dues, and trace the parameters, exactly as
looking every rate up again did; the month's dues on unregistered and under-reported wages, applied
when first read, are the dues computed at once."""
import datetime as dt
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings, strategies as st

from patuh.audits.calc.dues import ZERO, Due, canonical_programs, dues
from patuh.audits.calc.sums import month_sums
from patuh.engine.parameters import ParameterError, ParameterStore

ROOT = Path(__file__).resolve().parent.parent
PARAMS = ParameterStore.load(ROOT / "rules" / "parameters")


def reference_dues(wage, jp_base, on, risk_group, programs, params, trace=None):
    """audits.calc.dues.dues as it was before the rate cards: every rate looked up for every call."""

    def use(pid, key=None):
        u = params.lookup(pid, on, key)
        if trace is not None:
            trace.append(u)
        return u.value

    out = {}
    for prog in canonical_programs(programs):
        if prog == "JKK":
            out[prog] = Due(wage * use("jkk_rate", int(risk_group)), ZERO)
        elif prog == "JKM":
            out[prog] = Due(wage * use("jkm_rate"), ZERO)
        elif prog == "JHT":
            out[prog] = Due(wage * use("jht_rate_employer"), wage * use("jht_rate_worker"))
        elif prog == "JP":
            out[prog] = Due(jp_base * use("jp_rate_employer"), jp_base * use("jp_rate_worker"))
    return out


def _same(a: dict, b: dict) -> bool:
    # equal and written alike (the same exponent: the evidence prints them)
    return list(a) == list(b) and all(
        str(a[k].employer) == str(b[k].employer) and str(a[k].worker) == str(b[k].worker) for k in a)


money = st.decimals(min_value=0, max_value=10**11, places=2, allow_nan=False, allow_infinity=False)
days = st.dates(min_value=dt.date(2015, 7, 1), max_value=dt.date(2026, 12, 31))
programmes = st.lists(st.sampled_from(["JKK", "JKM", "JHT", "JP", "jp ", "XYZ"]), max_size=5)


@settings(max_examples=300, deadline=None)
@given(wage=money, jp_base=money, on=days, group=st.integers(min_value=1, max_value=5), programs=programmes,
       as_text=st.booleans())
def test_dues_equal_the_rates_looked_up_one_by_one(wage, jp_base, on, group, programs, as_text):
    programs = ";".join(programs) if as_text else programs
    for _ in range(2):  # the first call builds the card, the second reads it
        trace, expected_trace = [], []
        got = dues(wage, jp_base, on, group, programs, PARAMS, trace)
        expected = reference_dues(wage, jp_base, on, group, programs, PARAMS, expected_trace)
        assert _same(got, expected)
        assert trace == expected_trace


def test_a_missing_rate_raises_as_before_with_the_uses_before_it_traced():
    trace, expected_trace = [], []
    with pytest.raises(ParameterError) as got:
        dues(Decimal(100), Decimal(100), dt.date(2025, 1, 1), 9, ["JKM", "JKK"], PARAMS, trace)
    with pytest.raises(ParameterError) as expected:
        reference_dues(Decimal(100), Decimal(100), dt.date(2025, 1, 1), 9, ["JKM", "JKK"], PARAMS, expected_trace)
    assert str(got.value) == str(expected.value)
    assert trace == expected_trace


def test_no_risk_group_is_needed_without_jkk():
    got = dues(Decimal(100), Decimal(50), dt.date(2025, 1, 1), None, ["JP"], PARAMS)
    assert _same(got, reference_dues(Decimal(100), Decimal(50), dt.date(2025, 1, 1), None, ["JP"], PARAMS))


@settings(max_examples=100, deadline=None)
@given(unreg=money, unreg_jp=money, gap=money, gap_jp=money, period=st.sampled_from(["2024-12", "2025-03", "2026-02"]),
       group=st.integers(min_value=0, max_value=5), programs=st.lists(st.sampled_from(["JKK", "JKM", "JHT", "JP"])))
def test_month_dues_read_later_are_the_dues_computed_at_once(unreg, unreg_jp, gap, gap_jp, period, group, programs):
    on = dt.date.fromisoformat(period + "-01")
    fact = {"on": on, "period": period, "as_of": dt.date(2026, 6, 1), "risk_group": group, "programs": programs,
            "declared_wage": Decimal("1000000.00"), "declared_jp_base": Decimal("1000000.00"),
            "unregistered_wage": unreg, "unregistered_jp_base": unreg_jp,
            "underreported_wage_gap": gap, "underreported_jp_gap": gap_jp}
    sums = month_sums(fact, PARAMS)
    for which, wage, jp in (("unregistered", unreg, unreg_jp), ("underreported", gap, gap_jp)):
        if not group:
            assert getattr(sums, which) is None and sums.uses[which] == ()
            continue
        trace: list = []
        # the JP base as month_sums has always read it (`… or 0`): a zero base of 0.00 is Decimal(0),
        # so its dues print 0.00, not 0.0000, as before the rate cards
        assert _same(getattr(sums, which), reference_dues(wage, Decimal(str(jp or 0)), on, group, programs, PARAMS, trace))
        assert list(sums.uses[which]) == trace


def test_employer_dues_read_later_are_those_of_dues_by_month():
    from patuh.audits.calc.sums import DuesOnRead, dues_by_month

    fact = {"on": dt.date(2025, 1, 1), "scale": "kecil", "risk_group": 0, "programs": ["JKK"],
            "by_month": (("2025-01", Decimal("5000000.00"), Decimal("5000000.00")),
                         ("2025-03", Decimal("12000000.00"), Decimal("10547400.00")))}
    lazy = DuesOnRead(fact, PARAMS)
    for which in ("mandatory", "missing"):
        eager = dues_by_month(fact, PARAMS, which)
        assert lazy[which] == eager and lazy[which] is lazy[which]
        for m in eager.months:
            trace: list = []
            programs = PARAMS.value("mandatory_programs", dt.date.fromisoformat(m.period + "-01"), "kecil")
            if which == "missing":
                programs = [p for p in programs if p != "JKK"]
            ref = reference_dues(m.wage, m.jp_base, dt.date.fromisoformat(m.period + "-01"), m.estimated_risk_group,
                                 programs, PARAMS, trace)
            assert _same(m.by_program, ref)
    assert dict(lazy) == {w: dues_by_month(fact, PARAMS, w) for w in ("mandatory", "missing")}


def test_employer_dues_month_by_month_as_each_looked_up_alone():
    """dues_by_month remembers a month's rate card and parameter uses per (month, scale, risk
    group, registered programmes): employers that differ in any of these, one after the other
    through one ParameterStore, get the dues and the uses each gets through a store of its own
    (nothing remembered). A key without the registered programmes, the scale or the risk group
    fails this."""
    from patuh.audits.calc.sums import dues_by_month

    months = tuple((f"2025-{m:02d}", Decimal(1_000_000 * m), Decimal(900_000 * m)) for m in (1, 2, 3, 11, 12))
    facts = [{"scale": scale, "risk_group": group, "programs": programs, "by_month": months}
             for scale in ("mikro", "kecil", "menengah", "besar")
             for group in (0, 1, 3, 5)
             for programs in ([], ["JKK", "JKM"], ["JKK", "JKM", "JHT"], ["JHT", "JP"])]
    shared = ParameterStore.load(ROOT / "rules" / "parameters")
    estimated = set()
    for fact in facts:
        for which in ("mandatory", "missing"):
            alone = dues_by_month(fact, ParameterStore.load(ROOT / "rules" / "parameters"), which)
            got = dues_by_month(fact, shared, which)
            assert got == alone, (fact["scale"], fact["risk_group"], fact["programs"], which)
            assert [u.as_dict() for u in got.uses] == [u.as_dict() for u in alone.uses]
            estimated |= {m.estimated_risk_group for m in got.months}
    assert None in estimated and len(estimated) > 1  # both an employer's own group and the estimate
