"""Rotating the stack's secrets on the local stack: warm functions pick up a new signing key and a new MongoDB URI
within SECRETS_MAX_AGE_SECONDS; tokens signed before a rotation keep working for one access-token lifetime (plus
that max age), and a token made with the old key after that is refused."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable, Iterator

import jwt
import pytest
import requests

from tests.conftest import RunningStack, aws_client, start_stack
from tests.integration.test_auth_api import PASSWORD, assert_invalid_token, login, me, register

MAX_AGE = 1
TTL = 6
STACK_NAME = "imagepredict-rotate"
JWT_SECRET = f"{STACK_NAME}/JwtSigningKey"
MONGODB_SECRET = f"{STACK_NAME}/mongodb-uri"


@pytest.fixture(scope="module")
def rotating_stack(stack: RunningStack, tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningStack]:
    """A second stack on the same MongoDB and AWS whose functions re-read secrets every second."""
    running = start_stack(
        tmp_path_factory.mktemp("rotate"),
        {
            "MONGODB_URI": stack.mongodb_uri,
            "LOCAL_AWS_ENDPOINT": stack.aws_endpoint,
            "LOCAL_STACK_NAME": STACK_NAME,
            "SECRETS_MAX_AGE_SECONDS": str(MAX_AGE),
            "ACCESS_TOKEN_TTL_SECONDS": str(TTL),
        },
    )
    yield running
    running.stop()


def eventually(check: Callable[[], bool], timeout: float = 15) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "the rotation did not reach the functions in time"
        time.sleep(0.2)


def forge(key: str, user_id: str, email: str) -> str:
    now = int(time.time())
    claims = {"sub": user_id, "email": email, "role": "user", "iat": now, "exp": now + 3600}
    claims["jti"] = secrets.token_hex(16)
    return jwt.encode({**claims, "iss": "imagepredict-local", "aud": "imagepredict-api"}, key, algorithm="HS256")


def test_rotating_the_signing_key_signs_nobody_out_and_retires_the_old_key(rotating_stack: RunningStack) -> None:
    secrets_manager = aws_client(rotating_stack, "secretsmanager")
    old_key = secrets_manager.get_secret_value(SecretId=JWT_SECRET)["SecretString"]
    session = register(rotating_stack)
    user, email = session["user"]["id"], session["user"]["email"]

    new_key = secrets.token_hex(32)
    secrets_manager.put_secret_value(SecretId=JWT_SECRET, SecretString=new_key)
    rotated_at = time.time()

    def signs_with_the_new_key() -> bool:
        token = login(rotating_stack, email).json()["access_token"]
        try:
            jwt.decode(token, new_key, algorithms=["HS256"], audience="imagepredict-api")
        except jwt.InvalidSignatureError:
            return False
        return True

    eventually(signs_with_the_new_key)
    # Signed in before the rotation: still signed in (the token's own lifetime has not run out).
    assert me(rotating_stack, session["access_token"]).status_code == 200
    fresh = login(rotating_stack, email, PASSWORD).json()["access_token"]
    assert me(rotating_stack, fresh).status_code == 200

    # Once one lifetime (plus the max age) has passed since the rotation, the old key is worth nothing.
    time.sleep(max(0.0, rotated_at + TTL + MAX_AGE + 1 - time.time()))
    assert_invalid_token(me(rotating_stack, forge(old_key, user, email)))
    assert me(rotating_stack, forge(new_key, user, email)).status_code == 200


def test_a_rotated_mongodb_uri_reaches_warm_functions(stack: RunningStack, rotating_stack: RunningStack) -> None:
    secrets_manager = aws_client(rotating_stack, "secretsmanager")
    good = secrets_manager.get_secret_value(SecretId=MONGODB_SECRET)["SecretString"]
    assert good == stack.mongodb_uri  # the local stack keeps its URI in a secret, as a deployed one does
    email = register(rotating_stack)["user"]["email"]  # the auth function is warm, connected with `good`
    unreachable = "mongodb://127.0.0.1:9/?directConnection=true&serverSelectionTimeoutMS=500"
    try:
        secrets_manager.put_secret_value(SecretId=MONGODB_SECRET, SecretString=unreachable)
        eventually(lambda: requests.get(rotating_stack.url("/health")).status_code == 503)
        eventually(lambda: login(rotating_stack, email).status_code == 503)
    finally:
        secrets_manager.put_secret_value(SecretId=MONGODB_SECRET, SecretString=good)
    eventually(lambda: login(rotating_stack, email).status_code == 200)
    assert requests.get(rotating_stack.url("/health")).json()["checks"]["mongodb"]["status"] == "ok"
