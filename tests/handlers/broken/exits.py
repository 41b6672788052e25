import sys


def main(request, response):
    sys.exit(3)
