"""Raise HTTPException(403, ...) as wptserve handlers do."""

from harness import HTTPException


def main(request, response):
    raise HTTPException(403, "members only")
