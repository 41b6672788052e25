# Module-level state: pywebsocket sources a handler once, so connections share it.
import threading

_lock = threading.Lock()
_count = 0


def web_socket_do_extra_handshake(request):
    pass


def web_socket_transfer_data(request):
    global _count
    with _lock:
        _count += 1
        value = _count
    request.ws_stream.send_message(str(value))
