"""lifecycle: actions, reviews, audit log, run metadata

Runs get an order of recording (``seq``), who and when, the lifecycle state they used and a
snapshot of their rulebook; findings get their review status; payments get ``kind``
(``iuran`` | ``denda``); and three append-only tables hold what happens between audits.

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("runs", schema=None) as batch_op:
        batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("recorded_at", sa.DateTime(), nullable=True))
        batch_op.add_column(sa.Column("recorded_by", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("state_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("rulebook_json", sa.Text(), nullable=True))
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.add_column(sa.Column("review", sa.String(length=24), nullable=True))
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=8), nullable=True))

    op.create_table(
        "recorded_actions",
        sa.Column("action_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("employer_id", sa.Text(), nullable=False),
        sa.Column("step", sa.String(length=16), nullable=False),
        sa.Column("issued_on", sa.Date(), nullable=False),
        sa.Column("reference", sa.Text(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Text(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("action_id", name=op.f("pk_recorded_actions")),
    )
    with op.batch_alter_table("recorded_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_recorded_actions_employer_id"), ["employer_id"], unique=False)

    op.create_table(
        "reviews",
        sa.Column("review_id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("finding_id", sa.String(length=64), nullable=False),
        sa.Column("decision", sa.String(length=16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewer", sa.Text(), nullable=False),
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("amount", sa.BigInteger(), nullable=True),  # Money: sen
        sa.Column("late_fee", sa.BigInteger(), nullable=True),  # Money: sen
        sa.Column("recorded_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("review_id", name=op.f("pk_reviews")),
    )
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reviews_finding_id"), ["finding_id"], unique=False)

    op.create_table(
        "audit_log",
        sa.Column("event_id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at", sa.Text(), nullable=False),
        sa.Column("actor", sa.Text(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("ids_json", sa.Text(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("event_id", name=op.f("pk_audit_log")),
    )


def downgrade() -> None:
    op.drop_table("audit_log")
    with op.batch_alter_table("reviews", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reviews_finding_id"))
    op.drop_table("reviews")
    with op.batch_alter_table("recorded_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_recorded_actions_employer_id"))
    op.drop_table("recorded_actions")
    with op.batch_alter_table("payments", schema=None) as batch_op:
        batch_op.drop_column("kind")
    with op.batch_alter_table("findings", schema=None) as batch_op:
        batch_op.drop_column("review")
    with op.batch_alter_table("runs", schema=None) as batch_op:
        for name in ("rulebook_json", "state_hash", "recorded_by", "recorded_at", "seq"):
            batch_op.drop_column(name)
