"""Canonical JSON (RFC 8785, JSON Canonicalization Scheme): the exact bytes that are hashed and signed."""
from __future__ import annotations

import hashlib

import rfc8785


def canonical(value) -> bytes:
    """RFC 8785 bytes: sorted keys, no whitespace, ECMAScript number form, UTF-8."""
    return rfc8785.dumps(value)


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def digest(value) -> str:
    return sha256_hex(canonical(value))
