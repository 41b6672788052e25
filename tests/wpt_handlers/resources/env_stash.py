import json

from wptserve.stash import Stash, StashError, load_env_config


def main(request, response):
    address, authkey = load_env_config()
    stash = Stash("/shared/path", address=address, authkey=authkey)
    key = request.GET.first(b"key")
    if request.GET.first(b"action") == b"put":
        stash.put(key, request.GET.first(b"value").decode())
        try:
            stash.put(key, "again")
            twice = "allowed"
        except StashError:
            twice = "StashError"
        return json.dumps({"second_put": twice})
    with stash.lock:
        value = stash.take(key)
    return json.dumps({"value": value})
