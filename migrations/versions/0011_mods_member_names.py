"""platform_accounts.display_name and .username (moderators read names and ban by @username),
deliveries.pictures (which pictures a public post showed, so a decision edits only its own picture), and one report
per member per picture (a partial unique index; earlier repeats are kept as ``report_repeat``).

Revision ID: 0011
Revises: 0010
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | Sequence[str] | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("platform_accounts") as batch_op:
        batch_op.add_column(sa.Column("display_name", sa.String(length=200), nullable=True))
        batch_op.add_column(sa.Column("username", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_platform_accounts_username", ["username"])
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.add_column(sa.Column("pictures", sa.JSON(), nullable=False, server_default="[]"))
    op.execute("UPDATE moderation_events SET action = 'report_repeat' WHERE action = 'report' AND id NOT IN "
               "(SELECT MIN(id) FROM moderation_events WHERE action = 'report' "
               "GROUP BY actor_user_id, target_job_id, target_image_idx)")
    op.create_index("uq_moderation_one_report", "moderation_events",
                    ["actor_user_id", "target_job_id", "target_image_idx"], unique=True,
                    sqlite_where=sa.text("action = 'report'"), postgresql_where=sa.text("action = 'report'"))


def downgrade() -> None:
    op.drop_index("uq_moderation_one_report", table_name="moderation_events")
    with op.batch_alter_table("deliveries") as batch_op:
        batch_op.drop_column("pictures")
    with op.batch_alter_table("platform_accounts") as batch_op:
        batch_op.drop_index("ix_platform_accounts_username")
        batch_op.drop_column("username")
        batch_op.drop_column("display_name")
