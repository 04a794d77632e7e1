"""images.mark_id and images.mark_status: the invisible provenance mark each delivered picture carries (its id, unique,
so /verify finds the job), or that no mark could be embedded.

Revision ID: 0010
Revises: 0009
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | Sequence[str] | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.add_column(sa.Column("mark_id", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("mark_status", sa.String(length=16), nullable=True))
        batch_op.create_unique_constraint("uq_image_mark_id", ["mark_id"])


def downgrade() -> None:
    with op.batch_alter_table("images") as batch_op:
        batch_op.drop_constraint("uq_image_mark_id", type_="unique")
        batch_op.drop_column("mark_status")
        batch_op.drop_column("mark_id")
