"""The auth API over HTTP, through the gateway, the functions, SecantusDB and moto's Secrets Manager."""

from __future__ import annotations

import base64
import json
import time
from typing import Any

import jwt
import pytest
import requests

from tests.conftest import RunningStack, unique_email

PASSWORD = "correct horse battery"
MISSING = object()


def register(stack: RunningStack, email: str | None = None, password: str = PASSWORD, name: str = "Ada") -> dict:
    response = requests.post(
        stack.url("/auth/register"), json={"email": email or unique_email(), "name": name, "password": password}
    )
    assert response.status_code == 201, response.text
    return response.json()


def login(stack: RunningStack, email: str, password: str = PASSWORD) -> requests.Response:
    return requests.post(stack.url("/auth/login"), json={"email": email, "password": password})


def me(stack: RunningStack, token: str) -> requests.Response:
    return requests.get(stack.url("/auth/me"), headers={"Authorization": f"Bearer {token}"})


def error_of(response: requests.Response) -> dict[str, Any]:
    assert response.headers["content-type"].startswith("application/json")
    return response.json()["error"]


def assert_invalid_token(response: requests.Response) -> None:
    assert response.status_code == 401, response.text
    assert error_of(response)["code"] == "invalid_token"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


# --- register -------------------------------------------------------------------------------------------


def test_register_returns_user_and_tokens_with_normalised_email(stack: RunningStack) -> None:
    email = unique_email("Mixed")
    response = requests.post(
        stack.url("/auth/register"),
        json={"email": f"  {email.upper()} ", "name": " Ada Lovelace ", "password": PASSWORD},
    )
    assert response.status_code == 201
    body = response.json()
    assert body["user"]["email"] == email.lower()
    assert body["user"]["name"] == "Ada Lovelace"
    assert set(body["user"]) == {"id", "email", "name", "created_at", "role", "email_verified"}
    assert (body["user"]["role"], body["user"]["email_verified"]) == ("user", False)
    assert body["user"]["created_at"].endswith("Z")
    assert body["token_type"] == "Bearer"
    assert body["expires_in"] == 900
    assert len(body["refresh_token"]) >= 43  # 256 bits, url-safe base64
    assert me(stack, body["access_token"]).json()["user"] == body["user"]


def test_register_stores_only_a_bcrypt_hash(stack: RunningStack, stack_db) -> None:
    body = register(stack)
    document = stack_db.users.find_one({"email": body["user"]["email"]})
    assert PASSWORD not in json.dumps(document, default=str)
    assert document["password_hash"].startswith("$2b$04$")  # the test stack runs bcrypt at cost 4


def test_register_same_email_in_other_case_is_409(stack: RunningStack) -> None:
    email = unique_email()
    register(stack, email)
    response = requests.post(
        stack.url("/auth/register"), json={"email": email.upper(), "name": "Other", "password": PASSWORD}
    )
    assert response.status_code == 409
    assert error_of(response)["code"] == "email_taken"


@pytest.mark.parametrize(
    ("payload", "field", "words"),
    [
        ({"email": MISSING, "name": "A", "password": PASSWORD}, "email", "required"),
        ({"email": None, "name": "A", "password": PASSWORD}, "email", "required"),
        ({"email": "   ", "name": "A", "password": PASSWORD}, "email", "required"),
        ({"name": MISSING, "password": PASSWORD}, "name", "required"),
        ({"name": "A", "password": MISSING}, "password", "required"),
        ({"email": "not-an-email", "name": "A", "password": PASSWORD}, "email", "valid email"),
        ({"email": "@", "name": "A", "password": PASSWORD}, "email", "valid email"),
        ({"name": "", "password": PASSWORD}, "name", "required"),
        ({"name": "   ", "password": PASSWORD}, "name", "required"),
        ({"name": "x" * 101, "password": PASSWORD}, "name", "at most 100"),
        ({"name": "A", "password": "short"}, "password", "at least 10"),
        ({"name": "A", "password": "é" * 37}, "password", "72 bytes"),  # 37 characters, 74 bytes
        ({"name": "A", "password": "🔒" * 19}, "password", "72 bytes"),  # 19 characters, 76 bytes
    ],
)
def test_register_rejects_bad_fields_with_per_field_messages(stack: RunningStack, payload, field, words) -> None:
    payload = {key: value for key, value in {"email": unique_email(), **payload}.items() if value is not MISSING}
    response = requests.post(stack.url("/auth/register"), json=payload)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert words in error["fields"][field]


