"""Memory of each process `./dev run` starts (issue 13: "leaner"), from /proc.

Starts `python -m bot run --model M` in a checkout (default: this one, on its launcher's
runtime), waits until every process answers, sends a few messages through Rasa's REST
channel so the NLU pipeline, the dialogue and the action server have all run once, waits
for the processes to settle, then reads RSS and PSS (shared pages split between the
processes that share them) of each process and its children from /proc/<pid>/smaps_rollup.
Run it once on a checkout of the old layout (everything on .venv) and once on this one to
compare; the figures and the command are in docs/benchmarks.md.

    .venv-svc/bin/python bench/memory.py --model models/model-<fp>.tar.gz --label after
    .venv-svc/bin/python bench/memory.py --root /tmp/before --python /tmp/before/.venv/bin/python \
        --model ... --label before

Uses the default ports of .env (5005, 5055, 8080, 8090): stop `./dev run` first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PROCESS_NAMES = (("rasa", " run "), ("actions", "bot actions"), ("escalation", "bot escalation"),
                 ("gateway", "bot gateway"))
MESSAGES = ("hej", "jag vill hoppa av gänget", "vad händer på ett samtal?", "tack")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        with contextlib.suppress(OSError):
            found += [int(c) for c in (task / "children").read_text().split()]
    return found


def tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += children(p)
    return out


def memory_kb(pid: int) -> tuple[int, int]:
    rss = pss = 0
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Rss:"):
                rss = int(line.split()[1])
            elif line.startswith("Pss:"):
                pss = int(line.split()[1])
    except OSError:
        pass
    return rss, pss


def cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return ""


def python_version(pid: int) -> str:
    exe = os.readlink(f"/proc/{pid}/exe")
    done = subprocess.run([exe, "-c", "import platform; print(platform.python_version())"],
                          capture_output=True, text=True, check=False)
    return done.stdout.strip()


def measure(launcher: int) -> dict[str, dict[str, object]]:
    rows: dict[str, dict[str, object]] = {}
    rss, pss = memory_kb(launcher)
    rows["launcher (python -m bot run)"] = {"rss_mb": rss // 1024, "pss_mb": pss // 1024,
                                             "python": python_version(launcher)}
    for child in children(launcher):
        line = cmdline(child)
        name = next((n for n, needle in PROCESS_NAMES if needle in f"{line} "), line[:40])
        pids = tree(child)
        rss = sum(memory_kb(p)[0] for p in pids)
        pss = sum(memory_kb(p)[1] for p in pids)
        rows[name] = {"rss_mb": rss // 1024, "pss_mb": pss // 1024, "processes": len(pids),
                      "python": python_version(child)}
    return rows


def talk(rasa_url: str) -> None:
    sender = f"mem-{uuid.uuid4().hex[:8]}"
    for text in MESSAGES:
        request = urllib.request.Request(
            f"{rasa_url}/webhooks/rest/webhook",
            data=json.dumps({"sender": sender, "message": text}).encode(),
            headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=60) as resp:
                resp.read()
        except OSError as exc:  # the REST channel may take only the gateway: still loaded
            print(f"  message not answered ({exc}); measuring anyway", flush=True)
            return


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--root", type=Path, default=ROOT, help="the checkout to run")
    parser.add_argument("--python", help="interpreter for `-m bot run` (default: the "
                        "checkout's .venv-svc, else .venv)")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after the talk")
    args = parser.parse_args()
    root = args.root.resolve()
    python = args.python or next(str(p) for p in (root / ".venv-svc/bin/python",
                                                  root / ".venv/bin/python") if p.exists())
    log = (root / "var" / "bench-memory.log")
    log.parent.mkdir(exist_ok=True)
    env = {**os.environ, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
           "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    with log.open("wb") as out:
        proc = subprocess.Popen([python, "-m", "bot", "run", "--model", str(args.model.resolve())],
                                cwd=root, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 600
        while b"is running" not in log.read_bytes():
            if proc.poll() is not None or time.monotonic() > deadline:
                print(log.read_text(errors="replace")[-3000:])
                return 1
            time.sleep(1)
        talk("http://127.0.0.1:5005")
        time.sleep(args.settle)
        rows = measure(proc.pid)
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            proc.kill()
    total_rss = sum(int(r["rss_mb"]) for r in rows.values())
    total_pss = sum(int(r["pss_mb"]) for r in rows.values())
    print(f"\n{args.label}: `python -m bot run` ({python})")
    print("| process | Python | RSS MB | PSS MB |\n|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['python']} | {row['rss_mb']} | {row['pss_mb']} |")
    print(f"| **all** | | **{total_rss}** | **{total_pss}** |")
    results = ROOT / "results"
    results.mkdir(exist_ok=True)
    slug = "".join(c if c.isalnum() else "-" for c in args.label)
    (results / f"memory-{slug}.json").write_text(json.dumps(
        {"label": args.label, "python": python, "rows": rows, "rss_mb": total_rss,
         "pss_mb": total_pss, "at": time.strftime("%Y-%m-%d %H:%M")}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
