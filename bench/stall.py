"""The production profile's stalls at one user (issue 15, item 5): find and show them.

  .venv/bin/python bench/stall.py                      # 600 requests, one user, REST via nginx
  .venv/bin/python bench/stall.py --requests 1200 --tag after

Starts `bench/speed.py`'s production profile (nginx, 2 Rasa servers on PostgreSQL and Redis,
2 escalation instances, the action server, the gateway instances), sends the speed
benchmark's messages one after another (one user, a new conversation every 10 messages, as
`bench/speed.py --production` at one user), and prints every request slower than
--slow-ms with its message and what nginx logged for it: which instance answered, the
upstream's connect, header and total times. Figures go to results/bench_stall[_TAG].json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, percentile
from bench.speed import ProductionServer
from bot.ops.evaluation import load_examples


def _nginx_lines(server: ProductionServer) -> list[str]:
    log = server.profile.workdir / "nginx" / "access.log"
    return log.read_text(encoding="utf-8").splitlines() if log.exists() else []


async def drive(server: ProductionServer, requests: int, per_conversation: int,
                messages: list[str]) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    sender = ""
    timeout = aiohttp.ClientTimeout(total=150)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=1),
                                     timeout=timeout) as http:
        for i in range(requests):
            if i % per_conversation == 0:
                sender = f"stall-{uuid.uuid4().hex}"
            text = messages[i % len(messages)]
            t0 = time.perf_counter()
            status: int | None = None
            try:
                async with http.post(f"{server.url}/webhooks/rest/webhook",
                                     headers=server.headers,
                                     json={"sender": sender, "message": text}) as resp:
                    await resp.read()
                    status = resp.status
            except (aiohttp.ClientError, asyncio.TimeoutError):
                status = None
            rows.append({"i": i, "ms": (time.perf_counter() - t0) * 1000, "status": status,
                         "text": text, "turn": i % per_conversation})
    return rows


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=600)
    parser.add_argument("--conversation", type=int, default=10)
    parser.add_argument("--slow-ms", type=float, default=300.0)
    parser.add_argument("--passes", type=int, default=1,
                        help="send the same messages again: a request slow only in the first "
                             "pass is a cold path (something loaded on first use)")
    parser.add_argument("--tag", default="")
    args = parser.parse_args(argv)
    from bot.ops.training import train

    model = train(quiet=True)
    messages = [text for text, _ in load_examples()]
    server = ProductionServer("ours-prod", model, messages)
    base = Path(tempfile.mkdtemp(prefix="bench-stall-"))
    try:
        server.start(base)
        print(f"production profile ready after {server.ready_s:.0f} s; "
              f"{args.requests} requests at one user ...", flush=True)
        before = len(_nginx_lines(server))
        rows = []
        for number in range(args.passes):
            for row in asyncio.run(drive(server, args.requests, args.conversation, messages)):
                rows.append({**row, "pass": number + 1, "i": len(rows)})
        time.sleep(0.5)
        lines = _nginx_lines(server)[before:]
    finally:
        server.stop()
    rest = [line for line in lines if "/webhooks/rest/webhook" in line]
    ms = [r["ms"] for r in rows]
    slow = [r for r in rows if r["ms"] > args.slow_ms]
    summary = {
        "requests": len(rows), "errors": sum(r["status"] != 200 for r in rows),
        "p50_ms": round(percentile(ms, 50), 1), "p95_ms": round(percentile(ms, 95), 1),
        "p99_ms": round(percentile(ms, 99), 1), "max_ms": round(max(ms), 1),
        "over_1s": sum(m > 1000 for m in ms), "slow": len(slow),
    }
    print(json.dumps(summary))
    for r in slow:
        line = rest[r["i"]] if r["i"] < len(rest) else "?"
        print(f"  #{r['i']:4d} pass {r['pass']} turn {r['turn']} {r['ms']:7.0f} ms "
              f"status {r['status']} "
              f"{r['text'][:50]!r}\n        nginx: {line}")
    out = ROOT / "results" / f"bench_stall{'_' + args.tag if args.tag else ''}.json"
    out.parent.mkdir(exist_ok=True)
    out.write_text(json.dumps({"summary": summary, "slow": slow,
                               "nginx_slow": [rest[r["i"]] for r in slow if r["i"] < len(rest)]},
                              ensure_ascii=False, indent=1), encoding="utf-8")
    print(f"written {out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
