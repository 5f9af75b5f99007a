"""Start every process of the system on one machine and print where to reach it.

`python -m bot run` trains a model if its inputs changed, then starts the action server
(`python -m bot actions`, behind ACTION_SERVER_TOKEN), the Rasa server (REST channel + HTTP
API) and the project's own services, waits until each answers, prints the URLs and keeps
them running until Ctrl-C (bot.ops.supervisor: a process that exits is started again). Logs go
to var/log/.
"""

from __future__ import annotations

import argparse
import os
import secrets
import signal
import subprocess
import time
import urllib.error
import urllib.request
from dataclasses import dataclass
from pathlib import Path

from bot.ops.supervisor import Supervisor
from bot.ops.training import train
from bot.runtimes import Runtime, bot_command, rasa_command, rasa_executable, runtime_of_cmd
from bot.settings import ROOT, Settings, load, process_env, set_env_default

LOG_DIR = ROOT / "var" / "log"


def private_data_dir() -> None:
    """var/ holds the databases and logs: readable by the owner only."""
    (ROOT / "var").mkdir(mode=0o700, exist_ok=True)
    os.chmod(ROOT / "var", 0o700)


def run_retention() -> None:
    """Delete what is past retention (hourly while the system runs; see bot.ops.retention)."""
    from bot.ops.retention import Databases, purge

    try:
        days = load().retention_days
        dbs = Databases.from_env()
        counts = purge(dbs, days)
        if any(counts.values()):
            print(f"retention: deleted {counts}", flush=True)
        if dbs.unchecked:  # readers kept the WAL busy: the next hourly run truncates it
            print("retention: WAL not truncated yet for " + ", ".join(dbs.unchecked),
                  flush=True)
    except Exception as exc:  # a failed purge must not stop the assistant; it retries
        print(f"retention failed, will retry in an hour: {exc}", flush=True)


# secrets shared only between processes this launcher starts: without one in .env, a random
# one for this run (every process inherits it)
RUN_SECRETS = ("ACTION_SERVER_TOKEN", "GATEWAY_CALLBACK_TOKEN")


def ensure_action_server_token() -> None:
    """Rasa (endpoints.yml) and the action server read ACTION_SERVER_TOKEN; Rasa's callback
    channel and the gateway read GATEWAY_CALLBACK_TOKEN."""
    for name in RUN_SECRETS:
        set_env_default(name, secrets.token_urlsafe(32))


@dataclass(frozen=True)
class ProcessSpec:
    """One process to start: its command and a URL that answers once it is ready.

    `cmd` comes from bot.runtimes.bot_command()/rasa_command(), so its program is the
    interpreter of the process's runtime (`runtime`: rasa or services; None for nginx).
    """

    name: str
    cmd: list[str]
    ready_url: str

    @property
    def runtime(self) -> Runtime | None:
        return runtime_of_cmd(self.cmd)


def process_specs(settings: Settings, model: Path) -> list[ProcessSpec]:
    specs = [
        ProcessSpec(
            "actions",
            bot_command("actions", "-p", str(settings.action_port)),
            f"http://127.0.0.1:{settings.action_port}/health",
        ),
        ProcessSpec(
            "rasa",
            rasa_command("run", "--enable-api", f"--auth-token={settings.rasa_token}",
                         "--model", str(model), "--endpoints", "endpoints.yml",
                         "--credentials", "credentials.yml", "-i", settings.rasa_host,
                         "-p", str(settings.rasa_port)),
            f"{settings.rasa_url}/",
        ),
    ]
    specs.append(
        ProcessSpec(
            "escalation",
            bot_command("escalation"),
            f"{settings.escalation_url}/healthz",
        )
    )
    specs.append(
        ProcessSpec(
            "gateway",
            bot_command("gateway"),
            f"{settings.gateway_url}/healthz",
        )
    )
    return specs