def test_password_of_exactly_72_bytes_is_accepted(stack: RunningStack) -> None:
    password = "é" * 36  # 72 bytes
    body = register(stack, password=password)
    assert login(stack, body["user"]["email"], password).status_code == 200
    assert login(stack, body["user"]["email"], password[:-1] + "e").status_code == 401


@pytest.mark.parametrize(
    "payload",
    [
        {"email": {"$ne": None}, "name": "A", "password": PASSWORD},
        {"email": ["a@example.com"], "name": "A", "password": PASSWORD},
        {"email": "a@example.com", "name": 42, "password": PASSWORD},
        {"email": "a@example.com", "name": "A", "password": {"$gt": ""}},
        {"email": "a@example.com", "name": "A", "password": True},
    ],
)
def test_register_refuses_non_string_fields(stack: RunningStack, payload) -> None:
    response = requests.post(stack.url("/auth/register"), json=payload)
    assert response.status_code == 400
    error = error_of(response)
    assert error["code"] == "invalid_request"
    assert "Must be a string" in error["fields"].values()


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ('{"email": ', "application/json"),
        ("[1, 2]", "application/json"),
        ('"just a string"', "application/json"),
        ("", "application/json"),
        (b"\xff\xfe\x00garbage", "application/json"),
        ("[" * 100_000 + "]" * 100_000, "application/json"),
        ('{"email": NaN}', "application/json"),
        ('{"email": ' + "1" * 5000 + "}", "application/json"),
    ],
)
def test_malformed_bodies_are_400_never_500(stack: RunningStack, body, content_type) -> None:
    for path in ("/auth/register", "/auth/login", "/auth/refresh"):
        response = requests.post(stack.url(path), data=body, headers={"Content-Type": content_type})
        assert response.status_code == 400, (path, response.text)
        assert error_of(response)["code"] == "invalid_request"
        assert "Traceback" not in response.text


@pytest.mark.parametrize(
    "content_type",
    [
        "application/octet-stream",
        "text/plain",
        "text/plain;charset=UTF-8",  # what a cross-site form or fetch() can send without a CORS preflight
        "application/x-www-form-urlencoded",  # what curl -d sends unless told otherwise
        "multipart/form-data; boundary=x",
        "application/json; charset=iso-8859-1",
        "image/png",
    ],
)
def test_bodies_that_are_not_json_are_415(stack: RunningStack, content_type: str) -> None:
    body = json.dumps({"email": unique_email(), "name": "Ada", "password": PASSWORD})
    for path in ("/auth/register", "/auth/login", "/auth/refresh"):
        response = requests.post(stack.url(path), data=body, headers={"Content-Type": content_type})
        assert response.status_code == 415, (path, content_type, response.text)
        assert error_of(response)["code"] == "unsupported_media_type"


@pytest.mark.parametrize(
    "content_type", [None, "application/json; charset=utf-8", "APPLICATION/JSON", "application/vnd.api+json"]
)
def test_json_by_any_of_its_names_or_without_a_content_type_is_read(stack: RunningStack, content_type) -> None:
    body = json.dumps({"email": unique_email(), "name": "Ada", "password": PASSWORD}).encode()
    headers = {} if content_type is None else {"Content-Type": content_type}
    response = requests.post(stack.url("/auth/register"), data=body, headers=headers)
    assert response.status_code == 201, response.text


