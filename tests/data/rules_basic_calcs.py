"""Calculators for tests/data/rules_basic, handed to the engine as a domain hands its own (tests/data on sys.path)."""
from decimal import Decimal


def shortfall(fact, params, trace):
    return Decimal(str(fact["bill"])) - Decimal(str(fact["paid"]))


def late_fee(fact, params, trace):
    use = params.lookup("late_rate", fact["on"])
    trace.append(use)
    return shortfall(fact, params, trace) * use.value


CALCULATORS = {"shortfall": shortfall, "late_fee": late_fee}
