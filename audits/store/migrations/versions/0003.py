"""lifecycle: actions, reviews, audit log, run metadata (placeholder: filled in by the work that needs it)

Revision ID: 0003
Revises: 0002
"""
revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
