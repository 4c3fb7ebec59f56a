"""Pseudonymous ids: a keyed hash (HMAC-SHA256) of channel + user id, never the raw openid or phone.

The key is derived from `HOTLINE_SECRET_KEY` (generated and kept under var/ when unset), so every
app process behind a load balancer gives the same person the same pseudonym, and nobody without
the secret can test a guessed phone number against the log.
"""
from __future__ import annotations

import hashlib
import hmac

_DERIVATION_LABEL = b"hotline12333/hotspot-log/pseudonym/v1"


class Pseudonymizer:
    """Turns raw user ids into stable pseudonyms.

    :param secret: the application secret; the HMAC key is derived from it, so the secret itself
        never keys anything stored.
    :raises ValueError: the secret is empty.
    """

    def __init__(self, secret: str):
        if not secret:
            raise ValueError("a non-empty secret is required to pseudonymise user ids")
        self._key = hmac.new(secret.encode("utf-8"), _DERIVATION_LABEL, hashlib.sha256).digest()

    def user(self, channel: str, user_id: str) -> str:
        """The pseudonym of one user on one channel.

        :param channel: the channel slug (`wechat`, `web`, `api`, `ivr`, …).
        :param user_id: the raw id as the channel knows it.
        :returns: 64 hex characters, the same for the same channel and id.
        """
        message = f"{channel}\x1f{user_id}".encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()

    def phone(self, number: str) -> str:
        """The pseudonym of a phone number, whatever channel it came from (digits only are hashed)."""
        digits = "".join(ch for ch in str(number) if ch.isdigit())
        if digits.startswith("86") and len(digits) == 13:
            digits = digits[2:]
        return self.user("phone", digits)


def phone_tail(number: str) -> str:
    """The last four digits of a phone number, shown to staff as ``尾号1234``; empty if too short."""
    digits = "".join(ch for ch in str(number) if ch.isdigit())
    return digits[-4:] if len(digits) >= 7 else ""
