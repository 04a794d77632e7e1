"""Moderation event details, rolling-window quota time, cross-platform account links.

Revision ID: 0003
Revises: 0002
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("quota_ledger") as batch_op:
        batch_op.add_column(sa.Column("charged_at", sa.DateTime(), nullable=False, server_default=sa.func.now()))
    with op.batch_alter_table("moderation_events") as batch_op:
        batch_op.add_column(sa.Column("actor_user_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("target_image_idx", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("related_event_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("details", sa.JSON(), nullable=False, server_default="{}"))
        batch_op.create_foreign_key("fk_moderation_actor_user", "users", ["actor_user_id"], ["id"])
        batch_op.create_index("ix_moderation_target_job", ["target_job_id", "target_image_idx"])
    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("code_sha256", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=32), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.Column("used_at", sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("code_sha256"),
    )
    op.create_table(
        "account_links",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("account_id", sa.Integer(), nullable=False),
        sa.Column("from_user_id", sa.Integer(), nullable=False),
        sa.Column("to_user_id", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=16), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["account_id"], ["platform_accounts.id"]),
        sa.ForeignKeyConstraint(["from_user_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["to_user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_account_links_account_id", "account_links", ["account_id"])


def downgrade() -> None:
    op.drop_index("ix_account_links_account_id", table_name="account_links")
    op.drop_table("account_links")
    op.drop_table("link_codes")
    with op.batch_alter_table("moderation_events") as batch_op:
        batch_op.drop_index("ix_moderation_target_job")
        batch_op.drop_constraint("fk_moderation_actor_user", type_="foreignkey")
        for column in ("details", "related_event_id", "target_image_idx", "actor_user_id"):
            batch_op.drop_column(column)
    with op.batch_alter_table("quota_ledger") as batch_op:
        batch_op.drop_column("charged_at")
