"""Benchmarks for the assistant (issue: the Rasa bot). Prints figures and writes
results/bench_assistant.json.

  .venv/bin/python bench/assistant.py            # load time + REST latency (current model)
  .venv/bin/python bench/assistant.py --train    # also: training from scratch (no cache)

Figures: training time from scratch, time from `rasa run` to the first answer, REST channel
latency p50/p95/p99 and throughput at 1 and 20 concurrent users, server memory.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import RASA, ROOT, load, rss_mb, start_rasa, write_results
from bot.ops.evaluation import load_examples
from bot.ops.training import train


def train_from_scratch() -> float:
    """`rasa train` with an empty cache into a temporary folder; seconds."""
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RASA_CACHE_DIRECTORY": f"{tmp}/cache", "TF_CPP_MIN_LOG_LEVEL": "2"}
        started = time.monotonic()
        subprocess.run([RASA, "train", "--out", tmp, "--fixed-model-name", "bench"], cwd=ROOT,
                       env=env, check=True, capture_output=True)
        return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", action="store_true", help="also time training from scratch")
    parser.add_argument("--per-user", type=int, default=25)
    args = parser.parse_args()
    results: dict[str, object] = {}
    if args.train:
        results["train_from_scratch_s"] = round(train_from_scratch(), 1)
        print(f"training from scratch: {results['train_from_scratch_s']} s", flush=True)
    model = train(quiet=True)
    messages = [text for text, _ in load_examples()]
    with tempfile.TemporaryDirectory() as tmp:
        proc, url, ready = start_rasa(model, Path(tmp))
        try:
            results["ready_to_answer_s"] = round(ready, 1)
            print(f"rasa run -> first answer: {ready:.1f} s", flush=True)
            for users in (1, 20):
                figures = asyncio.run(load(url, messages, users, args.per_user * (4 if users == 1
                                                                                  else 1)))
                results[f"rest_{users}_users"] = figures
                print(f"REST {users:>2} users: {figures}", flush=True)
            results["rasa_rss_mb"] = round(rss_mb(proc.pid), 0)
            print(f"rasa server resident memory: {results['rasa_rss_mb']} MB")
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    write_results("bench_assistant", results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
