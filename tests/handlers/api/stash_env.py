"""The SHA-256 of HARNESS_STASH_CONFIG as this server process sees it (never the value)."""

import hashlib
import os


def main(request, response):
    return hashlib.sha256(os.environ.get("HARNESS_STASH_CONFIG", "").encode()).hexdigest()
