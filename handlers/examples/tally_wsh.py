# examples/tally_wsh.py: ws[s]://.../examples/tally?name=N: each message counts one more visit
def main(ws, request):
    name = request.GET.first(b"name").decode()
    tallies = request.server.stash.table("tallies")
    for _message in ws:
        ws.send(str(tallies.update(name, lambda count: count + 1, default=0)))
