"""Origins (`scheme://host[:port]`) of URLs, compared as browsers compare them."""

from __future__ import annotations

from urllib.parse import urlsplit

DEFAULT_PORTS = {"http": 80, "https": 443}


def port_problem(port: str) -> str | None:
    """Return why `port`, as written after a host's colon, is not a port (1-65535), or None."""
    # ASCII digits only, for the reason without_default_port gives.
    if port.isascii() and port.isdigit() and 0 < int(port) <= 65535:
        return None
    return f"port {port!r} is not a port: 1-65535"


def without_default_port(scheme: str, netloc: str) -> str:
    """Return `netloc` without its port when that is the scheme's default (`:443` for https).

    Browsers leave the default port out of an origin (`location.origin`), so
    `https://app.example.com:443` is `https://app.example.com`; an empty port (`host:`) too.
    """
    default = DEFAULT_PORTS.get(scheme.lower())
    host, colon, port = netloc.rpartition(":")
    # ASCII digits only: str.isdigit() also accepts "²", which int() refuses, and int() reads
    # full-width digits as a number where a browser sees no port at all.
    if default is None or not colon or not (port == "" or (port.isascii() and port.isdigit())):
        return netloc
    return host if port == "" or int(port) == default else netloc


def drop_default_port(url: str) -> str:
    """Return `url` without its scheme's default port, as a browser writes it.

    `https://app.example.com:443/x` is `https://app.example.com/x` (the origin `origin_of`
    gives both); any other URL is returned as it is. The host part ends where `urlsplit` ends
    it, at the first "/", "?" or "#".
    """
    scheme, _, rest = url.partition("://")
    if ":" not in rest or scheme.lower() not in DEFAULT_PORTS:  # most URLs: no port at all
        return url
    end = len(rest)
    for mark in "/?#":
        at = rest.find(mark, 0, end)
        if at != -1:
            end = at
    netloc = rest[:end]
    if ":" not in netloc:
        return url
    host = without_default_port(scheme, netloc)
    return url if host == netloc else f"{scheme}://{host}{rest[end:]}"


def origin_of(url: str) -> str:
    """Return scheme://host[:port] of a URL (no default port), or '' when it has none."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return ""
    if not (parts.scheme and parts.netloc):
        return ""
    return f"{parts.scheme}://{without_default_port(parts.scheme, parts.netloc)}"


def normal_origin(origin: str) -> str:
    """Return an allowed origin as `origin_of` gives it (`https://a.example:443/` is
    `https://a.example`); text that is no URL stays as it is."""
    return origin_of(origin) or origin
