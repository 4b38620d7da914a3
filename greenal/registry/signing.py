"""Ed25519 verifier keys: make a pair, load the private half, sign and verify.

Private keys are PKCS#8 PEM files written with mode 0600 and never printed; a private key file
readable by others is refused, as ssh does. Public keys travel as 64 hex digits (raw 32 bytes).
"""
from __future__ import annotations

import hashlib
import os
import stat
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from greenal.errors import InputError

MAX_KEY_BYTES = 10_000


def key_id(public_key_hex: str) -> str:
    """Short name of a public key: the first 16 hex digits of the SHA-256 of its raw bytes."""
    return hashlib.sha256(bytes.fromhex(public_key_hex)).hexdigest()[:16]


def public_hex(private: Ed25519PrivateKey) -> str:
    return private.public_key().public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw).hex()


def new_key_pair(directory: Path, name: str) -> dict:
    """Write NAME.key (private, 0600) and NAME.pub (public hex) into `directory`; never overwrite."""
    if not name or any(c in name for c in "/\\\0") or name.startswith("."):
        raise InputError("command line", "--name", name, "a plain file name for the key pair")
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    private = Ed25519PrivateKey.generate()
    pem = private.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                serialization.NoEncryption())
    key_path, pub_path = directory / f"{name}.key", directory / f"{name}.pub"
    for path in (key_path, pub_path):
        if path.exists():
            raise InputError(str(path), "file", path.name, "a new file name (keys are never overwritten)")
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        os.fchmod(fd, 0o600)  # whatever the umask
        os.write(fd, pem)
    finally:
        os.close(fd)
    public = public_hex(private)
    pub_path.write_text(public + "\n", encoding="ascii")
    return {"private_key": str(key_path), "public_key": str(pub_path), "key_id": key_id(public),
            "public_key_hex": public}


def load_private(path) -> Ed25519PrivateKey:
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "--key", str(path), "an existing private key file (greenal keys new)")
    mode = stat.S_IMODE(path.stat().st_mode)
    if mode & 0o077:
        raise InputError(str(path), "file mode", oct(mode), "0600: a private key readable by others is refused "
                         f"(chmod 600 {path})")
    data = path.read_bytes()
    if len(data) > MAX_KEY_BYTES:
        raise InputError(str(path), "file", f"{len(data)} bytes", "an Ed25519 private key (PEM)")
    try:
        key = serialization.load_pem_private_key(data, password=None)
    except (ValueError, TypeError):
        key = None
    if not isinstance(key, Ed25519PrivateKey):
        raise InputError(str(path), "--key", path.name, "an unencrypted Ed25519 private key in PEM (greenal keys new)")
    return key


def read_public(path) -> str:
    """A public key file's 64 hex digits."""
    path = Path(path)
    if not path.is_file():
        raise InputError(str(path), "public key", str(path), "an existing .pub file (greenal keys new)")
    text = path.read_text(encoding="ascii", errors="replace").strip()[:200]
    if len(text) != 64 or any(c not in "0123456789abcdef" for c in text):
        raise InputError(str(path), "public key", text[:20], "64 lowercase hex digits (an Ed25519 public key)")
    return text


def sign(private: Ed25519PrivateKey, data: bytes) -> str:
    return private.sign(data).hex()


def verify(public_key_hex: str, data: bytes, signature_hex: str) -> bool:
    """True when the signature is valid; hex must be in its one canonical (lowercase) form."""
    try:
        signature = bytes.fromhex(signature_hex)
        public = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
    except (ValueError, TypeError):
        return False
    if signature.hex() != signature_hex or len(signature) != 64:
        return False
    try:
        public.verify(signature, data)
    except InvalidSignature:
        return False
    return True
