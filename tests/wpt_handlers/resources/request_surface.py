import json

from wptserve.utils import isomorphic_decode


def main(request, response):
    items = {isomorphic_decode(k): [isomorphic_decode(v) for v in values] for k, values in request.headers.items()}
    names = [isomorphic_decode(name) for name in request.headers]
    raw = request.raw_headers
    cookie = request.cookies.get(b"flavour")
    config = request.server.config
    data = {
        "items_x_case": items.get("x-case"),
        "names_are_lower": all(name == name.lower() for name in names),
        "raw_type": type(raw).__module__ + "." + type(raw).__name__,
        "raw_get_x_case": raw.get("X-Case"),
        "raw_get_all_multi": raw.get_all("X-Multi"),
        "cookie_str": str(cookie) if cookie is not None else None,
        "ports_http_first": config["ports"]["http"][0],
        "ports_https_is_list": isinstance(config["ports"]["https"], list),
        "domains": config["domains"],
        "all_domains_alias": sorted(config.all_domains),
        "browser_host": config["browser_host"],
        "alternate_hosts": config["alternate_hosts"],
        "url_base": request.url_base,
        "doc_root_set": bool(request.doc_root),
    }
    return [(b"Content-Type", b"application/json")], json.dumps(data)