@pytest.mark.parametrize("field", ["email", "name", "password"])
def test_a_lone_surrogate_in_any_field_is_400_not_500(stack: RunningStack, field: str) -> None:
    fields = {"email": unique_email(), "name": "Ada", "password": PASSWORD}
    fields[field] = fields[field][:3] + "\\ud800" + fields[field][3:]  # JSON's escape: no UTF-8 text can hold it
    body = "{" + ", ".join(f'"{name}": "{value}"' for name, value in fields.items()) + "}"
    for path in ("/auth/register", "/auth/login"):
        if path == "/auth/login" and field == "name":
            continue
        response = requests.post(stack.url(path), data=body, headers={"Content-Type": "application/json"})
        assert response.status_code == 400, (path, response.text)
        assert error_of(response) == {
            "code": "invalid_request",
            "message": "Some fields are missing or invalid",
            "fields": {field: "Must be valid Unicode text"},
        }
    response = requests.post(stack.url("/auth/refresh"), data='{"refresh_token": "abc\\udfff"}')
    assert response.status_code == 400
    assert error_of(response)["fields"] == {"refresh_token": "Must be valid Unicode text"}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("name", "Ada\x00"),
        ("name", "Ada\x07Lovelace"),
        ("name", "Ada\x85Lovelace"),  # C1 controls, U+0080 to U+009F
        ("name", "Ada\u202eecalevoL"),  # a bidi override
        ("email", "ada\x00@example.com"),
        ("email", "ada\x9f@example.com"),
    ],
)
def test_control_characters_in_names_and_emails_are_refused(stack: RunningStack, stack_db, field, value) -> None:
    payload = {"email": unique_email(), "name": "Ada", "password": PASSWORD, field: value}
    response = requests.post(stack.url("/auth/register"), json=payload)
    assert response.status_code == 400, response.text
    assert field in error_of(response)["fields"]
    assert stack_db.users.count_documents({field: value}) == 0


def test_names_keep_joiners_and_are_stored_composed(stack: RunningStack) -> None:
    name = "Jose\u0301 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f468\u200d\U0001f469"
    body = register(stack, name=name)
    assert (
        body["user"]["name"] == "Jos\u00e9 \u0645\u06cc\u200c\u062e\u0648\u0627\u0647\u0645 \U0001f468\u200d\U0001f469"
    )


def test_unknown_fields_are_ignored(stack: RunningStack) -> None:
    body = register(stack, email=None)
    response = requests.post(
        stack.url("/auth/login"), json={"email": body["user"]["email"], "password": PASSWORD, "remember_me": True}
    )
    assert response.status_code == 200


# --- login ----------------------------------------------------------------------------------------------


def test_login_returns_user_and_fresh_tokens(stack: RunningStack) -> None:
    registered = register(stack)
    response = login(stack, "  " + registered["user"]["email"].upper())
    assert response.status_code == 200
    body = response.json()
    assert body["user"] == registered["user"]
    assert body["access_token"] != registered["access_token"]
    assert body["refresh_token"] != registered["refresh_token"]
    assert me(stack, body["access_token"]).status_code == 200


def test_wrong_password_and_unknown_email_look_the_same(stack: RunningStack) -> None:
    registered = register(stack)
    wrong_password = login(stack, registered["user"]["email"], "wrong password!")
    unknown_email = login(stack, unique_email("nobody"), "wrong password!")
    assert wrong_password.status_code == unknown_email.status_code == 401
    assert error_of(wrong_password) == error_of(unknown_email)
    assert error_of(wrong_password)["code"] == "invalid_credentials"


def test_login_operator_injection_is_refused(stack: RunningStack) -> None:
    register(stack)
    for payload in (
        {"email": {"$ne": None}, "password": {"$ne": None}},
        {"email": {"$regex": ".*"}, "password": PASSWORD},
        {"email": {"$gt": ""}, "password": PASSWORD},
    ):
        response = requests.post(stack.url("/auth/login"), json=payload)
        assert response.status_code == 400
        assert error_of(response)["code"] == "invalid_request"


