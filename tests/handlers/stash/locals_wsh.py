"""Context locals from a helper module in a WebSocket handler: sends JSON of what it saw."""

import json

import stash_locals_helper as helper


def main(ws, request):
    ws.send(
        json.dumps(
            {
                "direct": helper.describe(),
                "thread": helper.in_a_thread(),
                "response": helper.response_problem(),
            }
        )
    )
