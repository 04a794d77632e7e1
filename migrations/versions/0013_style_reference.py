"""jobs.style_image_path and jobs.style_strength: a style reference picture (IP-Adapter) and its scale.

Revision ID: 0013
Revises: 0012
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | Sequence[str] | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("style_image_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("style_strength", sa.Float(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.drop_column("style_strength")
        batch_op.drop_column("style_image_path")
