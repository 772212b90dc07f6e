"""One fact per construction contract: current value, registration and contribution paid."""
from __future__ import annotations

from sqlalchemy import func, select

from patuh.audits.calc.calendar import add_working_days
from patuh.audits.calc.money import round_rupiah
from patuh.audits.calc.sums import contract_sums
from patuh.audits.store import schema as s

from .scope import Scope, rupiah, sen


def contract_facts(sc: Scope) -> list[dict]:
    c, a, r = s.contracts, s.contract_amendments, s.project_registrations
    latest_amendment = (
        select(sen(a.c.value))
        .where(a.c.import_id == c.c.import_id, a.c.contract_id == c.c.contract_id, a.c.amended_on <= sc.as_of)
        .order_by(a.c.amended_on.desc(), a.c.row_id.desc())
        .limit(1)
        .scalar_subquery()
    )
    regs = (
        select(
            r.c.contract_id,
            func.min(r.c.registered_on).label("registered_on"),
            func.sum(sen(r.c.contribution_paid)).label("paid"),
            func.count().label("n"),
        )
        .where(r.c.import_id == sc.import_id, r.c.registered_on <= sc.as_of)
        .group_by(r.c.contract_id)
        .subquery()
    )
    q = (
        select(
            c.c.contract_id, c.c.contractor_id, c.c.funding, c.c.owner, c.c.regency_code,
            c.c.spk_date, c.c.start_date, c.c.end_date, sen(c.c.value).label("value"),
            latest_amendment.label("amended_value"),
            regs.c.registered_on, regs.c.paid, regs.c.n,
        )
        .select_from(c.outerjoin(regs, regs.c.contract_id == c.c.contract_id))
        .where(c.c.import_id == sc.import_id, *sc.of_employers(c.c.contractor_id))
        .order_by(c.c.contract_id)
    )
    facts = []
    for row in sc.conn.execute(q):
        value = rupiah(row.amended_value if row.amended_value is not None else row.value)
        # the contribution band by band, at the bands in force on the SPK date (audits.calc.sums)
        sums = contract_sums({"current_value": value, "spk_date": row.spk_date}, sc.params)
        contribution = round_rupiah(sums.bands.total)
        registered = row.registered_on is not None
        paid = rupiah(row.paid) if registered else rupiah(0)
        # the registration deadline of the rule in force when the SPK was issued
        days = sc.params.find("jakon_registration_working_days", row.spk_date)
        if days is None:
            deadline = None  # JAKON-TELAT-DAFTAR cannot be judged: its rule field stays absent
            sc.warn(f"contract {row.contract_id}: no registration deadline in force on its SPK date "
                    f"{row.spk_date.isoformat()}; JAKON-TELAT-DAFTAR not assessed", at=(3, row.contract_id))
        else:
            deadline = add_working_days(row.spk_date, int(sc.note(days).value))
        facts.append({
            "id": f"c:{row.contract_id}",
            "type": "contract",
            "batch": row.contractor_id,
            "on": row.spk_date,
            "subject_id": row.contract_id,
            "contract_id": row.contract_id,
            "employer_id": row.contractor_id,
            "funding": row.funding,
            "regency_code": row.regency_code,
            "signing_value": rupiah(row.value),
            "current_value": value,
            "contribution": contribution,
            "contract_sums": sums,
            "spk_date": row.spk_date,
            "start_date": row.start_date,
            "as_of": sc.as_of,
            "registered": registered,
            "registered_on": row.registered_on,  # None (dropped) when not registered by as_of
            "registration_deadline": deadline,
            # the working days the deadline was counted with (jakon_registration_working_days)
            "registration_working_days": None if days is None else int(days.value),
            "contribution_paid": paid,
            "shortfall": contribution - paid if registered else contribution,
        })
    return facts
