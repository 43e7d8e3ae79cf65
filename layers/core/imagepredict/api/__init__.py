"""HTTP API plumbing shared by the API functions: the resolver, JSON errors, request bodies, bearer tokens."""

from imagepredict.api.http import bearer_token, create_resolver, json_body, json_response

__all__ = ["bearer_token", "create_resolver", "json_body", "json_response"]
