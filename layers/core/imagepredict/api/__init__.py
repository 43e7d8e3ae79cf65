"""HTTP API plumbing shared by the API functions: the validating resolver, JSON errors, who is calling, the docs."""

from imagepredict.api.http import create_resolver

__all__ = ["create_resolver"]
