"""The certifier desk: a registry of declarations, claimed energy-attribute certificates, signed
green-aluminium certificates and revocations, with a hash-chained audit log (issue 9).

Python API (the CLI's `greenal registry …`, `greenal keys new` and `greenal verify` call only these):
    init, add_organisation, add_key, submit, list_declarations, show, review, approve, reject,
    issue, revoke, export, import_, check, new_key_pair, verify, verification_failure.
Every function takes `db` (URL; default GREENAL_DB, then an SQLite file in greenal's data dir)
and `data_dir`.
"""
from greenal.registry.integrity import check, export, import_
from greenal.registry.service import (add_key, add_organisation, approve, init, issue, list_declarations, record,
                                      reject, review, revoke, show, submit)
from greenal.registry.submission import prepare
from greenal.registry.signing import new_key_pair
from greenal.registry.verify import failure as verification_failure
from greenal.registry.verify import verify

__all__ = ["add_key", "add_organisation", "approve", "check", "export", "import_", "init", "issue",
           "list_declarations", "new_key_pair", "prepare", "record", "reject", "review", "revoke", "show", "submit",
           "verification_failure", "verify"]
