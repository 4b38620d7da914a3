"""Initial registry schema: organisations, users, keys, declarations and versions, claims,
certificates, revocations and the hash-chained audit log (append-only by trigger).

Revision ID: 0001
Revises:
"""
import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.String(32)


def upgrade() -> None:
    op.create_table("organisations",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("name", sa.String(300), nullable=False),
                    sa.Column("uscc", sa.String(32), unique=True),
                    sa.Column("kind", sa.String(16), nullable=False),
                    sa.Column("created", TS, nullable=False))
    op.create_table("users",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
                    sa.Column("name", sa.String(200), nullable=False),
                    sa.Column("created", TS, nullable=False),
                    sa.UniqueConstraint("organisation_id", "name"))
    op.create_table("signing_keys",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("key_id", sa.String(64), nullable=False, unique=True),
                    sa.Column("user_id", sa.Integer, sa.ForeignKey("users.id"), nullable=False),
                    sa.Column("public_key_hex", sa.String(64), nullable=False, unique=True),
                    sa.Column("created", TS, nullable=False))
    op.create_table("declarations",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("organisation_id", sa.Integer, sa.ForeignKey("organisations.id"), nullable=False),
                    sa.Column("product", sa.String(32), nullable=False),
                    sa.Column("period_start", sa.String(10), nullable=False),
                    sa.Column("period_end", sa.String(10), nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("reason", sa.Text),
                    sa.Column("created", TS, nullable=False),
                    sa.UniqueConstraint("organisation_id", "product", "period_start", "period_end"))
    op.create_table("declaration_versions",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("declaration_id", sa.Integer, sa.ForeignKey("declarations.id"), nullable=False),
                    sa.Column("number", sa.Integer, nullable=False),
                    sa.Column("file_name", sa.String(300), nullable=False),
                    sa.Column("content", sa.LargeBinary, nullable=False),
                    sa.Column("sha256", sa.String(64), nullable=False),
                    sa.Column("toolkit_version", sa.String(64), nullable=False),
                    sa.Column("data_version", sa.String(64), nullable=False),
                    sa.Column("gwp", sa.String(8), nullable=False),
                    sa.Column("results_json", sa.Text, nullable=False),
                    sa.Column("verdicts_json", sa.Text, nullable=False),
                    sa.Column("evidence_json", sa.Text, nullable=False),
                    sa.Column("created", TS, nullable=False),
                    sa.UniqueConstraint("declaration_id", "number"))
    op.create_table("claims",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("declaration_id", sa.Integer, sa.ForeignKey("declarations.id"), nullable=False),
                    sa.Column("scheme", sa.String(32), nullable=False),
                    sa.Column("prefix", sa.String(64), nullable=False),
                    sa.Column("number_from", sa.String(40), nullable=False),
                    sa.Column("number_to", sa.String(40), nullable=False),
                    sa.Column("serial_from", sa.String(100), nullable=False),
                    sa.Column("serial_to", sa.String(100), nullable=False),
                    sa.Column("mwh", sa.Float, nullable=False),
                    sa.Column("vintage", sa.String(7), nullable=False),
                    sa.Column("technology", sa.String(32), nullable=False),
                    sa.Column("region", sa.String(16), nullable=False))
    op.create_index("ix_claims_range", "claims", ["scheme", "prefix", "number_from"])
    op.create_table("certificates",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("number", sa.String(64), nullable=False, unique=True),
                    sa.Column("version_id", sa.Integer, sa.ForeignKey("declaration_versions.id"), nullable=False,
                              unique=True),
                    sa.Column("key_id", sa.String(64), nullable=False),
                    sa.Column("document", sa.LargeBinary, nullable=False),
                    sa.Column("sha256", sa.String(64), nullable=False),
                    sa.Column("verification_code", sa.String(32), nullable=False),
                    sa.Column("valid_from", sa.String(10), nullable=False),
                    sa.Column("valid_until", sa.String(10), nullable=False),
                    sa.Column("status", sa.String(16), nullable=False),
                    sa.Column("created", TS, nullable=False))
    op.create_table("revocations",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("certificate_id", sa.Integer, sa.ForeignKey("certificates.id"), nullable=False,
                              unique=True),
                    sa.Column("reason", sa.Text, nullable=False),
                    sa.Column("created", TS, nullable=False))
    op.create_table("audit_log",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("created", TS, nullable=False),
                    sa.Column("actor", sa.String(200), nullable=False),
                    sa.Column("action", sa.String(32), nullable=False),
                    sa.Column("table_name", sa.String(32), nullable=False),
                    sa.Column("row_id", sa.Integer, nullable=False),
                    sa.Column("row_hash", sa.String(64)),
                    sa.Column("prev_hash", sa.String(64), nullable=False),
                    sa.Column("hash", sa.String(64), nullable=False, unique=True))
    # Append-only: the database itself refuses UPDATE and DELETE on the audit log.
    if op.get_bind().dialect.name == "postgresql":
        op.execute("CREATE FUNCTION greenal_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS "
                   "$$BEGIN RAISE EXCEPTION 'audit_log is append-only'; END$$")
        op.execute("CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log "
                   "FOR EACH ROW EXECUTE FUNCTION greenal_audit_append_only()")
    else:
        for event in ("UPDATE", "DELETE"):
            op.execute(f"CREATE TRIGGER audit_log_no_{event.lower()} BEFORE {event} ON audit_log "
                       "BEGIN SELECT RAISE(ABORT, 'audit_log is append-only'); END")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION greenal_audit_append_only()")
    for table in ("audit_log", "revocations", "certificates", "claims", "declaration_versions", "declarations",
                  "signing_keys", "users", "organisations"):
        op.drop_table(table)
