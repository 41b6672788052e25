"""Sleep ?seconds=S (for handler timeouts and slow responses)."""

import time


def main(request, response):
    time.sleep(float(request.GET.first(b"seconds")))
    return "slept"
