"""HTTP to Rasa's NLU endpoint (`/model/parse`), with one error for every failure.

Rasa serves only NLU: the dialogue is the app's (`bot.dialogue`). Rasa's HTTP API takes its
token as a query parameter, so no error message or log line here ever carries a URL.
"""
from __future__ import annotations

import hashlib
import hmac

import requests
from requests.adapters import HTTPAdapter

PARSE = "/model/parse"


def api_token(secret_key: str) -> str:
    """The token of Rasa's HTTP API, derived from the app's secret key, so every app process and
    the Rasa that `hotline serve` starts agree."""
    return hmac.new(secret_key.encode(), b"rasa-api", hashlib.sha256).hexdigest()[:32]


class RasaUnavailable(Exception):
    """Rasa did not answer usefully: refused, timed out, an HTTP error or a malformed body."""


class RasaForbidden(RasaUnavailable):
    """Rasa refused the API token (401/403): its HTTP API is not ours to call."""


class RasaClient:
    """A small client of Rasa's NLU endpoint.

    :param base_url: e.g. `http://127.0.0.1:5005` (HOTLINE_RASA_URL).
    :param timeout: seconds to wait for the connection and for the whole answer (HOTLINE_RASA_TIMEOUT).
    :param token: the token of Rasa's HTTP API.
    :raises ValueError: a timeout that is not positive.
    """

    def __init__(self, base_url: str, timeout: float = 3.0, pool_size: int = 32, token: str | None = None):
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than 0, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self.token = token
        self._session = requests.Session()
        self._session.trust_env = False  # Rasa is reached directly: no proxy lookup per request
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def parse(self, text: str) -> tuple[str, float]:
        """Rasa's NLU on `text`.

        :returns: the intent name (`nlu_fallback` below the fallback threshold) and its confidence.
        :raises RasaForbidden: Rasa refused the token.
        :raises RasaUnavailable: on any other failure, or a body without an intent.
        """
        try:
            response = self._session.post(
                self.base_url + PARSE,
                json={"text": text},
                params={"token": self.token} if self.token else None,
                timeout=(min(self.timeout, 2.0), self.timeout),
            )
        except requests.RequestException as err:
            # The exception's text names the URL, token included: say only what happened.
            raise RasaUnavailable(f"{type(err).__name__} calling {PARSE}") from None
        if response.status_code in (401, 403):
            raise RasaForbidden(f"HTTP {response.status_code} from {PARSE}")
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code} from {PARSE}")
        try:
            intent = response.json()["intent"]
            return str(intent["name"]), float(intent.get("confidence") or 0.0)
        except (ValueError, KeyError, TypeError, AttributeError):
            raise RasaUnavailable(f"{PARSE} answered without an intent") from None

    def close(self) -> None:
        self._session.close()
