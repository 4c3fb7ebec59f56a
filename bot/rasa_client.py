"""HTTP to the Rasa server's REST channel (`/webhooks/rest/webhook`), with one error for every failure."""
from __future__ import annotations

import requests
from requests.adapters import HTTPAdapter

WEBHOOK = "/webhooks/rest/webhook"


class RasaUnavailable(Exception):
    """Rasa did not answer usefully: refused, timed out, an HTTP error or a body that is not a list."""


class RasaClient:
    """A small client of Rasa's REST input channel.

    :param base_url: e.g. `http://127.0.0.1:5005` (HOTLINE_RASA_URL).
    :param timeout: seconds to wait for the connection and for the whole answer (HOTLINE_RASA_TIMEOUT).
    :raises ValueError: a timeout that is not positive.
    """

    def __init__(self, base_url: str, timeout: float = 3.0, pool_size: int = 32):
        if timeout <= 0:
            raise ValueError(f"timeout must be greater than 0, got {timeout}")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = requests.Session()
        adapter = HTTPAdapter(pool_connections=1, pool_maxsize=pool_size, max_retries=0)
        self._session.mount("http://", adapter)
        self._session.mount("https://", adapter)

    def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
        """Send one user message and return the bot messages Rasa produced for it.

        :param sender: the conversation key (Rasa's sender id).
        :param text: the user's words.
        :param metadata: passed to the actions as `tracker.latest_message["metadata"]`.
        :returns: Rasa's messages, in order (`{"recipient_id", "text"}` / `{"recipient_id", "custom"}`).
        :raises RasaUnavailable: on any transport error, timeout, non-200 status or malformed body.
        """
        body = {"sender": sender, "message": text, "metadata": metadata or {}}
        try:
            response = self._session.post(
                self.base_url + WEBHOOK, json=body, timeout=(min(self.timeout, 2.0), self.timeout)
            )
        except requests.RequestException as err:
            raise RasaUnavailable(f"{type(err).__name__}: {err}") from err
        if response.status_code != 200:
            raise RasaUnavailable(f"HTTP {response.status_code} from {self.base_url}{WEBHOOK}")
        try:
            messages = response.json()
        except ValueError as err:
            raise RasaUnavailable("Rasa answered with a body that is not JSON") from err
        if not isinstance(messages, list):
            raise RasaUnavailable(f"Rasa answered with {type(messages).__name__}, not a list of messages")
        return [m for m in messages if isinstance(m, dict)]

    def close(self) -> None:
        self._session.close()
