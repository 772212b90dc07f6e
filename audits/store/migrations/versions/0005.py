"""documents: responsible person of an employer

`employers.responsible_name` and `employers.responsible_title`: the natural person who answers for
the employer (director, owner), named in every letter and dossier (docs/data-package.md). Both
optional; packages without the columns import as before.

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


def downgrade() -> None:
    with op.batch_alter_table("employers", schema=None) as batch_op:
        batch_op.drop_column("responsible_title")
        batch_op.drop_column("responsible_name")
