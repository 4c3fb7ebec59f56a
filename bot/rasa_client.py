"""HTTP to the Rasa server: its REST channel (`/webhooks/rest/webhook`, the whole dialogue turn)
and its NLU endpoint (`/model/parse`), with one error for every failure."""
from __future__ import annotations

import hashlib
import hmac

import requests
from requests.adapters import HTTPAdapter

WEBHOOK = "/webhooks/rest/webhook"
PARSE = "/model/parse"


def api_token(secret_key: str) -> str:
    """The token of Rasa's HTTP API (`rasa run --enable-api --auth-token`), derived from the
    app's secret key, so every app process and the Rasa that `hotline serve` starts agree."""
    return hmac.new(secret_key.encode(), b"rasa-api", hashlib.sha256).hexdigest()[:32]


class RasaUnavailable(Exception):
    """Rasa did not answer usefully: refused, timed out, an HTTP error or a malformed body."""


class RasaForbidden(RasaUnavailable):
    """Rasa refused the API token (401/403): its HTTP API is not ours to call."""


class RasaClient:
    """A small client of Rasa's REST input channel and NLU endpoint.

    :param base_url: e.g. `http://127.0.0.1:5005` (HOTLINE_RASA_URL).
    :param timeout: seconds to wait for the connection and for the whole answer (HOTLINE_RASA_TIMEOUT).
    :param token: the token of Rasa's HTTP API (`/model/parse` needs it; the webhook does not).
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

    def _post(self, path: str, body: dict, params: dict | None = None):
        try:
            response = self._session.post(
                self.base_url + path, json=body, params=params, timeout=(min(self.timeout, 2.0), self.timeout)
            )
        except requests.RequestException as err:
            raise RasaUnavailable(f"{type(err).__name__}: {err}") from err
        if response.status_code in (401, 403):
            raise RasaForbidden(f"HTTP {response.status_code} from {self.base_url}{path}")
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code} from {self.base_url}{path}")
        try:
            return response.json()
        except ValueError as err:
            raise RasaUnavailable("Rasa answered with a body that is not JSON") from err

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """Send one user message and return the bot messages Rasa produced for it.

        :param sender: the conversation key (Rasa's sender id).
        :param text: the user's words.
        :param metadata: passed to the actions as `tracker.latest_message["metadata"]`.
        :returns: Rasa's messages, in order (`{"recipient_id", "text"}` / `{"recipient_id", "custom"}`).
        :raises RasaUnavailable: on any transport error, timeout, non-200 status or malformed body.
        """
        messages = self._post(WEBHOOK, {"sender": sender, "message": text, "metadata": metadata or {}})
        if not isinstance(messages, list):
            raise RasaUnavailable(f"Rasa answered with {type(messages).__name__}, not a list of messages")
        return [m for m in messages if isinstance(m, dict)]

    def parse(self, text: str) -> tuple[str, float]:
        """Rasa's NLU alone on `text`: no tracker, no dialogue policy, no action.

        :returns: the intent name (`nlu_fallback` below the fallback threshold) and its confidence.
        :raises RasaForbidden: Rasa refused the token.
        :raises RasaUnavailable: on any other failure, or a body without an intent.
        """
        result = self._post(PARSE, {"text": text}, params={"token": self.token} if self.token else None)
        try:
            intent = result["intent"]
            return str(intent["name"]), float(intent.get("confidence") or 0.0)
        except (KeyError, TypeError, ValueError, AttributeError):
            raise RasaUnavailable("Rasa's NLU answered without an intent") from None

    def close(self) -> None:
        self._session.close()
