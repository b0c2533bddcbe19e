"""Installed by the benchmark into another connector's own virtualenv (bench/.venvs/<name>/.../site-packages).

Those connectors hard-code Xero's hosts. When BENCH_XERO_REDIRECT is set (the sandbox URL), every HTTP
request that `requests` sends to https://api.xero.com or https://identity.xero.com goes to the sandbox
instead, path and query unchanged. Both other connectors send through requests' HTTPAdapter (tap-xero with
Session.send, airbyte-cdk's HttpClient with a requests Session); http.client/urllib3 calls made without
requests are not rewritten. Without the variable this file does nothing.

One path is aliased too: tap-xero asks for /Organisations (plural). Xero reportedly answers it (pyxero moved
to the plural in 2013, tap-xero has always used it); the sandbox only knows /Organisation and would answer
404, a gap in the sandbox rather than a fault of tap-xero. The envelope key is "Organisations" either way.
"""

import os

_TARGET = os.environ.get("BENCH_XERO_REDIRECT", "").rstrip("/")
_HOSTS = ("https://api.xero.com", "https://identity.xero.com")
_ALIASES = {"/api.xro/2.0/Organisations": "/api.xro/2.0/Organisation"}

if _TARGET:
    try:
        import requests.adapters as _adapters
    except ImportError:  # pragma: no cover - nothing to redirect in this interpreter
        _adapters = None
    if _adapters is not None:
        _original_send = _adapters.HTTPAdapter.send

        def _redirected_send(self, request, *args, **kwargs):
            url = request.url or ""
            for host in _HOSTS:
                if url.startswith(host):
                    rest = url[len(host):]
                    for alias, path in _ALIASES.items():
                        if rest == alias or rest.startswith(alias + "?"):
                            rest = path + rest[len(alias):]
                    request.url = _TARGET + rest
                    break
            return _original_send(self, request, *args, **kwargs)

        _adapters.HTTPAdapter.send = _redirected_send