def wait_ready(url: str, proc: subprocess.Popen[bytes], timeout: float) -> bool:
    """Poll `url` until it answers (any HTTP status) or the process dies."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            return False
        try:
            with urllib.request.urlopen(url, timeout=2):
                return True
        except urllib.error.HTTPError:
            return True
        except (urllib.error.URLError, OSError):
            time.sleep(0.3)
    return False


def launch(spec: ProcessSpec) -> subprocess.Popen[bytes]:
    """Start one process, its output appended to var/log/<name>.log."""
    private_data_dir()
    LOG_DIR.mkdir(parents=True, exist_ok=True)
    env = process_env(None, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    with (LOG_DIR / f"{spec.name}.log").open("ab") as log:
        return subprocess.Popen(spec.cmd, cwd=ROOT, env=env, stdout=log,
                                stderr=subprocess.STDOUT)


def start(specs: list[ProcessSpec], timeout: float = 180) -> list[subprocess.Popen[bytes]]:
    """Start every process, wait for each to be ready; stop all if one fails."""
    procs = [launch(spec) for spec in specs]
    started = time.monotonic()
    for spec, proc in zip(specs, procs, strict=True):
        if not wait_ready(spec.ready_url, proc, timeout - (time.monotonic() - started)):
            stop(procs)
            raise RuntimeError(f"{spec.name} did not start; see var/log/{spec.name}.log")
        print(f"  {spec.name:<11} ready after {time.monotonic() - started:4.1f} s", flush=True)
    return procs


def stop(procs: list[subprocess.Popen[bytes]], timeout: float = 15) -> None:
    """SIGTERM to every process, then SIGKILL to each still running after `timeout` s."""
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            proc.kill()


def print_urls(settings: Settings) -> None:
    print(
        "\nSluta skjut assistant is running:\n"
        f"  Web chat       {settings.gateway_url}/\n"
        f"  SMS webhooks   {settings.gateway_url}/sms/twilio , /sms/46elks/<secret>\n"
        f"  Coach console  {settings.escalation_url}/\n"
        f"  REST channel   POST {settings.rasa_url}/webhooks/rest/webhook  "
        '{"sender": "<random id>", "message": "hej"}\n'
        f"  Rasa HTTP API  {settings.rasa_url}/  (token: RASA_TOKEN from .env)\n"
        f"  Action server  http://127.0.0.1:{settings.action_port}/health\n"
        "  Talk in the terminal: ./dev shell\n"
        f"  Logs: {LOG_DIR.relative_to(ROOT)}/   Stop: Ctrl-C\n",
        flush=True,
    )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot run")
    parser.add_argument("--model", type=Path, help="model to serve (default: current inputs)")
    args = parser.parse_args(argv)
    settings = load()
    model = args.model or train()
    (ROOT / "var").mkdir(exist_ok=True)
    ensure_action_server_token()
    print("starting processes ...", flush=True)
    specs = {spec.name: spec for spec in process_specs(settings, model)}
    procs = dict(zip(specs, start(list(specs.values())), strict=True))
    print_urls(settings)
    stopping = False

    def _stop(*_: object) -> None:
        nonlocal stopping
        stopping = True

    def restart(name: str) -> float:
        started = time.monotonic()
        procs[name] = launch(specs[name])
        if not wait_ready(specs[name].ready_url, procs[name], 180):
            raise RuntimeError(f"not ready; see var/log/{name}.log")
        return time.monotonic() - started

    signal.signal(signal.SIGINT, _stop)
    signal.signal(signal.SIGTERM, _stop)
    supervisor = Supervisor(
        dead=lambda: [name for name, proc in procs.items() if proc.poll() is not None],
        restart=restart, retention=run_retention, log_hint="var/log/")
    try:
        return supervisor.run(lambda: stopping)
    finally:
        print("stopping ...", flush=True)
        stop(list(procs.values()))


def shell(argv: list[str]) -> int:
    """Chat in the terminal: action server in the background, `rasa shell` in front."""
    settings = load()
    model = train()
    ensure_action_server_token()
    procs = start(process_specs(settings, model)[:1])
    try:
        return subprocess.call(
            [rasa_executable(), "shell", "--model", str(model), "--endpoints", "endpoints.yml",
             *argv],
            cwd=ROOT, env=process_env(),
        )
    finally:
        stop(procs)
