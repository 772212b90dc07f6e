"""documents: responsible person of an employer

`employers.responsible_name` and `employers.responsible_title`: the natural person who answers for
the employer (director, owner), named in every letter and dossier (docs/data-package.md). Both
optional; packages without the columns import as before.

`cases.fine_json`: the administrative fine of PP 86/2013 (amount, base lines, rate, months, the
parameters with their sources) computed once by the audit for a case whose next step is `denda`,
on the letter date of the run; the letters only render it. NULL for every other case.

Revision ID: 0005
Revises: 0004
"""
import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.add_column(sa.Column("responsible_name", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("responsible_title", sa.Text(), nullable=True))
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("fine_json", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_column("fine_json")
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("responsible_title")
        batch_op.drop_column("responsible_name")
