"""Registry tables (SQLAlchemy 2). The schema itself is created by the Alembic migrations in
`migrations/`; these classes only map it. Timestamps are ISO 8601 UTC text ('…Z') so that rows
read the same, byte for byte, on SQLite and PostgreSQL (the audit chain hashes them)."""
from __future__ import annotations

from sqlalchemy import Float, ForeignKey, Integer, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    pass


def chars(attribute) -> int:
    """The most characters a String column holds, e.g. chars(Organisation.name): PostgreSQL refuses
    a longer value (SQLite stores it), so inputs are checked against it first."""
    return attribute.property.columns[0].type.length


class Organisation(Base):
    __tablename__ = "organisations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(300))
    uscc: Mapped[str | None] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # producer | verifier
    created: Mapped[str] = mapped_column(String(32))


class User(Base):
    __tablename__ = "users"
    __table_args__ = (UniqueConstraint("organisation_id", "name"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    name: Mapped[str] = mapped_column(String(200))
    created: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str | None] = mapped_column(String(300))  # web log-in (scrypt); None: none
    role: Mapped[str | None] = mapped_column(String(16))  # producer | verifier | admin


class SigningKey(Base):
    """A verifier's registered Ed25519 public key (raw 32 bytes, hex)."""
    __tablename__ = "signing_keys"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    key_id: Mapped[str] = mapped_column(String(64), unique=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    public_key_hex: Mapped[str] = mapped_column(String(64), unique=True)
    created: Mapped[str] = mapped_column(String(32))


class Declaration(Base):
    """One organisation's declaration of one product for one period; its files are versions."""
    __tablename__ = "declarations"
    __table_args__ = (UniqueConstraint("organisation_id", "product", "period_start", "period_end"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    organisation_id: Mapped[int] = mapped_column(ForeignKey("organisations.id"))
    product: Mapped[str] = mapped_column(String(32))
    period_start: Mapped[str] = mapped_column(String(10))
    period_end: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))  # submitted | approved | rejected | issued
    reason: Mapped[str | None] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(32))


class DeclarationVersion(Base):
    __tablename__ = "declaration_versions"
    __table_args__ = (UniqueConstraint("declaration_id", "number"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    number: Mapped[int] = mapped_column(Integer)
    file_name: Mapped[str] = mapped_column(String(300))
    content: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    toolkit_version: Mapped[str] = mapped_column(String(64))
    data_version: Mapped[str] = mapped_column(String(64))
    gwp: Mapped[str] = mapped_column(String(8))
    results_json: Mapped[str] = mapped_column(Text)  # canonical JSON (RFC 8785)
    verdicts_json: Mapped[str] = mapped_column(Text)
    evidence_json: Mapped[str] = mapped_column(Text)  # {field path: evidence reference}
    created: Mapped[str] = mapped_column(String(32))


class Claim(Base):
    """An energy-attribute certificate serial range claimed by a declaration. `number_from` and
    `number_to` are the serials' trailing digits, zero-padded to 40 characters so that text
    order is numeric order on every backend; `prefix` is the normalised rest of the serial."""
    __tablename__ = "claims"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    declaration_id: Mapped[int] = mapped_column(ForeignKey("declarations.id"))
    scheme: Mapped[str] = mapped_column(String(32))
    prefix: Mapped[str] = mapped_column(String(64))
    number_from: Mapped[str] = mapped_column(String(40))
    number_to: Mapped[str] = mapped_column(String(40))
    serial_from: Mapped[str] = mapped_column(String(100))
    serial_to: Mapped[str] = mapped_column(String(100))
    mwh: Mapped[float] = mapped_column(Float)
    vintage: Mapped[str] = mapped_column(String(7))  # "YYYY" or "YYYY-MM"
    technology: Mapped[str] = mapped_column(String(32))
    region: Mapped[str] = mapped_column(String(16))


class Certificate(Base):
    """A signed green-aluminium certificate: `document` is its exact canonical JSON bytes."""
    __tablename__ = "certificates"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[str] = mapped_column(String(64), unique=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("declaration_versions.id"), unique=True)
    key_id: Mapped[str] = mapped_column(String(64))
    document: Mapped[bytes] = mapped_column(LargeBinary)
    sha256: Mapped[str] = mapped_column(String(64))
    verification_code: Mapped[str] = mapped_column(String(32))
    valid_from: Mapped[str] = mapped_column(String(10))
    valid_until: Mapped[str] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(16))  # approved | issued | revoked
    created: Mapped[str] = mapped_column(String(32))


class Revocation(Base):
    __tablename__ = "revocations"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(32))


class IssuedFile(Base):
    """A file the registry wrote for a certificate (migration 0004): the SHA-256 of its exact bytes,
    so `greenal verify` tells an issued PDF from one re-made around the genuine signed document."""
    __tablename__ = "issued_files"
    __table_args__ = (UniqueConstraint("certificate_id", "sha256"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    certificate_id: Mapped[int] = mapped_column(ForeignKey("certificates.id"))
    kind: Mapped[str] = mapped_column(String(8))  # pdf
    lang: Mapped[str] = mapped_column(String(8))  # zh | en
    sha256: Mapped[str] = mapped_column(String(64), index=True)  # hex
    bytes: Mapped[int] = mapped_column(Integer)
    written_at: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))


class AuditEntry(Base):
    """Append-only, hash-chained: hash = SHA-256 of the canonical entry including prev_hash."""
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created: Mapped[str] = mapped_column(String(32))
    actor: Mapped[str] = mapped_column(String(200))
    action: Mapped[str] = mapped_column(String(32))
    table_name: Mapped[str] = mapped_column(String(32))
    row_id: Mapped[int] = mapped_column(Integer)
    row_hash: Mapped[str | None] = mapped_column(String(64))  # None: the row was deleted
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64), unique=True)


