"""Put a model live in the running Rasa server without downtime, and roll back.

Rasa's `PUT /model` loads the new model into a new Agent while the old one keeps answering,
then swaps them; the tracker store is the same, so ongoing conversations continue with the
new model. The command then polls `GET /status` until Rasa reports the new file.

    python -m bot ship models/model-x.tar.gz     python -m bot rollback
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from bot.clients.rasa import RasaClient, RasaError
from bot.ops.modelops import live
from bot.settings import load


def rasa_url() -> str:
    return load().rasa_url


def rasa_token() -> str:
    return load().rasa_token


def status(url: str, token: str, timeout: float = 10) -> dict:
    """Rasa's GET /status (which model it serves); OSError while Rasa does not answer."""

    async def run() -> dict:
        async with RasaClient(url, token, timeout_seconds=timeout) as rasa:
            try:
                return await rasa.status()
            except RasaError as exc:
                raise OSError(str(exc)) from exc

    return asyncio.run(run())


def swap(model: Path, url: str, token: str, timeout: float = 300) -> float:
    """PUT /model and wait until Rasa serves it; returns the seconds it took."""

    async def run() -> float:
        started = time.monotonic()
        async with RasaClient(url, token, timeout_seconds=timeout) as rasa:
            try:
                await rasa.replace_model(str(model.resolve()))
            except RasaError as exc:
                raise RuntimeError(f"Rasa refused the model: {exc}") from exc
            while time.monotonic() - started < timeout:
                served = str((await rasa.status()).get("model_file") or "")
                if Path(served).name == model.name or served == str(model.resolve()):
                    return time.monotonic() - started
                await asyncio.sleep(0.2)
        raise RuntimeError("Rasa did not report the new model in time")

    return asyncio.run(run())


def ship(model: Path, url: str | None = None, token: str | None = None,
         action: str = "ship", note: str = "") -> float:
    if not model.exists():
        raise FileNotFoundError(model)
    seconds = swap(model, url or rasa_url(), token or rasa_token())
    live.record(model, action, note)
    return seconds


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot ship",
                                     description="Sätt en modell i drift utan avbrott")
    parser.add_argument("model", type=Path)
    parser.add_argument("--note", default="")
    parser.add_argument("--skip-gate", action="store_true",
                        help="ship without running the gate (emergencies only)")
    args = parser.parse_args(argv)
    if not args.skip_gate:
        from bot.ops.modelops import gate

        code = gate.main(["--candidate", str(args.model)])
        if code != 0:
            print("not shipped: the gate failed (see above)")
            return code
    try:
        seconds = ship(args.model, note=args.note)
    except (OSError, RuntimeError) as exc:
        print(f"not shipped: {exc}")
        return 1
    print(f"live: {args.model} (swap took {seconds:.1f} s); history in {live.live_file()}")
    return 0


def rollback_main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot rollback",
                                     description="Återställ den förra modellen")
    parser.parse_args(argv)
    target = live.previous()
    if target is None:
        print("nothing to roll back to: models/live.json has no earlier model")
        return 1
    try:
        seconds = ship(target, action="rollback")
    except (OSError, RuntimeError) as exc:
        print(f"rollback failed: {exc}")
        return 1
    print(f"rolled back to {target} ({seconds:.1f} s)")
    return 0
