"""DELETE /auth/me: an account and everything of it, for good.

The order makes a failure safe to retry and an upload in flight harmless:
1. the password is checked (a wrong one counts toward the login throttle);
2. the predictions go first: an image a still-valid presigned POST lands after this has no prediction, and the
   classify function deletes such an upload as an orphan (ClassifyService._prediction_for);
3. then every object under uploads/{user id}/ (the images; results live in the prediction records);
4. then the refresh tokens, the failed sign-ins, and the user document last: until then the account still exists,
   so a deletion that failed half-way can be asked for again with the same password.
Access tokens already issued are refused from then on: every route that reads or writes data checks the account
still exists (api.caller.require_account), and GET /auth/me loads it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from imagepredict.auth.service import AuthService
from imagepredict.predictions.store import PredictionStore
from imagepredict.storage.keys import owner_prefix
from imagepredict.storage.objects import delete_prefix


@dataclass(frozen=True)
class Deleted:
    predictions: int
    objects: int


class AccountDeletion:
    def __init__(self, auth: AuthService, predictions: PredictionStore, s3: Any, *, bucket: str) -> None:
        self._auth = auth
        self._predictions = predictions
        self._s3 = s3
        self._bucket = bucket

    def delete(self, user_id: str, password: str) -> Deleted:
        user = self._auth.confirm_password(user_id, password)
        predictions = self._predictions.delete_all_for_owner(user.id)
        objects = delete_prefix(self._s3, self._bucket, owner_prefix(user.id))
        self._auth.forget(user)
        return Deleted(predictions=predictions, objects=objects)
