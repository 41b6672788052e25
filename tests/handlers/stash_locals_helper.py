"""Not a handler: a module handlers import, using the context locals instead of arguments."""

import concurrent.futures

from harness import HandlerThread, bind_context, local_stash, request, response


def describe():
    return {
        "path": request.url_parts.path,
        "scheme": request.server.scheme,
        "stash_path": local_stash.default_path,
    }


def mark_response():
    response.headers.set("X-Helper", "set through harness.response")


def in_a_thread():
    seen = {}
    worker = HandlerThread(target=lambda: seen.update(describe()))
    worker.start()
    worker.join()
    return seen


def in_an_executor():
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(bind_context(describe)).result()


def response_problem():
    try:
        _ = response.status
    except RuntimeError as exc:
        return str(exc)
    return None


def unbound_in_plain_thread():
    import threading

    outcome = {}

    def run():
        try:
            _ = request.url
        except RuntimeError as exc:
            outcome["error"] = str(exc)

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    return outcome.get("error")
