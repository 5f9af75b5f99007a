"""Retrain after the review inbox added examples.

- full (default): `bot.ops.training.train`, i.e. `rasa train` on config, domain and data. Rasa 3
  caches every graph node in .rasa/cache, so when only NLU data changed the dialogue policies
  are not trained again; the classifier is trained from scratch.
- --nlu-only: fine-tune the classifier of a base model (the live one, else the newest full
  model) with `rasa train --finetune BASE --epoch-fraction F`. The result is a complete model
  (policies included) that Rasa can serve. Fine-tuning cannot learn a *new* intent (the label
  set of the base is fixed), so when an intent is new the command falls back to a full train.

    python -m bot retrain [--nlu-only] [--epoch-fraction 0.3]
"""

from __future__ import annotations

import argparse
import subprocess
import time
from pathlib import Path

import yaml

from bot.escalation.review.nlu_files import read_intents
from bot.ops import training
from bot.ops.modelops import live
from bot.settings import process_env


def _model_intents(model: Path) -> set[str] | None:
    """Intents the base model's domain knows (None if the archive cannot be read)."""
    import tarfile

    try:
        with tarfile.open(model) as tar:
            for member in tar.getmembers():
                if member.name.endswith("domain.yml"):
                    fh = tar.extractfile(member)
                    if fh is None:
                        return None
                    domain = yaml.safe_load(fh.read()) or {}
                    return {i if isinstance(i, str) else next(iter(i))
                            for i in domain.get("intents", [])}
    except (OSError, tarfile.TarError):
        return None
    return None


def base_model() -> Path | None:
    current = live.current()
    if current is not None and current.exists():
        return current
    full = sorted(training.MODELS_DIR.glob("model-*.tar.gz"), key=lambda p: p.stat().st_mtime)
    full = [p for p in full if "-nlu" not in p.name and "-ft" not in p.name]
    return full[-1] if full else None


def finetune(base: Path, epoch_fraction: float = 0.3, quiet: bool = False) -> Path:
    """A full model whose classifier is fine-tuned from `base` on the current data."""
    training.content.build()
    fp = training.fingerprint()
    target = training.MODELS_DIR / f"model-{fp}-ft.tar.gz"
    if target.exists():
        return target
    cmd = [training.rasa_executable(), "train", "--config", "config.yml", "--domain",
           "domain.yml", "--data", "data", "--out", str(training.MODELS_DIR),
           "--fixed-model-name", target.name.removesuffix(".tar.gz"),
           "--finetune", str(base), "--epoch-fraction", str(epoch_fraction)]
    env = process_env(None, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    result = subprocess.run(cmd, cwd=training.ROOT, env=env, capture_output=quiet, text=True)
    if result.returncode != 0 or not target.exists():
        raise RuntimeError(f"fine-tuning failed with exit code {result.returncode}")
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot retrain")
    parser.add_argument("--nlu-only", action="store_true",
                        help="fine-tune the classifier of the live model (examples added only)")
    parser.add_argument("--epoch-fraction", type=float, default=0.3)
    parser.add_argument("--force", action="store_true", help="full: train even if up to date")
    args = parser.parse_args(argv)
    started = time.monotonic()
    if args.nlu_only:
        base = base_model()
        files, _ = read_intents(training.ROOT / "data" / "nlu")
        known = _model_intents(base) if base else None
        new = sorted(set(files) - known) if known is not None else None
        if base is None or new is None or new:
            why = ("no base model" if base is None else
                   f"new intents {new}" if new else "base model unreadable")
            print(f"fine-tuning not possible ({why}); training in full")
        else:
            print(f"fine-tuning from {base.name} (epoch fraction {args.epoch_fraction}) ...")
            model = finetune(base, args.epoch_fraction)
            print(f"model {model} in {time.monotonic() - started:.0f} s")
            return 0
    model = training.train(force=args.force)
    print(f"model {model} in {time.monotonic() - started:.0f} s")
    return 0
