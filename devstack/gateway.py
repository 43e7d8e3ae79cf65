"""An HTTP API (payload format 2.0) in front of the functions, driven by the routes in template.yaml."""

from __future__ import annotations

import base64
import json
import logging
import time
import uuid
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from werkzeug.exceptions import NotFound, RequestEntityTooLarge
from werkzeug.utils import safe_join, send_file
from werkzeug.wrappers import Request, Response

from devstack.functions import FunctionPool, InvocationError
from devstack.mail import mail_page, sent_mail
from devstack.provision import ACCOUNT_ID
from devstack.template import Route

log = logging.getLogger("devstack.gateway")

API_ID = "local"
# Two limits stand between a request and a function, and API Gateway answers both with the same 413
# {"message": "Request Entity Too Large"} (as AWS's own Lambda Test Tool mirrors for HTTP APIs):
MAX_PAYLOAD_BYTES = 10 * 1024 * 1024  # the HTTP API's payload quota (10 MB): the body as it arrives
# Lambda's synchronous invocation payload (6 MB) is the whole event as JSON: headers and requestContext count, and a
# binary body counts base64-encoded, 4/3 of its size, so about 4.5 MB of an image is the most a function can get.
MAX_INVOCATION_BYTES = 6 * 1024 * 1024
LOCAL_MAIL_PATH = "/_local/mail"  # local only: the deployed API has no such route
_TEXT_TYPES = ("text/", "application/json", "application/x-www-form-urlencoded", "application/xml", "+json", "+xml")


def _is_text(content_type: str) -> bool:
    content_type = content_type.lower()
    return any(marker in content_type for marker in _TEXT_TYPES)


class _Request(Request):
    max_content_length = MAX_PAYLOAD_BYTES  # reading a longer body (Content-Length or chunked) raises a 413


def build_event(
    request: Request, route: Route, path_parameters: Mapping[str, str], *, request_id: str | None = None
) -> dict[str, Any]:
    """The event API Gateway sends a Lambda proxy integration, payload format version 2.0."""
    raw_uri = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI") or request.full_path
    raw_path = urlsplit(raw_uri).path or "/"
    raw_query = request.environ.get("QUERY_STRING", "")
    headers: dict[str, str] = {}
    for name, value in request.headers.items():
        key = name.lower()
        headers[key] = f"{headers[key]},{value}" if key in headers else value
    cookies = [c.strip() for c in headers.pop("cookie", "").split(";") if c.strip()]
    now = datetime.now(UTC)
    source_ip = request.remote_addr or "127.0.0.1"
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": route.route_key,
        "rawPath": raw_path,
        "rawQueryString": raw_query,
        "headers": headers,
        "requestContext": {
            "accountId": ACCOUNT_ID,
            "apiId": API_ID,
            "domainName": headers.get("host", "127.0.0.1"),
            "domainPrefix": headers.get("host", "127.0.0.1").split(".")[0].split(":")[0],
            "http": {
                "method": request.method,
                "path": raw_path,
                "protocol": request.environ.get("SERVER_PROTOCOL", "HTTP/1.1"),
                "sourceIp": source_ip,
                "userAgent": headers.get("user-agent", ""),
            },
            "requestId": request_id or new_request_id(),
            "routeKey": route.route_key,
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "isBase64Encoded": False,
    }
    if cookies:
        event["cookies"] = cookies
    if raw_query:
        query: dict[str, str] = {}
        for key, value in parse_qsl(raw_query, keep_blank_values=True):
            query[key] = f"{query[key]},{value}" if key in query else value
        event["queryStringParameters"] = query
    if path_parameters:
        event["pathParameters"] = dict(path_parameters)
    body = request.get_data(cache=False)
    if body:
        if _is_text(headers.get("content-type", "")):
            try:
                event["body"] = body.decode("utf-8")
            except UnicodeDecodeError:
                event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
        else:
            event["body"], event["isBase64Encoded"] = base64.b64encode(body).decode("ascii"), True
    return event


def new_request_id() -> str:
    return uuid.uuid4().hex[:16]


def invocation_payload_bytes(event: Mapping[str, Any]) -> int:
    """The size of the Invoke request that carries this event: its JSON, in UTF-8."""
    return len(json.dumps(event, ensure_ascii=False, separators=(",", ":")).encode("utf-8"))


def build_response(result: Any) -> Response:
    """Interpret what the function returned the way the HTTP API does for payload format 2.0."""
    if not (isinstance(result, dict) and "statusCode" in result):
        body = result if isinstance(result, str) else json.dumps(result)
        return Response(body, status=200, content_type="application/json")
    body = result.get("body") or ""
    data = base64.b64decode(body) if result.get("isBase64Encoded") else body.encode("utf-8")
    response = Response(data, status=int(result["statusCode"]))
    response.headers.remove("Content-Type")
    for name, value in (result.get("headers") or {}).items():
        response.headers[name] = str(value)
    for name, values in (result.get("multiValueHeaders") or {}).items():
        for value in values:
            response.headers.add(name, str(value))
    for cookie in result.get("cookies") or []:
        response.headers.add("Set-Cookie", cookie)
    return response


def _api_error(status: int, message: str) -> Response:
    return Response(json.dumps({"message": message}), status=status, content_type="application/json")


