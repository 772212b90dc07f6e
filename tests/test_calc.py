"""Calculators against examples worked by hand (the arithmetic is in the comments)."""
import datetime as dt
import json
from decimal import Decimal as D
from pathlib import Path

import pytest
from click.testing import CliRunner

from patuh.audits.calc.bill import monthly_bill
from patuh.audits.calc.calendar import add_working_days, due_date, months_late
from patuh.audits.calc.dues import dues, total_due
from patuh.audits.calc.jakon import construction_contribution
from patuh.audits.calc.late_fee import late_fee
from patuh.audits.calc.money import round_rupiah, rupiah_text
from patuh.cli import main
from patuh.engine.parameters import ParameterStore

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def params():
    return ParameterStore.load(ROOT / "rules" / "parameters")


@pytest.mark.parametrize("value, total", [
    (80_000_000, D("192000")),            # 0.24 % of 80 M
    (100_000_000, D("240000")),           # top of band 1, inclusive
    (100_000_100, D("240000.19")),        # 100 Rupiah into band 2 at 0.19 %
    (500_000_000, D("1000000")),          # 240,000 + 400 M × 0.19 %
    (1_000_000_000, D("1750000")),        # + 500 M × 0.15 %
    (5_000_000_000, D("6550000")),        # + 4 B × 0.12 %
    (6_000_000_000, D("7550000")),        # + 1 B × 0.10 %
])
def test_construction_bands_are_marginal(params, value, total):
    r = construction_contribution(D(value), dt.date(2025, 1, 1), params)
    assert r.total == total
    # the published mistake: one band's rate on the whole value
    if value > 100_000_000:
        assert r.total != D(value) * r.slices[-1].jkk_rate + D(value) * r.slices[-1].jkm_rate


def test_construction_split_jkk_jkm(params):
    r = construction_contribution(D(80_000_000), dt.date(2025, 1, 1), params)
    assert (r.jkk, r.jkm) == (D("168000"), D("24000"))


def test_jp_cap_changes_in_march(params):
    # 12,000,000 wage: JP on min(wage, cap): Feb 2025 cap 10,042,300 → 301,269; Mar 2025 cap 10,547,400 → 316,422
    for month, cap, jp in [(2, D("10042300"), D("301269")), (3, D("10547400"), D("316422"))]:
        on = dt.date(2025, month, 1)
        assert params.value("jp_wage_cap", on) == cap
        d = dues(D(12_000_000), min(D(12_000_000), cap), on, 1, ["JP"], params)
        assert d["JP"].total == jp
        assert d["JP"].employer == jp * 2 / 3 and d["JP"].worker == jp / 3


def test_dues_all_programmes_group_2(params):
    # 5,000,000 × (0.54 % + 0.30 % + 5.7 % + 3 %) = 27,000 + 15,000 + 285,000 + 150,000
    d = dues(D(5_000_000), D(5_000_000), dt.date(2025, 3, 1), 2, "JKK;JKM;JHT;JP", params)
    assert {k: v.total for k, v in d.items()} == {"JKK": 27000, "JKM": 15000, "JHT": 285000, "JP": 150000}
    assert d["JHT"].employer == D("185000") and d["JHT"].worker == D("100000")
    assert total_due(d) == D("477000")


@pytest.mark.parametrize("period, expected", [
    ("2025-09", dt.date(2025, 10, 15)),  # an ordinary Wednesday
    ("2025-05", dt.date(2025, 6, 16)),   # 15 June 2025 is a Sunday
    ("2025-01", dt.date(2025, 2, 17)),   # 15 Feb 2025 is a Saturday
    ("2022-03", dt.date(2022, 4, 18)),   # 15 Apr 2022 is Good Friday, then the weekend
    ("2018-05", dt.date(2018, 6, 18)),   # 15 Jun 2018 is Idul Fitri (a Friday), then the weekend
    ("2020-09", dt.date(2020, 10, 30)),  # PP 49/2020: the 30th
    ("2020-12", dt.date(2021, 1, 29)),   # PP 49/2020: 30 Jan 2021 is a Saturday → the preceding Friday
    ("2021-01", dt.date(2021, 2, 26)),   # PP 49/2020: no 30 Feb → 28 Feb, a Sunday → Friday 26
    ("2021-02", dt.date(2021, 3, 15)),   # relief over: back to the 15th
])
def test_due_date(params, period, expected):
    assert due_date(period, params) == expected


