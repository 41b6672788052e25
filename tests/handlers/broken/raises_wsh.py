def main(ws, request):
    ws.recv()
    raise ValueError("the WebSocket handler broke on purpose")