class Cors:
    """The CorsConfiguration of the HTTP API, applied by the gateway as API Gateway does."""

    def __init__(self, configuration: Mapping[str, Any] | None) -> None:
        configuration = configuration or {}
        self.enabled = bool(configuration)
        self.origins = [str(o) for o in configuration.get("AllowOrigins", [])]
        self.methods = [str(m).upper() for m in configuration.get("AllowMethods", [])]
        self.headers = [str(h).lower() for h in configuration.get("AllowHeaders", [])]
        self.expose = [str(h).lower() for h in configuration.get("ExposeHeaders", [])]
        self.max_age = configuration.get("MaxAge")
        self.credentials = bool(configuration.get("AllowCredentials"))

    def allowed_origin(self, origin: str | None) -> str | None:
        if not (self.enabled and origin):
            return None
        if "*" in self.origins:
            return "*" if not self.credentials else origin
        return origin if origin in self.origins else None

    def is_preflight(self, request: Request) -> bool:
        return (
            self.enabled
            and request.method == "OPTIONS"
            and "Origin" in request.headers
            and "Access-Control-Request-Method" in request.headers
        )

    def preflight(self, request: Request) -> Response:
        response = Response(status=204)
        origin = self.allowed_origin(request.headers.get("Origin"))
        if origin:
            response.headers["Access-Control-Allow-Origin"] = origin
            response.headers["Access-Control-Allow-Methods"] = ",".join(self.methods or ["*"])
            if self.headers:
                response.headers["Access-Control-Allow-Headers"] = ",".join(self.headers)
            if self.max_age is not None:
                response.headers["Access-Control-Max-Age"] = str(self.max_age)
            if self.credentials:
                response.headers["Access-Control-Allow-Credentials"] = "true"
        return response

    def decorate(self, request: Request, response: Response) -> None:
        origin = self.allowed_origin(request.headers.get("Origin"))
        if not origin:
            return
        for name in list(response.headers.keys()):
            if name.lower().startswith("access-control-"):
                del response.headers[name]  # API Gateway ignores the integration's own CORS headers
        response.headers["Access-Control-Allow-Origin"] = origin
        if self.expose:
            response.headers["Access-Control-Expose-Headers"] = ",".join(self.expose)
        if self.credentials:
            response.headers["Access-Control-Allow-Credentials"] = "true"
        if origin != "*":
            response.headers.add("Vary", "Origin")


class Gateway:
    """A WSGI application: the API routes first, then (if given) static files of the web client."""

    def __init__(
        self,
        routes: Iterable[Route],
        pool: FunctionPool,
        cors: Cors,
        static_dir: Path | None = None,
        *,
        aws_endpoint: str | None = None,
    ) -> None:
        self.routes = sorted(routes, key=Route.specificity)
        self.aws_endpoint = aws_endpoint
        self.pool = pool
        self.cors = cors
        self.static_dir = static_dir

    def match(self, method: str, path: str) -> tuple[Route, dict[str, str]] | None:
        for route in self.routes:
            found = route.pattern.match(path)
            if found and route.method in (method, "ANY"):
                return route, {k: v for k, v in found.groupdict().items() if v is not None}
        return None

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        request = _Request(environ)
        started = time.perf_counter()
        response = self.handle(request)
        log.info(
            "%s %s -> %s (%.0f ms)",
            request.method,
            request.full_path.rstrip("?"),
            response.status_code,
            (time.perf_counter() - started) * 1000,
        )
        return response(environ, start_response)

    def handle(self, request: Request) -> Response:
        if self.cors.is_preflight(request):
            return self.cors.preflight(request)
        matched = self.match(request.method, request.path)
        if matched is None and request.path == LOCAL_MAIL_PATH and self.aws_endpoint:
            response = self._local_mail(request)
        elif matched is None:
            response = self._static(request) or _api_error(404, "Not Found")
        else:
            route, path_parameters = matched
            request_id = new_request_id()
            response = self._route(request, route, path_parameters, request_id)
            response.headers["Apigw-Requestid"] = request_id
        self.cors.decorate(request, response)
        return response

    def _route(self, request: Request, route: Route, path_parameters: dict[str, str], request_id: str) -> Response:
        try:
            event = build_event(request, route, path_parameters, request_id=request_id)
        except RequestEntityTooLarge:
            log.warning("%s: the body is over the HTTP API's %d bytes: 413", route.route_key, MAX_PAYLOAD_BYTES)
            return _api_error(413, "Request Entity Too Large")
        size = invocation_payload_bytes(event)
        if size > MAX_INVOCATION_BYTES:
            log.warning(
                "%s: the event is %d bytes, over Lambda's %d-byte invocation payload: 413, %s is not invoked",
                route.route_key,
                size,
                MAX_INVOCATION_BYTES,
                route.function,
            )
            return _api_error(413, "Request Entity Too Large")
        return self._invoke(route, event)

    def _invoke(self, route: Route, event: dict[str, Any]) -> Response:
        try:
            result = self.pool.invoke(route.function, event)
        except InvocationError as error:
            log.error("%s failed: %s", route.function, error)
            return _api_error(500, "Internal Server Error")
        try:
            return build_response(result)
        except (AttributeError, TypeError, ValueError, KeyError) as error:
            log.error("%s returned a malformed response: %s", route.function, error)
            return _api_error(500, "Internal Server Error")

    def _local_mail(self, request: Request) -> Response:
        messages = sent_mail(self.aws_endpoint or "")
        if request.accept_mimetypes.best_match(["application/json", "text/html"]) == "text/html":
            return Response(mail_page(messages), content_type="text/html; charset=utf-8")
        return Response(json.dumps(messages), content_type="application/json")

    def _static(self, request: Request) -> Response | None:
        if self.static_dir is None or request.method not in ("GET", "HEAD"):
            return None
        relative = request.path.lstrip("/") or "index.html"
        target = safe_join(str(self.static_dir), relative)
        if target is None:
            return None
        path = Path(target)
        if path.is_dir():
            path = path / "index.html"
        if not path.is_file():
            return None
        try:
            return send_file(path, request.environ, max_age=0)
        except NotFound:
            return None
