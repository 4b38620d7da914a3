"""PACT events answered to the data recipient: each API client's events endpoint and the
credentials greenal uses there; each answered event's delivery state; failed log-ins at
/auth/token (rate limit shared by every worker).

Revision ID: 0003
Revises: 0002
"""
import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

TS = sa.String(32)


def upgrade() -> None:
    with op.batch_alter_table("api_clients") as batch:
        batch.add_column(sa.Column("events_url", sa.String(500)))  # the recipient's /3/events (https)
        batch.add_column(sa.Column("callback_token_url", sa.String(500)))  # the recipient's /auth/token
        batch.add_column(sa.Column("callback_client_id", sa.String(200)))
        batch.add_column(sa.Column("callback_secret", sa.Text))  # needed in clear to authenticate there
    with op.batch_alter_table("pact_events") as batch:
        batch.add_column(sa.Column("delivered", TS))  # when the answer reached the recipient; None: not yet
        batch.add_column(sa.Column("attempts", sa.Integer, nullable=False, server_default="0"))
    op.create_table("auth_failures",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("source", sa.String(64), nullable=False),  # client address
                    sa.Column("created", TS, nullable=False))
    op.create_index("ix_auth_failures_source_created", "auth_failures", ["source", "created"])


def downgrade() -> None:
    op.drop_index("ix_auth_failures_source_created", "auth_failures")
    op.drop_table("auth_failures")
    with op.batch_alter_table("pact_events") as batch:
        batch.drop_column("attempts")
        batch.drop_column("delivered")
    with op.batch_alter_table("api_clients") as batch:
        for column in ("callback_secret", "callback_client_id", "callback_token_url", "events_url"):
            batch.drop_column(column)