def test_five_failures_lock_the_email_for_fifteen_minutes(stack: RunningStack, stack_db) -> None:
    email = register(stack)["user"]["email"]
    for _ in range(5):
        assert login(stack, email, "wrong password!").status_code == 401
    blocked = login(stack, email)  # even the right password is refused while locked
    assert blocked.status_code == 429
    assert error_of(blocked)["code"] == "too_many_attempts"
    retry_after = int(blocked.headers["Retry-After"])
    assert 850 <= retry_after <= 900
    assert login(stack, email.upper(), "wrong password!").status_code == 429  # same email, other spelling
    assert login(stack, register(stack)["user"]["email"]).status_code == 200  # other accounts are untouched
    record = stack_db.login_failures.find_one({"_id": email})
    assert len(record["failures"]) == 5
    ttl = {v["key"][0][0]: v.get("expireAfterSeconds") for v in stack_db.login_failures.index_information().values()}
    assert ttl.get("expires_at") == 0


def test_unknown_emails_are_throttled_too(stack: RunningStack) -> None:
    email = unique_email("ghost")
    for _ in range(5):
        assert login(stack, email, "wrong password!").status_code == 401
    assert login(stack, email, "wrong password!").status_code == 429


def test_success_clears_earlier_failures(stack: RunningStack) -> None:
    email = register(stack)["user"]["email"]
    for _ in range(4):
        assert login(stack, email, "wrong password!").status_code == 401
    assert login(stack, email).status_code == 200
    for _ in range(4):
        assert login(stack, email, "wrong password!").status_code == 401
    assert login(stack, email).status_code == 200


# --- refresh --------------------------------------------------------------------------------------------


def refresh(stack: RunningStack, token: str) -> requests.Response:
    return requests.post(stack.url("/auth/refresh"), json={"refresh_token": token})


def test_refresh_rotates_the_pair(stack: RunningStack, stack_db) -> None:
    first = register(stack)
    response = refresh(stack, first["refresh_token"])
    assert response.status_code == 200
    second = response.json()
    assert second["user"] == first["user"]
    assert second["refresh_token"] != first["refresh_token"]
    assert me(stack, second["access_token"]).status_code == 200
    assert refresh(stack, second["refresh_token"]).status_code == 200
    stored = json.dumps(list(stack_db.refresh_tokens.find({"user_id": first["user"]["id"]})), default=str)
    assert first["refresh_token"] not in stored  # only hashes are stored
    assert second["refresh_token"] not in stored


def test_reusing_a_rotated_refresh_token_revokes_the_family(stack: RunningStack) -> None:
    first = register(stack)
    second = refresh(stack, first["refresh_token"]).json()
    stolen_reuse = refresh(stack, first["refresh_token"])
    assert_invalid_token(stolen_reuse)
    assert "already used" in error_of(stolen_reuse)["message"]
    assert_invalid_token(refresh(stack, second["refresh_token"]))  # the legitimate holder is signed out too


def test_reuse_revokes_only_that_family(stack: RunningStack) -> None:
    registered = register(stack)
    other_device = login(stack, registered["user"]["email"]).json()
    rotated = refresh(stack, registered["refresh_token"]).json()
    refresh(stack, registered["refresh_token"])  # reuse: kills the first family
    assert_invalid_token(refresh(stack, rotated["refresh_token"]))
    assert refresh(stack, other_device["refresh_token"]).status_code == 200


@pytest.mark.parametrize("token", ["", "x", "not-a-real-token" * 3])
def test_unknown_refresh_tokens_are_401_or_400(stack: RunningStack, token: str) -> None:
    response = refresh(stack, token)
    if token:
        assert_invalid_token(response)
    else:
        assert response.status_code == 400


def test_refresh_token_is_not_an_access_token_and_vice_versa(stack: RunningStack) -> None:
    body = register(stack)
    assert_invalid_token(me(stack, body["refresh_token"]))
    assert_invalid_token(refresh(stack, body["access_token"]))


