"""Try to recv from two threads at once; report what the second one got."""

import threading


def main(ws, request):
    outcome = []
    blocked = threading.Thread(target=lambda: _recv_quietly(ws))
    blocked.start()
    while blocked.is_alive() and not ws._recv_lock.locked():
        blocked.join(0.01)
    try:
        ws.recv(timeout=1)
        outcome.append("no error")
    except Exception as exc:  # noqa: BLE001
        outcome.append(type(exc).__name__)
    ws.send(outcome[0])
    ws.close()
    blocked.join(5)


def _recv_quietly(ws):
    try:
        ws.recv(timeout=5)
    except Exception:  # noqa: BLE001
        pass
