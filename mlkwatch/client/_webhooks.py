"""Checking that a webhook delivery really comes from Montlake."""

from __future__ import annotations

import hashlib
import hmac

__all__ = ["sign", "verify_signature"]

_HEX_DIGITS = frozenset("0123456789abcdefABCDEF")
_DIGEST_LENGTH = hashlib.sha256().digest_size * 2


def sign(raw_body: bytes, secret: str) -> str:
    """The `Mlk-Signature` Montlake sends for this body: hex HMAC-SHA256.

    Args:
        raw_body: The request body exactly as received.
        secret: The subscription's signing secret.

    Returns:
        The lowercase hex digest.
    """
    return hmac.new(secret.encode(), raw_body, hashlib.sha256).hexdigest()


def verify_signature(raw_body: bytes, signature: str, secret: str) -> bool:
    """Tell whether `signature` is the body's HMAC-SHA256 under `secret`.

    The comparison takes the same time wherever the first difference is, and
    any malformed signature (wrong length, not hex, not ASCII, not even a
    string) is simply a mismatch.

    Args:
        raw_body: The request body exactly as received, before any parsing.
        signature: The `Mlk-Signature` header's value.
        secret: The subscription's signing secret.

    Returns:
        True only for a valid signature.
    """
    if not isinstance(signature, str) or not isinstance(secret, str):
        return False
    if not isinstance(raw_body, bytes | bytearray | memoryview):
        return False
    signature = signature.strip()
    if len(signature) != _DIGEST_LENGTH or not _HEX_DIGITS.issuperset(signature):
        return False
    try:
        expected = sign(bytes(raw_body), secret)
    except UnicodeEncodeError:  # a secret with lone surrogates
        return False
    return hmac.compare_digest(expected, signature.lower())
