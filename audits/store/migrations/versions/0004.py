"""coverage: coverage and village rows recorded with a run (docs/coverage.md)

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "coverage",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=4), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("sector", sa.Text(), nullable=False),
        sa.Column("workers", sa.BigInteger(), nullable=False),
        sa.Column("participants", sa.BigInteger(), nullable=False),
        sa.Column("coverage_pct", sa.String(length=12), nullable=True),
        sa.Column("target_pct", sa.String(length=12), nullable=True),
        sa.Column("met", sa.String(length=8), nullable=True),
        sa.Column("gap_workers", sa.BigInteger(), nullable=True),
        sa.Column("gap_cost_per_year", sa.BigInteger(), nullable=True),  # Money: sen
        sa.Column("found_unregistered", sa.Integer(), nullable=True),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_coverage_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_coverage")),
    )
    op.create_table(
        "coverage_villages",
        sa.Column("run_id", sa.String(length=64), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("region_code", sa.String(length=4), nullable=False),
        sa.Column("villages", sa.Integer(), nullable=False),
        sa.Column("villages_registered", sa.Integer(), nullable=False),
        sa.Column("villages_registered_pct", sa.String(length=12), nullable=True),
        sa.Column("officials", sa.BigInteger(), nullable=False),
        sa.Column("officials_registered", sa.BigInteger(), nullable=False),
        sa.Column("officials_pct", sa.String(length=12), nullable=True),
        sa.Column("bpd_villages", sa.Integer(), nullable=False),
        sa.Column("bpd_villages_registered", sa.Integer(), nullable=False),
        sa.Column("bpd_pct", sa.String(length=12), nullable=True),
        sa.Column("officials_unregistered", sa.BigInteger(), nullable=False),
        sa.Column("cost_per_year", sa.BigInteger(), nullable=False),  # Money: sen
        sa.ForeignKeyConstraint(["run_id"], ["runs.run_id"], name=op.f("fk_coverage_villages_run_id_runs")),
        sa.PrimaryKeyConstraint("run_id", "position", name=op.f("pk_coverage_villages")),
    )


def downgrade() -> None:
    op.drop_table("coverage_villages")
    op.drop_table("coverage")
