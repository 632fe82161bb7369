"""`python -m wagtail_imagegen.testing.fake_api`: serve the fake image API on loopback until interrupted."""

from __future__ import annotations

import argparse
import threading
from datetime import date

from .fake_api import FakeImageAPI
from .server import require_loopback, serve_fake_api


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m wagtail_imagegen.testing.fake_api",
        description="Serve a fake, OpenAI-compatible Images API (and Gemini's generateContent for image models, "
                    "under /v1beta/models/MODEL:generateContent) on a loopback address.",
    )
    parser.add_argument("--host", default="127.0.0.1", help="a loopback address (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=8099, help="0 picks a free port (default 8099)")
    parser.add_argument("--latency", type=float, default=0.0, help="seconds to wait before each answer")
    parser.add_argument("--ipm", type=int, default=None, help="images-per-minute limit (default: none)")
    parser.add_argument("--fault-rate", type=float, default=0.0,
                        help="share of calls (0-1) failing with a random 5xx, 524 or hang (default 0)")
    parser.add_argument("--api-key", default="sk-fake-key", help="the key to require (default sk-fake-key)")
    parser.add_argument("--any-key", action="store_true", help="accept any API key")
    parser.add_argument("--serve-retired", action="store_true",
                        help="keep serving models past their shutdown date, like a gateway (default: answer 404)")
    parser.add_argument("--today", type=date.fromisoformat, default=None, metavar="YYYY-MM-DD",
                        help="the date the model calendar is read on (default: today, UTC)")
    args = parser.parse_args(argv)
    try:
        require_loopback(args.host)
    except ValueError as error:
        parser.error(str(error))
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    api = FakeImageAPI(api_key=None if args.any_key else args.api_key, latency=args.latency, ipm=args.ipm,
                       fault_rate=args.fault_rate, today=args.today, serve_retired=args.serve_retired)
    with serve_fake_api(api, host=args.host, port=args.port) as served:
        print(f"Fake image API serving at {served.base_url} (Ctrl+C to stop)", flush=True)
        try:
            threading.Event().wait()
        except KeyboardInterrupt:
            print("Stopped.", flush=True)
