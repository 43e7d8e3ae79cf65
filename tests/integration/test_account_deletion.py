"""DELETE /auth/me over HTTP: the account, its predictions, images and tokens are gone, and nothing of anyone else."""

from __future__ import annotations

import requests
from bson import ObjectId

from tests.conftest import RunningStack, aws_client
from tests.integration.api_client import PASSWORD, SAMPLES, Client, uploads_bucket
from tests.integration.test_auth_api import assert_invalid_token, error_of, login

IMAGE = (SAMPLES / "digit-7.png").read_bytes()


def delete_me(client: Client, password: str | None = PASSWORD) -> requests.Response:
    body = {} if password is None else {"password": password}
    return requests.delete(client.stack.url("/auth/me"), json=body, headers=client.headers)


def user_id_of(client: Client) -> str:
    response = requests.get(client.stack.url("/auth/me"), headers=client.headers)
    assert response.status_code == 200, response.text
    return response.json()["user"]["id"]


def objects_of(stack: RunningStack, user_id: str) -> list[str]:
    s3 = aws_client(stack, "s3")
    listed = s3.list_objects_v2(Bucket=uploads_bucket(), Prefix=f"uploads/{user_id}/")
    return [item["Key"] for item in listed.get("Contents", [])]


def records_of(stack_db, user_id: str, email: str) -> dict[str, int]:
    return {
        "users": stack_db["users"].count_documents({"_id": ObjectId(user_id)}),
        "predictions": stack_db["predictions"].count_documents({"owner_id": user_id}),
        "refresh_tokens": stack_db["refresh_tokens"].count_documents({"user_id": user_id}),
        "login_failures": stack_db["login_failures"].count_documents({"_id": email}),
    }


def uploaded_twice(stack: RunningStack) -> tuple[Client, str, list[str]]:
    client = Client(stack)
    predictions = [client.upload(IMAGE, filename=f"digit-{n}.png") for n in range(2)]
    for prediction_id in predictions:
        client.wait(prediction_id)
    return client, user_id_of(client), predictions


def test_deleting_the_account_removes_every_record_and_image(stack: RunningStack, stack_db) -> None:
    client, user_id, _ = uploaded_twice(stack)
    other, other_id, other_predictions = uploaded_twice(stack)
    assert len(objects_of(stack, user_id)) == 2
    assert login(stack, client.email, "not the password").status_code == 401  # a failed sign-in on record

    response = delete_me(client)

    assert response.status_code == 204, response.text
    assert response.content == b""
    assert objects_of(stack, user_id) == []
    assert records_of(stack_db, user_id, client.email) == dict.fromkeys(
        ("users", "predictions", "refresh_tokens", "login_failures"), 0
    )
    assert_invalid_token(requests.get(stack.url("/predictions"), headers=client.headers))
    assert_invalid_token(requests.get(stack.url("/auth/me"), headers=client.headers))
    assert_invalid_token(client.start_upload("digit.png", "image/png"))
    assert_invalid_token(delete_me(client))  # a second deletion: the account is gone
    assert login(stack, client.email).status_code == 401
    assert len(objects_of(stack, other_id)) == 2
    assert [other.get(p).status_code for p in other_predictions] == [200, 200]
    assert records_of(stack_db, other_id, other.email)["refresh_tokens"] >= 1


def test_a_wrong_password_deletes_nothing_and_counts_as_a_failed_sign_in(stack: RunningStack, stack_db) -> None:
    client = Client(stack)
    prediction_id = client.upload(IMAGE)
    client.wait(prediction_id)
    user_id = user_id_of(client)

    response = delete_me(client, "not the password")

    assert response.status_code == 401
    assert error_of(response)["code"] == "invalid_credentials"
    assert records_of(stack_db, user_id, client.email) == {
        "users": 1,
        "predictions": 1,
        "refresh_tokens": 1,
        "login_failures": 1,
    }
    assert len(objects_of(stack, user_id)) == 1
    assert client.get(prediction_id).status_code == 200


def test_a_missing_password_is_400(stack: RunningStack) -> None:
    client = Client(stack)
    response = delete_me(client, None)
    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_request"
    assert error_of(response)["fields"] == {"password": "This field is required"}


def test_five_wrong_passwords_lock_deletion_like_login(stack: RunningStack) -> None:
    client = Client(stack)
    statuses = [delete_me(client, "not the password").status_code for _ in range(6)]
    assert statuses == [401] * 5 + [429]
    assert delete_me(client).status_code == 429
    assert user_id_of(client)
