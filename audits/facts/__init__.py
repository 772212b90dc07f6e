"""Facts the rules judge, derived from the store with set-based SQL (joins and aggregates run in
the database; Python only shapes one fact per employer, employer-month or contract)."""
from .scope import Scope
from .employer_month import employer_month_facts
from .employer import employer_facts
from .contract import contract_facts

__all__ = ["Scope", "employer_month_facts", "employer_facts", "contract_facts"]
