"""Serve a reference app the way ``identity serve`` serves ours, so a ratio compares apps alone.

One uvicorn worker, uvloop, and identity's HTTP protocol (``identity.web.http_protocol``:
uvicorn's httptools protocol, an answer's writes sent as one), no access log.

    .venv/bin/python -m bench.serve_app bench.bare:app --port 8001
"""

from __future__ import annotations

import argparse

import uvicorn

from identity.web.http_protocol import HttpProtocol


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("app", help="module:attribute of the ASGI app")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(
        args.app,
        port=args.port,
        loop="uvloop",
        http=HttpProtocol,
        access_log=False,
        log_level="warning",
    )


if __name__ == "__main__":
    main()