# --- logout and me --------------------------------------------------------------------------------------


def test_logout_revokes_every_refresh_token_of_the_user(stack: RunningStack) -> None:
    registered = register(stack)
    second_device = login(stack, registered["user"]["email"]).json()
    response = requests.post(
        stack.url("/auth/logout"), headers={"Authorization": f"Bearer {registered['access_token']}"}
    )
    assert response.status_code == 204
    assert response.content == b""
    assert_invalid_token(refresh(stack, registered["refresh_token"]))
    assert_invalid_token(refresh(stack, second_device["refresh_token"]))
    assert login(stack, registered["user"]["email"]).status_code == 200  # signing in again works


def test_logout_needs_a_token(stack: RunningStack) -> None:
    assert_invalid_token(requests.post(stack.url("/auth/logout")))


@pytest.mark.parametrize(
    "header",
    [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc.def.ghi", "Bearer a b", "bearer not.a.jwt"],
)
def test_missing_or_malformed_authorization_is_401(stack: RunningStack, header: str | None) -> None:
    headers = {} if header is None else {"Authorization": header}
    assert_invalid_token(requests.get(stack.url("/auth/me"), headers=headers))


def _b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=").decode()


def test_forged_tokens_are_rejected(stack: RunningStack, aws_secrets) -> None:
    body = register(stack)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    header, payload, signature = body["access_token"].split(".")
    key = aws_secrets.get_secret_value(SecretId="imagepredict-local/JwtSigningKey")["SecretString"]
    assert jwt.decode(body["access_token"], key, algorithms=["HS256"], audience=claims["aud"])["sub"]

    forged = {
        "alg none": f"{_b64({'alg': 'none', 'typ': 'JWT'})}.{payload}.",
        "tampered payload": f"{header}.{_b64({**claims, 'sub': '0' * 24})}.{signature}",
        "wrong key": jwt.encode(claims, "k" * 64, algorithm="HS256"),
        "wrong audience": jwt.encode({**claims, "aud": "someone-else"}, key, algorithm="HS256"),
        "wrong issuer": jwt.encode({**claims, "iss": "evil"}, key, algorithm="HS256"),
        "no expiry": jwt.encode({k: v for k, v in claims.items() if k != "exp"}, key, algorithm="HS256"),
        "expired": jwt.encode({**claims, "exp": int(time.time()) - 5}, key, algorithm="HS256"),
        "HS512 with the right key": jwt.encode(claims, key, algorithm="HS512"),
    }
    for name, token in forged.items():
        response = me(stack, token)
        assert response.status_code == 401, name
        assert error_of(response)["code"] == "invalid_token", name


def test_access_token_expires_after_its_configured_lifetime(short_token_stack: RunningStack) -> None:
    body = register(short_token_stack)
    assert body["expires_in"] == 1
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert claims["exp"] - claims["iat"] == 1
    time.sleep(2.1)
    response = me(short_token_stack, body["access_token"])
    assert_invalid_token(response)
    assert "expired" in error_of(response)["message"]
    refreshed = refresh(short_token_stack, body["refresh_token"])  # the refresh token still works
    assert refreshed.status_code == 200
    assert me(short_token_stack, refreshed.json()["access_token"]).status_code == 200


def test_access_token_claims(stack: RunningStack) -> None:
    body = register(stack)
    claims = jwt.decode(body["access_token"], options={"verify_signature": False})
    assert jwt.get_unverified_header(body["access_token"])["alg"] == "HS256"
    assert claims["sub"] == body["user"]["id"]
    assert claims["email"] == body["user"]["email"]
    assert claims["iss"] == "imagepredict-local"
    assert claims["aud"] == "imagepredict-api"
    assert claims["exp"] - claims["iat"] == 900
    assert len(claims["jti"]) == 32


# --- the rest of the surface ----------------------------------------------------------------------------


def test_health_reports_each_dependency(stack: RunningStack) -> None:
    response = requests.get(stack.url("/health"))
    assert response.status_code == 200
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"]["mongodb"]["status"] == "ok"
    assert body["checks"]["aws"]["status"] == "ok"


def test_unknown_route_and_wrong_method_are_json_404(stack: RunningStack) -> None:
    for method, path in (("GET", "/nope"), ("GET", "/auth/login"), ("PUT", "/auth/me")):
        response = requests.request(method, stack.url(path))
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("application/json")


def test_cors_preflight_and_response_headers(stack: RunningStack) -> None:
    origin = "http://localhost:5173"
    preflight = requests.options(
        stack.url("/auth/login"),
        headers={
            "Origin": origin,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "content-type",
        },
    )
    assert preflight.status_code == 204
    assert preflight.headers["Access-Control-Allow-Origin"] == "*"
    assert "POST" in preflight.headers["Access-Control-Allow-Methods"]
    assert "authorization" in preflight.headers["Access-Control-Allow-Headers"]
    response = requests.post(stack.url("/auth/login"), json={}, headers={"Origin": origin})
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert "retry-after" in response.headers["Access-Control-Expose-Headers"]


def test_function_logs_carry_the_request_id_as_correlation_id(stack: RunningStack) -> None:
    response = requests.post(
        stack.url("/auth/register"), json={"email": unique_email(), "name": "Ada", "password": PASSWORD}
    )
    request_id = response.headers["apigw-requestid"]
    time.sleep(0.3)
    lines = [json.loads(line) for line in stack.log_text().splitlines() if request_id in line and line.startswith("{")]
    registered = [line for line in lines if line.get("message") == "User registered"]
    assert len(registered) == 1
    assert registered[0]["correlation_id"] == request_id
    assert registered[0]["user_id"] == response.json()["user"]["id"]
    assert registered[0]["function_name"] == "AuthFunction"


def _metric_count(stack: RunningStack, name: str) -> int:
    lines = [json.loads(line) for line in stack.log_text().splitlines() if line.startswith('{"_aws"')]
    return sum(
        1
        for line in lines
        for directive in line["_aws"]["CloudWatchMetrics"]
        for metric in directive["Metrics"]
        if metric["Name"] == name and directive["Namespace"] == "ImagePredict"
    )


def test_outcomes_are_published_as_cloudwatch_metrics(stack: RunningStack) -> None:
    names = ("UserRegistered", "RegistrationConflict", "LoginFailed", "LoginSucceeded")
    before = {name: _metric_count(stack, name) for name in names}
    email = register(stack)["user"]["email"]
    requests.post(stack.url("/auth/register"), json={"email": email, "name": "Ada", "password": PASSWORD})
    login(stack, email, "wrong password!")
    login(stack, email)
    time.sleep(0.3)
    assert {name: _metric_count(stack, name) - before[name] for name in names} == dict.fromkeys(names, 1)


def test_bodies_over_the_http_api_limit_are_413(stack: RunningStack) -> None:
    response = requests.post(
        stack.url("/auth/login"), data=b"x" * (10 * 1024 * 1024 + 1), headers={"Content-Type": "application/json"}
    )
    assert response.status_code == 413


def test_no_password_token_or_key_reaches_the_logs(stack: RunningStack, aws_secrets) -> None:
    password = "unmistakable-password-4711"
    body = register(stack, password=password)
    login(stack, body["user"]["email"], password)
    login(stack, body["user"]["email"], password + "x")
    refreshed = refresh(stack, body["refresh_token"]).json()
    me(stack, refreshed["access_token"])
    key = aws_secrets.get_secret_value(SecretId="imagepredict-local/JwtSigningKey")["SecretString"]
    time.sleep(0.3)
    logs = stack.log_text()
    assert body["user"]["id"] in logs  # the log is the right one, and it is being written
    for secret in (password, body["access_token"], body["refresh_token"], refreshed["refresh_token"], key):
        assert secret not in logs
