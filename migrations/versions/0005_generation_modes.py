"""Generation modes: job kind (txt2img, img2img, inpaint, upscale), sampler, style, input picture, mask, strength.

Revision ID: 0005
Revises: 0004
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

COLUMNS = ("upscale_factor", "strength", "mask_box", "input_path", "style", "sampler", "kind")


def upgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        batch_op.add_column(sa.Column("kind", sa.String(length=16), nullable=False, server_default="txt2img"))
        batch_op.add_column(sa.Column("sampler", sa.String(length=16), nullable=False, server_default="default"))
        batch_op.add_column(sa.Column("style", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("input_path", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("mask_box", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("strength", sa.Float(), nullable=True))
        batch_op.add_column(sa.Column("upscale_factor", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("jobs") as batch_op:
        for column in COLUMNS:
            batch_op.drop_column(column)
