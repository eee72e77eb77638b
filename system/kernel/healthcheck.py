"""`python -m system.kernel.healthcheck`: the image's HEALTHCHECK, exit 0 if $HEALTH_URL answers 200.

Standard library only, so a probe every few seconds starts fast and imports nothing of the service.
"""

from __future__ import annotations

import os
import sys
import urllib.error
import urllib.request

DEFAULT_URL = "http://127.0.0.1:8000/healthz"


def healthy(url: str, timeout: float = 2.0) -> bool:
    """True if a GET of `url` answers 200 within `timeout` seconds."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def main() -> int:
    """Probe $HEALTH_URL; 0 healthy, 1 not."""
    url = os.environ.get("HEALTH_URL", DEFAULT_URL)
    ok = healthy(url)
    if not ok:
        print(f"unhealthy: {url}", file=sys.stderr)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