def test_months_late_counts_started_months():
    due = dt.date(2025, 4, 15)
    assert months_late(due, dt.date(2025, 4, 15)) == 0
    assert months_late(due, dt.date(2025, 4, 16)) == 1  # one day late is a whole month
    assert months_late(due, dt.date(2025, 5, 15)) == 1
    assert months_late(due, dt.date(2025, 5, 16)) == 2
    assert months_late(due, dt.date(2025, 6, 20)) == 3


def test_working_days_skip_weekends_and_holidays():
    # 10 Jan 2025 (Fri) + 14 working days, skipping 27 Jan (Isra Mikraj) and 29 Jan (Imlek)
    assert add_working_days(dt.date(2025, 1, 10), 14) == dt.date(2025, 2, 3)


def test_indonesias_calendar_read_from_its_own_module_is_the_librarys():
    import subprocess
    import sys

    import holidays

    from patuh.audits.calc.calendar import indonesia

    calendar = indonesia()
    assert calendar.__module__ == "patuh_holidays_indonesia"  # not the fallback
    for year in range(2000, 2041):
        assert set(calendar(years=[year])) == set(holidays.country_holidays("ID", years=[year])), year
    # and without the library's 250-odd other countries: what the audit's serial start saved
    probe = "import sys; from patuh.audits.calc.calendar import is_holiday; is_holiday(__import__('datetime').date(2025, 1, 1)); print('holidays.countries' in sys.modules)"
    assert subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout.strip() == "False"


def test_indonesias_calendar_falls_back_to_the_librarys_entry_point(monkeypatch):
    import importlib.util

    import holidays

    from patuh.audits.calc import calendar as cal

    def moved(*_a, **_k):
        raise FileNotFoundError("the library laid out otherwise")

    monkeypatch.setattr(importlib.util, "spec_from_file_location", moved)
    cal.indonesia.cache_clear()
    try:
        fallback = cal.indonesia()
        assert set(fallback(years=[2025])) == set(holidays.country_holidays("ID", years=[2025]))
        assert getattr(fallback, "__module__", "") != "patuh_holidays_indonesia"
    finally:
        cal.indonesia.cache_clear()  # the next caller reads the module again


def _bill(params):
    return monthly_bill(D(10_000_000), D(10_000_000), dt.date(2025, 3, 1), 1, ["JKK", "JKM", "JHT", "JP"], params)


def test_bill_rounded_once(params):
    b = _bill(params)  # 24,000 + 30,000 + 570,000 + 300,000
    assert (b.total, b.jp) == (D("924000"), D("300000"))


def test_late_fee_unpaid(params):
    b = _bill(params)
    r = late_fee("2025-03", b.total, b.jp, b.unrounded, [], dt.date(2025, 4, 15), dt.date(2025, 6, 20), params)
    # k = 3: 3 × 2 % × 924,000 = 55,440, reported per programme: JP 3 × 2 % × 300,000 = 18,000
    # (PP 45/2015 Pasal 31 ayat (1)), JKK+JKM+JHT 3 × 2 % × 624,000 = 37,440 (PP 44/2015 Pasal 22,
    # PP 46/2015 Pasal 20)
    assert r.fee == D("55440") and r.outstanding == D("924000") and r.completed_on is None
    (line,) = r.lines
    assert (line.fee_jp, line.fee_non_jp) == (D("18000"), D("37440"))


def test_late_fee_partial_and_late_payments(params):
    b = _bill(params)
    pays = [(dt.date(2025, 5, 10), D(500_000)), (dt.date(2025, 4, 14), D(100_000))]  # out of order on purpose
    r = late_fee("2025-03", b.total, b.jp, b.unrounded, pays, dt.date(2025, 4, 15), dt.date(2025, 6, 20), params)
    # 100,000 on time: no fee. 500,000 on 10 May (k=1): 2 % × 500,000 = 10,000;
    # 324,000 open at 20 Jun (k=3): 3 × 2 % × 324,000 = 19,440 → 29,440
    assert round_rupiah(r.fee) == D("29440")
    assert [ln.months_late for ln in r.lines] == [1, 3]
    assert r.outstanding == D("324000")


