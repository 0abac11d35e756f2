"""Container health check: exit 0 when GET /health answers 200."""

import os
import sys
import urllib.request

port = os.environ.get("ASPNETCORE_HTTP_PORTS", "8080").split(";")[0]
try:
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/health", timeout=2) as r:
        sys.exit(0 if r.status == 200 else 1)
except OSError as exc:
    print(f"unhealthy: {exc}")
    sys.exit(1)
