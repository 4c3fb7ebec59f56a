"""Phone numbers kept for a callback, encrypted at rest (Fernet, key derived from the app secret).

The log keeps only a keyed hash and the last four digits of a number; a callback needs the whole
number, so the callback desk stores it encrypted and decrypts it only for staff allowed to call
back (`bot.handoff.CALLBACK_ROLE`).
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import re

from cryptography.fernet import Fernet, InvalidToken

_DERIVATION_LABEL = b"hotline12333/callback-number/v1"
# A number a citizen leaves for a callback: a mobile, or a landline with or without area code.
PHONE_IN_TEXT = re.compile(r"(?<![0-9])(1[3-9]\d{9}|0\d{2,3}[\s-]?\d{7,8}|\d{7,8})(?![0-9])")


class NumberCipher:
    """Encrypts and decrypts phone numbers.

    :param secret: the application secret (HOTLINE_SECRET_KEY).
    :raises ValueError: the secret is empty.
    """

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("a non-empty secret is required to encrypt numbers")
        key = hmac.new(secret.encode("utf-8"), _DERIVATION_LABEL, hashlib.sha256).digest()
        self._fernet = Fernet(base64.urlsafe_b64encode(key))

    def encrypt(self, number: str) -> str | None:
        """The number's digits (and a leading +), encrypted; None when there is no digit."""
        cleaned = "".join(ch for ch in str(number or "") if ch.isdigit() or ch == "+")
        if not any(ch.isdigit() for ch in cleaned):
            return None
        return self._fernet.encrypt(cleaned.encode("ascii")).decode("ascii")

    def decrypt(self, token: str | None) -> str:
        """The number, or "" when there is none or it was encrypted under another secret."""
        if not token:
            return ""
        try:
            return self._fernet.decrypt(token.encode("ascii")).decode("ascii")
        except (InvalidToken, ValueError):
            return ""


def find_phone(text: str) -> str:
    """The first phone number in a citizen's message ("" when none)."""
    match = PHONE_IN_TEXT.search(text or "")
    return re.sub(r"[\s-]", "", match.group(1)) if match else ""
