"""harness.current_request() gives helper code the request without passing it around."""

from harness import current_request


def path_from_context():
    return current_request().url_parts.path


def main(request, response):
    return path_from_context()