def test_late_fee_pp49_rate_jp_too(params):
    # PP 49/2020 set 0.5 % for every programme, JP included, for contribution months Aug 2020 – Jan 2021;
    # 4,000,000 on group 1 with JP: 9,600 + 12,000 + 228,000 + 120,000 = 369,600
    b = monthly_bill(D(4_000_000), D(4_000_000), dt.date(2021, 1, 1), 1, ["JKK", "JKM", "JHT", "JP"], params)
    # the 30th under PP 49/2020; February has none → Sun 28 Feb → the working day before, Fri 26 Feb
    due = due_date("2021-01", params)
    assert due == dt.date(2021, 2, 26)
    r = late_fee("2021-01", b.total, b.jp, b.unrounded, [(due + dt.timedelta(days=1), b.total)], due, dt.date(2021, 6, 1), params)
    assert r.lines[0].months_late == 1 and r.lines[0].fee_jp == D("600")  # 0.5 % × 120,000
    assert r.fee == D("1848")  # 0.5 % × 369,600
    # February 2021 is outside the window: 2 % for JP again (PP 45/2015 Pasal 31 ayat (1))
    b = monthly_bill(D(4_000_000), D(4_000_000), dt.date(2021, 2, 1), 1, ["JKK", "JKM", "JHT", "JP"], params)
    due = due_date("2021-02", params)
    r = late_fee("2021-02", b.total, b.jp, b.unrounded, [(due + dt.timedelta(days=1), b.total)], due, dt.date(2021, 6, 1), params)
    assert r.lines[0].fee_jp == D("2400") and r.fee == D("7392")


def test_late_fee_pp49_rate(params):
    # September 2020 under PP 49/2020: fee 0.5 % per month on JKK/JKM/JHT too
    b = monthly_bill(D(10_000_000), D(8_939_700), dt.date(2020, 9, 1), 1, ["JKK", "JKM", "JHT"], params)
    due = due_date("2020-09", params)
    r = late_fee("2020-09", b.total, b.jp, b.unrounded, [(dt.date(2020, 11, 2), b.total)], due, dt.date(2021, 3, 1), params)
    assert r.lines[0].months_late == 1
    assert round_rupiah(r.fee) == round_rupiah(b.total * D("0.005"))


def test_overpayment_is_ignored(params):
    b = _bill(params)
    pays = [(dt.date(2025, 4, 10), D(2_000_000))]
    r = late_fee("2025-03", b.total, b.jp, b.unrounded, pays, dt.date(2025, 4, 15), dt.date(2025, 6, 20), params)
    assert r.fee == 0 and r.outstanding == 0 and r.completed_on == dt.date(2025, 4, 10)


def test_rupiah_text():
    assert rupiah_text(D("1234567.5")) == "Rp 1.234.568"
    assert rupiah_text(0) == "Rp 0"


def _json(args):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    return json.loads(res.output)


def test_calc_jakon_json():
    assert _json(["calc", "jakon", "80000000", "--on", "2025-01-10", "--json"]) == {"jkk": 168000, "jkm": 24000, "total": 192000}


def test_calc_iuran_json():
    out = _json(["calc", "iuran", "--wage", "12000000", "--period", "2025-03", "--risk-group", "1", "--json"])
    assert out["JP"] == {"employer": 210948, "worker": 105474, "total": 316422}
    assert out["JHT"] == {"employer": 444000, "worker": 240000, "total": 684000}
    assert out["JKK"]["total"] == 28800 and out["JKM"]["total"] == 36000
    assert out["total"] == 1065222


def test_calc_denda_json_matches_rule_example():
    out = _json(["calc", "denda", "--period", "2025-03", "--paid-on", "2025-06-20", "--amount", "924000",
                 "--jp-amount", "300000", "--json"])
    assert out == {"due_date": "2025-04-15", "months_late": 3, "fee": 55440, "fee_non_jp": 37440, "fee_jp": 18000}


def test_calc_denda_jp_at_two_percent():
    # issue 17: January 2025 is due Mon 17 Feb (15 Feb a Saturday); paid 10 Mar → k = 1;
    # 2 % × 7,000,000 + 2 % × 3,000,000 = 140,000 + 60,000 (was 155,000 with 0.5 % on JP)
    out = _json(["calc", "denda", "--period", "2025-01", "--paid-on", "2025-03-10", "--amount", "10000000",
                 "--jp-amount", "3000000", "--json"])
    assert out == {"due_date": "2025-02-17", "months_late": 1, "fee": 200000, "fee_non_jp": 140000, "fee_jp": 60000}
    res = CliRunner().invoke(main, ["calc", "denda", "--period", "2025-01", "--paid-on", "2025-03-10",
                                    "--amount", "10000000", "--jp-amount", "3000000"])
    assert res.exit_code == 0 and "Rp 200.000" in res.output and "2 %" in res.output


