"""Context locals from a helper module in an HTTP handler: answers JSON of what it saw."""

import json

import stash_locals_helper as helper


def main(request, response):
    helper.mark_response()
    return json.dumps(
        {
            "direct": helper.describe(),
            "thread": helper.in_a_thread(),
            "executor": helper.in_an_executor(),
            "plain_thread": helper.unbound_in_plain_thread(),
        }
    )
