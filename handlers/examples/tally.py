# examples/tally.py: GET /examples/tally.py?name=N counts one more visit to N; answers the count
from harness import local_stash, request


def bump():
    """A helper any handler (or module it imports) can call without being passed anything."""
    name = request.GET.first(b"name").decode()
    return local_stash.table("tallies").update(name, lambda count: count + 1, default=0)


def main(request, response):
    return str(bump())