class ApiClient(Base):
    """A PACT API client (OAuth2 client credentials); only the secret's hash is stored."""
    __tablename__ = "api_clients"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    client_id: Mapped[str] = mapped_column(String(100), unique=True)
    secret_hash: Mapped[str] = mapped_column(String(300))
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    created: Mapped[str] = mapped_column(String(32))
    revoked: Mapped[str | None] = mapped_column(String(32))
    # Where PACT events are answered (migration 0003): the recipient's /3/events and the client
    # credentials greenal uses at the recipient's /auth/token.
    events_url: Mapped[str | None] = mapped_column(String(500))
    callback_token_url: Mapped[str | None] = mapped_column(String(500))
    callback_client_id: Mapped[str | None] = mapped_column(String(200))
    callback_secret: Mapped[str | None] = mapped_column(Text)


class PublishedFootprint(Base):
    """A PACT v3 ProductFootprint served by the API (an issued certificate's or a shipment's)."""
    __tablename__ = "published_footprints"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    pf_id: Mapped[str] = mapped_column(String(36), unique=True)
    organisation_id: Mapped[int | None] = mapped_column(ForeignKey("organisations.id"))
    source: Mapped[str] = mapped_column(String(16))  # certificate | shipment | product
    source_ref: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # Active | Deprecated
    product_ids: Mapped[str] = mapped_column(Text)  # JSON list
    company_ids: Mapped[str] = mapped_column(Text)  # JSON list
    geography: Mapped[str] = mapped_column(Text)  # JSON list
    classifications: Mapped[str] = mapped_column(Text)  # JSON list
    valid_from: Mapped[str | None] = mapped_column(String(32))
    valid_until: Mapped[str | None] = mapped_column(String(32))
    document: Mapped[str] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(32))


class PactEvent(Base):
    __tablename__ = "pact_events"
    __table_args__ = (UniqueConstraint("client_id", "event_id"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(100))
    client_id: Mapped[str] = mapped_column(String(100))
    type: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # received | fulfilled | rejected
    response: Mapped[str | None] = mapped_column(Text)
    created: Mapped[str] = mapped_column(String(32))
    delivered: Mapped[str | None] = mapped_column(String(32))  # the answer reached the recipient (0003)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class AuthFailure(Base):
    """A failed client authentication at /auth/token or web log-in (rate limits shared by every worker; 0003)."""
    __tablename__ = "auth_failures"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    source: Mapped[str] = mapped_column(String(64))
    created: Mapped[str] = mapped_column(String(32))


class ServiceSetting(Base):
    """Settings every worker reads (e.g. the token-signing secret), so workers stay stateless."""
    __tablename__ = "service_settings"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(Text)


# Audit-chained (greenal.registry.audit), in foreign-key order. issued_files (0004) is a new table,
# so no row audited before it changes hash (audit.LATER_COLUMNS is for columns added to old tables).
TRACKED = (Organisation, User, SigningKey, Declaration, DeclarationVersion, Claim, Certificate, Revocation,
           IssuedFile)
# Exported and imported, in foreign-key order. Left out: service_settings (the service's signing
# secrets: a restored registry makes new ones, so old sessions and tokens end) and auth_failures.
TABLES = TRACKED + (AuditEntry, ApiClient, PublishedFootprint, PactEvent)
