"""Service tables: web log-in for registry users, PACT API clients, published PACT footprints,
PACT events and the service's shared settings (so that several stateless workers agree).

Revision ID: 0002
Revises: 0001
"""
import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.String(32)


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("password_hash", sa.String(300)))  # scrypt; None: no web log-in
        batch.add_column(sa.Column("role", sa.String(16)))  # producer | verifier | admin
    op.create_table("api_clients",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("client_id", sa.String(100), nullable=False, unique=True),
                    sa.Column("secret_hash", sa.String(300), nullable=False),
                    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
                    sa.Column("created", TS, nullable=False),
                    sa.Column("revoked", TS))
    op.create_table("published_footprints",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("pf_id", sa.String(36), nullable=False, unique=True),  # PACT ProductFootprint.id
                    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id")),
                    sa.Column("source", sa.String(16), nullable=False),  # certificate | shipment | product
                    sa.Column("source_ref", sa.String(200), nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),  # Active | Deprecated
                    sa.Column("product_ids", sa.Text, nullable=False),  # JSON list (ListFootprints filters)
                    sa.Column("company_ids", sa.Text, nullable=False),  # JSON list
                    sa.Column("geography", sa.Text, nullable=False),  # JSON list of codes
                    sa.Column("classifications", sa.Text, nullable=False),  # JSON list
                    sa.Column("valid_from", TS),
                    sa.Column("valid_until", TS),
                    sa.Column("document", sa.Text, nullable=False),  # the ProductFootprint JSON
                    sa.Column("created", TS, nullable=False))
    op.create_table("pact_events",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("event_id", sa.String(100), nullable=False),
                    sa.Column("client_id", sa.String(100), nullable=False),
                    sa.Column("type", sa.String(200), nullable=False),
                    sa.Column("body", sa.Text, nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),  # received | fulfilled | rejected
                    sa.Column("response", sa.Text),
                    sa.Column("created", TS, nullable=False),
                    sa.UniqueConstraint("client_id", "event_id"))
    op.create_table("service_settings",
                    sa.Column("name", sa.String(64), primary_key=True),
                    sa.Column("value", sa.Text, nullable=False))


def downgrade() -> None:
    for table in ("service_settings", "pact_events", "published_footprints", "api_clients"):
        op.drop_table(table)
    with op.batch_alter_table("users") as batch:
        batch.drop_column("role")
        batch.drop_column("password_hash")
