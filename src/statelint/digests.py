"""The two hash functions statelint keys things by, without loading OpenSSL.

:mod:`hashlib` loads OpenSSL's libcrypto as it is imported, which costs a
pre-commit run about 4 ms. CPython's own implementations of BLAKE2b and SHA-256
(the modules hashlib itself falls back on) give the same digests.
"""

from __future__ import annotations

try:
    from _blake2 import blake2b
except ImportError:  # pragma: no cover - an interpreter without CPython's own modules
    from hashlib import blake2b

try:
    from _sha2 import sha256  # Python 3.12 and later
except ImportError:
    try:
        from _sha256 import sha256  # Python 3.11
    except ImportError:  # pragma: no cover
        from hashlib import sha256

__all__ = ["blake2b", "sha256"]
