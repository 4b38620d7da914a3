"""Issued files: the SHA-256 of every certificate PDF the registry wrote (`registry issue`), so
that `greenal verify CERT.pdf` can tell this exact file from a page re-printed around the genuine
embedded document. Rows are audit-chained like the certificates they belong to.

Revision ID: 0004
Revises: 0003
"""
import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

TS = sa.String(32)


def upgrade() -> None:
    op.create_table("issued_files",
                    sa.Column("id", sa.Integer, primary_key=True),
                    sa.Column("certificate_id", sa.Integer, sa.ForeignKey("certificates.id"), nullable=False),
                    sa.Column("kind", sa.String(8), nullable=False),  # pdf
                    sa.Column("lang", sa.String(8), nullable=False),  # zh | en
                    sa.Column("sha256", sa.String(64), nullable=False),  # hex, of the file's exact bytes
                    sa.Column("bytes", sa.Integer, nullable=False),  # the file's size
                    sa.Column("written_at", TS, nullable=False),
                    sa.Column("actor", sa.String(200), nullable=False),
                    sa.UniqueConstraint("certificate_id", "sha256"))
    op.create_index("ix_issued_files_sha256", "issued_files", ["sha256"])


def downgrade() -> None:
    op.drop_index("ix_issued_files_sha256", "issued_files")
    op.drop_table("issued_files")
