"""declarations: index on (import_id, employer_id, period, nik)

The audit joins every payroll row to its declaration by (employer, period, nik). Without nik in
the index, each lookup scanned every declaration of the employer-month — quadratic in the size
of the firm (about 24 s of a 414k-row audit went there).

Revision ID: 0002
Revises: 0001
"""
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_import_id_employer_id_period")
        batch_op.create_index("ix_declarations_import_id_employer_id_period_nik",
                              ["import_id", "employer_id", "period", "nik"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("declarations", schema=None) as batch_op:
        batch_op.drop_index("ix_declarations_import_id_employer_id_period_nik")
        batch_op.create_index("ix_declarations_import_id_employer_id_period",
                              ["import_id", "employer_id", "period"], unique=False)
