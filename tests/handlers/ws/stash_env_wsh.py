"""The SHA-256 of HARNESS_STASH_CONFIG as this WebSocket server process sees it."""

import hashlib
import os


def main(ws, request):
    ws.send(hashlib.sha256(os.environ.get("HARNESS_STASH_CONFIG", "").encode()).hexdigest())
