"""Memory of each process `./dev run` starts (issue 13: "leaner"), from /proc.

Starts the four processes of `python -m bot run` in a checkout, with the commands the runner
uses (the Rasa server from `.venv/bin/rasa`; the action server, escalation service and gateway
as `python -m bot <name>` with `--python`, default the checkout's `.venv-svc`), waits until
each answers (up to 10 minutes: on a busy machine Rasa takes longer than the runner's 3), sends
a few messages through Rasa's REST channel so the NLU pipeline, the dialogue and the action
server have run, waits for the processes to settle, then reads RSS and PSS (shared pages split
between the processes that share them) of each process and its children from
/proc/<pid>/smaps_rollup. Run it on a checkout of the old layout (everything on .venv) and on
this one to compare; the figures and the commands are in docs/benchmarks.md.

    .venv-svc/bin/python bench/memory.py --model models/model-<fp>.tar.gz --label after
    .venv-svc/bin/python bench/memory.py --root /tmp/before --python /tmp/before/.venv/bin/python \
        --model ... --label before

Uses the ports of the checkout's .env (default 5005, 5055, 8080, 8090): stop `./dev run` first.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from pathlib import Path

from dotenv import dotenv_values

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.common import ROOT, write_results
from bot.ops.runner import stop, wait_ready

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


def measure(procs: dict[str, subprocess.Popen[bytes]]) -> dict[str, dict[str, object]]:
    rows: dict[str, dict[str, object]] = {}
    for name, proc in procs.items():
        pids = tree(proc.pid)
        rows[name] = {"rss_mb": sum(memory_kb(p)[0] for p in pids) // 1024,
                      "pss_mb": sum(memory_kb(p)[1] for p in pids) // 1024,
                      "processes": len(pids), "python": python_version(proc.pid)}
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
    parser.add_argument("--python", help="interpreter of the action server, escalation "
                        "service and gateway (default: the checkout's .venv-svc)")
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--label", default="this checkout")
    parser.add_argument("--settle", type=float, default=20.0, help="seconds after the talk")
    args = parser.parse_args()
    root = args.root.resolve()
    python = args.python or str(root / ".venv-svc" / "bin" / "python")
    values = {k: v for k, v in dotenv_values(root / ".env").items() if v is not None}
    env = {**os.environ, **values, "PYTHONWARNINGS": "ignore", "TF_CPP_MIN_LOG_LEVEL": "2",
           "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1"}
    token = env.get("RASA_TOKEN", "bench-memory-token")
    rasa = str(root / ".venv" / "bin" / "rasa")
    commands = {
        "rasa": ([rasa, "run", "--enable-api", f"--auth-token={token}", "--model",
                  str(args.model.resolve()), "--endpoints", "endpoints.yml", "--credentials",
                  "credentials.yml", "-i", "127.0.0.1", "-p", "5005"], "http://127.0.0.1:5005/"),
        "actions": ([python, "-m", "bot", "actions", "-p", "5055"],
                    "http://127.0.0.1:5055/health"),
        "escalation": ([python, "-m", "bot", "escalation"], "http://127.0.0.1:8080/healthz"),
        "gateway": ([python, "-m", "bot", "gateway"], "http://127.0.0.1:8090/healthz"),
    }
    logs = root / "var" / "bench-memory"
    logs.mkdir(parents=True, exist_ok=True)
    procs: dict[str, subprocess.Popen[bytes]] = {}
    try:
        for name, (cmd, _) in commands.items():
            with (logs / f"{name}.log").open("wb") as out:
                procs[name] = subprocess.Popen(cmd, cwd=root, env=env, stdout=out,
                                               stderr=subprocess.STDOUT)
        for name, (_, url) in commands.items():
            if not wait_ready(url, procs[name], 600):
                print((logs / f"{name}.log").read_text(errors="replace")[-3000:])
                return 1
            print(f"  {name} ready", flush=True)
        talk("http://127.0.0.1:5005")
        time.sleep(args.settle)
        rows = measure(procs)
    finally:
        stop(list(procs.values()), timeout=30)
    total_rss = sum(int(r["rss_mb"]) for r in rows.values())
    total_pss = sum(int(r["pss_mb"]) for r in rows.values())
    print(f"\n{args.label} ({root}, services on {python})")
    print("| process | Python | RSS MB | PSS MB |\n|---|---|---|---|")
    for name, row in rows.items():
        print(f"| {name} | {row['python']} | {row['rss_mb']} | {row['pss_mb']} |")
    print(f"| **all** | | **{total_rss}** | **{total_pss}** |")
    slug = "".join(c if c.isalnum() else "-" for c in args.label)
    write_results(f"memory-{slug}", {"label": args.label, "python": python, "rows": rows,
                                     "rss_mb": total_rss, "pss_mb": total_pss,
                                     "at": time.strftime("%Y-%m-%d %H:%M")})
    return 0


if __name__ == "__main__":
    sys.exit(main())
