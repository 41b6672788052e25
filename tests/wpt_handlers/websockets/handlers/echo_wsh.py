# Echoes every message with its type; "echo" is chosen when the client offers it; a client
# close is answered with the same code and reason (none for an empty close frame).
from mod_pywebsocket import common


def web_socket_do_extra_handshake(request):
    offered = request.ws_requested_protocols or []
    if "echo" in offered:
        request.ws_protocol = "echo"
    elif offered:
        request.ws_protocol = offered[0]


def web_socket_transfer_data(request):
    while True:
        message = request.ws_stream.receive_message()
        if message is None:
            return
        request.ws_stream.send_message(message, binary=not isinstance(message, str))
        if message == "Goodbye":
            return


def web_socket_passive_closing_handshake(request):
    if request.ws_close_code == common.STATUS_NO_STATUS_RECEIVED:
        return None, ""
    return request.ws_close_code, request.ws_close_reason
