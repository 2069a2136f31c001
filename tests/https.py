"""GET over HTTPS from kubesched's serving endpoints, whose certificate is self-signed."""

from __future__ import annotations

import ssl
import urllib.error
import urllib.request


def https_get(address: str, path: str, token: str | None = None) -> tuple[int, str]:
    """(status, body) of GET https://ADDRESS/PATH, with a bearer token if given; (0, "")
    when nothing answers."""
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    request = urllib.request.Request(f"https://{address}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, context=context, timeout=10) as response:
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()
    except (urllib.error.URLError, ConnectionError):
        return 0, ""
