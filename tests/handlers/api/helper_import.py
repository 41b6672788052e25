"""Import a helper module from the document root, as wptserve allows."""

import helper_module


def main(request, response):
    return helper_module.greeting()