def test_calc_denda_jp_only_two_months():
    # Rp2,000,000 of JP contributions of April 2025: due Thu 15 May; 10 Jul is after 15 Jun and
    # before 15 Jul → k = 2; 2 × 2 % × 2,000,000 = 80,000
    out = _json(["calc", "denda", "--period", "2025-04", "--paid-on", "2025-07-10", "--amount", "2000000",
                 "--jp-amount", "2000000", "--json"])
    assert out == {"due_date": "2025-05-15", "months_late": 2, "fee": 80000, "fee_non_jp": 0, "fee_jp": 80000}


def test_calc_denda_demo_readme_jp_example():
    # fixtures/kalbar-demo/README.md: E20's May bill (1,123,200) with JP on 18,000,000 (540,000),
    # due Mon 16 Jun, paid Tue 17 Jun → k = 1: 2 % × 1,663,200 = 33,264, of which JP 10,800
    out = _json(["calc", "denda", "--period", "2025-05", "--paid-on", "2025-06-17", "--amount", "1663200",
                 "--jp-amount", "540000", "--json"])
    assert (out["months_late"], out["fee"], out["fee_jp"]) == (1, 33264, 10800)


def test_calc_rejects_thousands_separator():
    res = CliRunner().invoke(main, ["calc", "iuran", "--wage", "3.054.552", "--period", "2025-03", "--risk-group", "1"])
    assert res.exit_code == 2 and "plain number" in res.output


def test_parameter_yaml_keeps_on_and_yes_as_text_and_floats_exact():
    from patuh.engine.parameters import load_yaml

    assert load_yaml("a: on\nb: yes\nc: true\nd: 0.0024") == {"a": "on", "b": "yes", "c": True, "d": D("0.0024")}


def test_parameters_carry_source_and_status(params):
    for pid in params.ids():
        for v in params.get(pid).values:
            assert v.source and v.instrument and v.status in ("P", "S2", "S1", "D", "UNCONFIRMED"), pid
    # the late fees as enacted: 2 % a month for every programme, read in the gazetted texts
    jp = params.lookup("late_fee_rate_jp", dt.date(2025, 3, 1))
    assert (jp.value, jp.status, jp.article) == (D("0.02"), "P", "Pasal 31 ayat (1)") and "LN 2015/155" in jp.instrument
    other = params.lookup("late_fee_rate", dt.date(2015, 7, 1))
    assert other.value == D("0.02") and other.status == "P" and "Pasal 22 ayat (1)" in other.article
    assert params.value("late_fee_rate_jp", dt.date(2020, 8, 1)) == params.value("late_fee_rate", dt.date(2021, 1, 1)) == D("0.005")
    assert params.lookup("payment_deadline", dt.date(2025, 3, 1)).status == "P"
    # every JP cap from 2015 to 2026, changing in March from 2016
    caps = [params.value("jp_wage_cap", dt.date(y, 3, 1)) for y in range(2016, 2027)]
    assert len(set(caps)) == 11 and params.value("jp_wage_cap", dt.date(2026, 2, 1)) == D("10547400")


@pytest.mark.parametrize("args, message", [
    (["calc", "denda", "--period", "2025-13", "--paid-on", "2025-06-20", "--amount", "1"], "'2025-13' is not a month YYYY-MM"),
    (["calc", "denda", "--period", "2025-03", "--paid-on", "20/06/2025", "--amount", "1"], "'20/06/2025' is not a date YYYY-MM-DD"),
    (["calc", "jakon", "80000000", "--on", "2025-02-30"], "'2025-02-30' is not a date YYYY-MM-DD"),
])
def test_calc_months_and_dates_are_checked(args, message):
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 2 and message in res.output


def test_amount_text_for_messages_and_sheets():
    from patuh.audits import text
    from patuh.audits.dossiers.fmt import rupiah_exact

    assert text.amount(D("560000.25")) == "560.000,25" and text.amount(D("560000.25"), "en") == "560,000.25"
    assert text.amount(D("1000000.5")) == "1.000.000,50" and text.amount(D("924000")) == "924.000"
    assert rupiah_exact(D("-1234.5")) == "Rp -1.234,50" and rupiah_exact(D("1234567")) == "Rp 1.234.567"


def test_rules_option_help_says_where_the_rulebook_is():
    # audits/rulebook.py: the working directory is never searched; the help must not say ./rules
    for args in (["calc", "denda", "--help"], ["audit", "--help"], ["generate", "--help"]):
        res = CliRunner().invoke(main, args)
        assert res.exit_code == 0 and "./rules" not in res.output and "installed rulebook" in res.output, args
