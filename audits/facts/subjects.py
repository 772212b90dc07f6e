"""The subjects rules can judge and the fields each subject's fact carries.

`rules lint` holds every rule to this list: a rule that names a subject, reads a field, prints a
placeholder or lists evidence that no fact provides would otherwise pass lint and then never fire
(or crash the audit). The test `tests/test_rule_references.py` checks this list against the facts the
audit actually builds, so it cannot drift from the code that fills the facts."""
from __future__ import annotations

# fields every fact has, set by the facts builders and the evaluator
COMMON = {"id", "type", "batch", "on", "subject_id", "employer_id"}

SUBJECT_FIELDS: dict[str, set[str]] = {
    "employer": COMMON | {
        "by_month", "dues_by_month", "first_period", "jp_base_total", "last_period", "mandatory_programs", "missing_program_count",
        "missing_programs", "months", "payroll_rows", "programs", "regency_code", "registered", "risk_group",
        "scale", "sector", "wage_total",
    },
    "employer_month": COMMON | {
        "as_of", "bill", "bill_jp", "bill_unrounded", "completed_on", "declared_jp_base", "declared_wage",
        "declared_workers", "deductions", "due_date", "jp_base_total", "late_fee_open", "late_fee_paid",
        "minimum_wage", "month_sums", "paid", "payment_amounts", "payment_dates", "payroll_workers", "period", "programs",
        "regency_code", "registered", "risk_group", "scale", "under_minimum_shortfall", "under_minimum_workers",
        "underreport_tolerance", "underreported_jp_gap", "underreported_wage_gap", "underreported_workers", "unregistered_jp_base",
        "unregistered_wage", "unregistered_workers", "wage_total",
    },
    "contract": COMMON | {
        "as_of", "contract_id", "contract_sums", "contribution", "contribution_paid", "current_value", "funding", "regency_code",
        "registered", "registered_on", "registration_deadline", "registration_working_days",
        "shortfall", "signing_value", "spk_date",
        "start_date",
    },
    # the enforcement ladder's fact: one per case (employer), built by audits.cases
    "case": (COMMON - {"subject_id"}) | {
        "arrears_open", "categories", "deductions_unremitted", "issued", "name", "teguran1_over", "teguran1_until",
        "teguran2_issued", "teguran2_over", "teguran2_until", "total_amount", "total_late_fee", "warning_issued",
    },
}

# what a message may print besides the fact: the amounts the rule's calculators give
HIT_FIELDS = {"amount", "late_fee"}
