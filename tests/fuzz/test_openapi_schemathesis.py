"""schemathesis against the live `/api/openapi.json`, through its Python API: for every operation of
the document, generated valid (positive) and invalid (negative) requests, each response checked
against the document (status codes, content types, headers, body schemas), plus no 5xx, invalid
data rejected and valid data accepted. The number of examples is bounded so the suite stays fast.

(schemathesis' own pytest integration, `schemathesis.pytest.from_fixture`, does not run on
pytest 9; the strategies it builds on are public, so they drive a plain hypothesis test here.)
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import GenerationMode

from tests.fuzz.conftest import FUZZ_SETTINGS, assert_error_shape

EXAMPLES = 40


@pytest.fixture(scope="session")
def api_schema(fuzz_system):
    """The document as the running app serves it; generated requests go to the same server."""
    return schemathesis.openapi.from_url(fuzz_system.url + "/api/openapi.json", timeout=30)


def operations(schema) -> list:
    found = [result.ok() for result in schema.get_all_operations()]
    assert found, "the document describes no operation"
    return found


def test_the_document_describes_chat_and_feedback(api_schema):
    assert {(op.method.upper(), op.path) for op in operations(api_schema)} >= {
        ("POST", "/api/chat"), ("POST", "/api/feedback"),
    }


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE], ids=lambda m: m.value)
def test_every_operation_conforms_to_the_document(api_schema, fuzz_system, mode):
    for operation in operations(api_schema):

        @settings(FUZZ_SETTINGS, max_examples=EXAMPLES, suppress_health_check=list(HealthCheck))
        @given(case=operation.as_strategy(generation_mode=mode))
        def run(case) -> None:
            response = case.call_and_validate(base_url=fuzz_system.url, timeout=60)
            if response.status_code >= 400:  # beyond the document: the one error shape, in Chinese
                assert_error_shape(response)

        run()
