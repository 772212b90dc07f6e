"""Calculators for tests/data/rules_basic (set PATUH_CALCULATORS=rules_basic_calcs, tests/data on sys.path)."""
from decimal import Decimal


def shortfall(fact, params, trace):
    return Decimal(str(fact["bill"])) - Decimal(str(fact["paid"]))


def late_fee(fact, params, trace):
    use = params.lookup("late_rate", fact["on"])
    trace.append(use)
    return shortfall(fact, params, trace) * use.value


CALCULATORS = {"shortfall": shortfall, "late_fee": late_fee}
