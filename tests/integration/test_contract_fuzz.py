"""Schemathesis against the running local stack, from docs/openapi.json: generated requests for every route, valid
and invalid, signed in and not. Properties: no 5xx, every answer is a status its operation documents with a body
valid against that status's schema, and no body shows internals (tracebacks, paths, exception names)."""

from __future__ import annotations

import os
import re
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import requests
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis import Case, CheckContext, Response
from schemathesis.specs.openapi.checks import positive_data_acceptance, unsupported_method

from tests.conftest import RunningStack, unique_email
from tests.integration.api_client import PASSWORD

DOCUMENT = Path(__file__).resolve().parents[2] / "docs" / "openapi.json"
# 60 examples per operation and identity: about 1,700 requests in about 40 s here (`make test`); `make fuzz` sets
# FUZZ_EXAMPLES=1000 and random seeds for a deeper search (about 10 minutes).
EXAMPLES_PER_OPERATION = int(os.environ.get("FUZZ_EXAMPLES", "60"))
DEEP = "FUZZ_EXAMPLES" in os.environ
MIN_REQUESTS = 1_000
INTERNALS = re.compile(
    r"Traceback|File \"|\.py\b|/opt/|/var/task|/work/|/tmp/|object at 0x|Exception\b|Error:|\bKeyError\b|"
    r"\bTypeError\b|\bValueError\b|pymongo|botocore|pydantic",
)
SENT: Counter[str] = Counter()
RAN: set[str] = set()
# An HTTP API answers a method its route lacks with 404 {"message": "Not Found"}, not 405 (documented as the
# RouteNotFound response): the local gateway does the same, so schemathesis' 405 expectation does not apply.
# Some valid-looking values are refused by rules JSON Schema cannot state (an opaque cursor this API never wrote, a
# password over bcrypt's 72 UTF-8 bytes): each is a documented 400, so "schema-valid means 2xx" is not a promise the
# document makes. Schema-invalid input must still be refused (negative_data_rejection stays on).
EXCLUDED = [unsupported_method, positive_data_acceptance]


@pytest.fixture(scope="module")
def base_url(stack: RunningStack) -> str:
    return stack.url("").rstrip("/")


def sign_up(stack: RunningStack) -> dict[str, str]:
    email = unique_email("fuzz")
    response = requests.post(stack.url("/auth/register"), json={"email": email, "name": "Fuzz", "password": PASSWORD})
    assert response.status_code == 201, response.text
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


@pytest.fixture(scope="module")
def signed_in(stack: RunningStack) -> dict[str, str]:
    return sign_up(stack)


@pytest.fixture(scope="module", autouse=True)
def enough_requests() -> Iterator[None]:
    yield
    if not {"anonymous", "signed-in"} <= RAN:  # only part of the module was selected
        return
    print(f"\nschemathesis sent {sum(SENT.values())} generated requests: {dict(sorted(SENT.items()))}")
    assert sum(SENT.values()) >= MIN_REQUESTS, f"only {sum(SENT.values())} generated requests: {dict(SENT)}"


@schemathesis.check
def no_internals_in_the_body(ctx: CheckContext, response: Response, case: Case) -> bool | None:
    found = INTERNALS.search(response.text or "")
    if found:
        raise AssertionError(f"the answer shows internals ({found.group(0)!r}): {response.text[:300]}")
    return None


def load_schema(*, signed_in: bool) -> schemathesis.BaseSchema:
    loaded = schemathesis.openapi.from_path(DOCUMENT)
    # The API ignores parameters and fields it does not know (the document says so: newer clients keep working with
    # an older API), so a request with extra ones is not a wrong request. Signed in, the test sends a valid token
    # itself: generating a broken Authorization header would only be overwritten.
    loaded.config.generation.update(allow_extra_parameters=False, with_security_parameters=not signed_in)
    return loaded


schema = load_schema(signed_in=False)
signed_in_schema = load_schema(signed_in=True)


FUZZ = settings(
    max_examples=EXAMPLES_PER_OPERATION, deadline=None, derandomize=not DEEP, suppress_health_check=list(HealthCheck)
)


def call(case: Case, base_url: str, headers: dict[str, str] | None) -> None:
    SENT[f"{case.method} {case.path}"] += 1
    case.call_and_validate(
        base_url=base_url,
        headers=headers,
        timeout=30,
        additional_checks=[no_internals_in_the_body],
        excluded_checks=EXCLUDED,
    )


@schema.parametrize()
@FUZZ
def test_anonymous_generated_requests_get_documented_answers_and_never_a_5xx(case: Case, base_url: str) -> None:
    RAN.add("anonymous")
    call(case, base_url, None)


@signed_in_schema.parametrize()
@FUZZ
def test_signed_in_generated_requests_get_documented_answers_and_never_a_5xx(
    case: Case, base_url: str, signed_in: dict[str, str]
) -> None:
    RAN.add("signed-in")
    call(case, base_url, signed_in)


def test_stateful_sequences_follow_the_links_between_operations(stack: RunningStack, base_url: str) -> None:
    """Sequences chained by the document's links and the ids answers carry: upload → get or delete the prediction,
    list → get or delete an item."""
    # DELETE /auth/me would end the signed-in identity's account with a lucky password, and its wrong passwords flip it
    # from 401 to 429 mid-run (the login throttle): the generated requests of the other tests cover it.
    machine = signed_in_schema.exclude(method="DELETE", path="/auth/me").as_state_machine()

    class Workflow(machine):  # type: ignore[misc, valid-type]
        # Each sequence starts from a new account with no predictions: what a step draws from earlier answers (the
        # items of a list) then depends only on the sequence itself, so Hypothesis can replay it exactly.
        def setup(self) -> None:
            self.headers = sign_up(stack)

        def get_call_kwargs(self, case: Case) -> dict[str, object]:
            return {"base_url": base_url, "headers": self.headers, "timeout": 30}

        def validate_response(self, response: Response, case: Case, **kwargs: object) -> None:
            SENT[f"stateful {case.method} {case.path}"] += 1
            case.validate_response(
                response,
                additional_checks=[no_internals_in_the_body],
                excluded_checks=EXCLUDED,
                transport_kwargs=kwargs or None,
                recorder=self.recorder,
            )

    Workflow.run(
        settings=settings(
            max_examples=EXAMPLES_PER_OPERATION // 2 + 10, stateful_step_count=6, deadline=None, derandomize=not DEEP
        )
    )
    assert SENT["stateful POST /uploads"], dict(SENT)
    assert SENT["stateful GET /predictions/{prediction_id}"], dict(SENT)


def test_the_internals_check_catches_what_it_is_for() -> None:
    leaks = ["Traceback (most recent call last):", 'File "/var/task/app.py", line 3', "<_io.BytesIO object at 0x7f>"]
    for text in leaks:
        assert INTERNALS.search(text), text
    assert not INTERNALS.search('{"error": {"code": "invalid_request", "message": "Use at least 10 characters"}}')
