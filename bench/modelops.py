"""Model operations, measured: retrain (full and NLU fine-tune), evaluate, swap, lost answers.

    .venv/bin/python bench/modelops.py [--skip-train] [--users 20]

Training runs in a temporary copy of config, domain and data/ (one example added, as after a
review), so the repository is never modified. The swap runs against a real `rasa run` with the
current trained model copied under two names, while `--users` simulated users keep talking
over the REST channel; every request that fails or returns no answer counts as lost.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.common import UNTHROTTLED  # noqa: E402
from bot.ops.training import rasa_executable, train  # noqa: E402


def _rasa_train(workdir: Path, name: str, extra: list[str]) -> float:
    started = time.monotonic()
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2", "PYTHONWARNINGS": "ignore"}
    subprocess.run([rasa_executable(), "train", "--config", "config.yml", "--domain",
                    "domain.yml", "--data", "data", "--out", "out", "--fixed-model-name", name,
                    *extra], cwd=workdir, env=env, check=True, capture_output=True)
    return time.monotonic() - started


def bench_training(base: Path) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        for name in ("config.yml", "domain.yml"):
            shutil.copy(ROOT / name, work / name)
        shutil.copytree(ROOT / "data", work / "data")
        chitchat = work / "data" / "nlu" / "chitchat.yml"
        chitchat.write_text(chitchat.read_text(encoding="utf-8").replace(
            "    - hejsan\n", "    - hejsan\n    - tjabba tjena mannen\n", 1), encoding="utf-8")
        full = _rasa_train(work, "full", [])  # cold cache: what a fresh machine pays
        chitchat.write_text(chitchat.read_text(encoding="utf-8").replace(
            "    - hejsan\n", "    - hejsan\n    - tjabba tjabba\n", 1), encoding="utf-8")
        warm = _rasa_train(work, "warm", [])  # examples added, Rasa's cache warm
        chitchat.write_text(chitchat.read_text(encoding="utf-8").replace(
            "    - hejsan\n", "    - hejsan\n    - tjenare mannen\n", 1), encoding="utf-8")
        finetune = _rasa_train(work, "ft", ["--finetune", str(base), "--epoch-fraction", "0.3"])
    return {"retrain_full_cold_s": full, "retrain_full_warm_cache_s": warm,
            "retrain_nlu_finetune_s": finetune}


def bench_evaluate(model: Path) -> float:
    from bot.ops.evaluation import evaluate_model

    started = time.monotonic()
    with tempfile.TemporaryDirectory() as tmp:
        evaluate_model(model, out_dir=Path(tmp))
    return time.monotonic() - started


def _say(url: str, sender: str, text: str) -> list:
    req = urllib.request.Request(f"{url}/webhooks/rest/webhook", method="POST",
                                 data=json.dumps({"sender": sender, "message": text}).encode(),
                                 headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(req, timeout=120) as resp:
        return json.loads(resp.read())


def bench_swap(model: Path, users: int) -> dict[str, float]:
    from bot.ops.modelops import ship

    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        a, b = work / "model-a.tar.gz", work / "model-b.tar.gz"
        shutil.copy(model, a)
        shutil.copy(model, b)
        (work / "endpoints.yml").write_text(
            f'tracker_store:\n  type: bot.rasa_plugins.tracker_store.SQLTrackerStore\n'
            f'  dialect: "sqlite"\n  db: "{work}/t.db"\n'
            "lock_store:\n  type: in_memory\n", encoding="utf-8")
        port, token = 5900 + os.getpid() % 90, "bench-token"
        url = f"http://127.0.0.1:{port}"
        log = (work / "rasa.log").open("wb")
        proc = subprocess.Popen(
            [rasa_executable(), "run", "--enable-api", f"--auth-token={token}", "--model", str(a),
             "--endpoints", str(work / "endpoints.yml"), "--credentials",
             str(ROOT / "credentials.yml"), "-i", "127.0.0.1", "-p", str(port)],
            cwd=ROOT, stdout=log, stderr=subprocess.STDOUT, env={**os.environ, **UNTHROTTLED})
        try:
            deadline = time.monotonic() + 240
            while time.monotonic() < deadline:
                try:
                    ship.status(url, token, timeout=2)
                    break
                except OSError:
                    time.sleep(0.5)
            sent, lost = [0], [0]
            lock, stop = threading.Lock(), threading.Event()

            def user() -> None:
                sender = uuid.uuid4().hex
                while not stop.is_set():
                    try:
                        ok = bool(_say(url, sender, "vad e sluta skjut"))
                    except Exception:
                        ok = False
                    with lock:
                        sent[0] += 1
                        lost[0] += 0 if ok else 1

            threads = [threading.Thread(target=user) for _ in range(users)]
            for t in threads:
                t.start()
            time.sleep(2)
            swap_s = ship.swap(b, url, token)
            time.sleep(2)
            stop.set()
            for t in threads:
                t.join()
        finally:
            proc.terminate()
            proc.wait(timeout=30)
    return {"swap_s": swap_s, "requests_during_bench": sent[0], "answers_lost": lost[0]}


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--skip-train", action="store_true")
    parser.add_argument("--users", type=int, default=20)
    args = parser.parse_args()
    model = train(quiet=True)
    results: dict[str, float] = {"cpus": float(os.cpu_count() or 0)}
    if not args.skip_train:
        results.update(bench_training(model))
    results["evaluate_s"] = bench_evaluate(model)
    results.update(bench_swap(model, args.users))
    for key, value in results.items():
        print(f"{key:<28}{value:>10.1f}" if isinstance(value, float) else f"{key:<28}{value:>10}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
