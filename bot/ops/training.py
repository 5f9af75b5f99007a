"""Train a Rasa model only when what it is trained from has changed.

The model file name carries a fingerprint of every input (config, domain, training data,
content file and the code of the custom NLU components), so "is there a model for this
exact input?" is a file lookup, and the run command, tests and benchmarks share one model.
"""

from __future__ import annotations

import argparse
import hashlib
import subprocess
import time
from pathlib import Path

from bot import content
from bot.runtimes import rasa_executable
from bot.settings import ROOT, process_env

MODELS_DIR = ROOT / "models"
_INPUTS = ("config.yml", "domain.yml", "data", "bot/rasa_plugins/nlu", "bot/safety.py",
           "bot/protocol.py",
           "bot/language.py", "bot/textnorm.py", "tests/data/safety",
           "tests/data/safety_phrases.yml",
           "tests/data/safety_phrases_2.yml", "tests/data/safety_phrases_blind.yml")


def _input_files(root: Path) -> list[Path]:
    files: list[Path] = []
    for name in _INPUTS:
        path = root / name
        if path.is_dir():
            files.extend(p for p in path.rglob("*") if p.is_file() and p.suffix in {".yml", ".py"})
        elif path.exists():
            files.append(path)
    return sorted(files)


def fingerprint(root: Path = ROOT, config: str = "config.yml") -> str:
    """A short hash of all training inputs (file paths and contents)."""
    digest = hashlib.sha256()
    for path in _input_files(root):
        rel = path.relative_to(root).as_posix()
        if rel == "config.yml":
            path = root / config  # an alternative config replaces the default one
        digest.update(rel.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:12]


def model_path(fp: str, prefix: str = "model") -> Path:
    return MODELS_DIR / f"{prefix}-{fp}.tar.gz"


def train(
    force: bool = False,
    config: str = "config.yml",
    prefix: str = "model",
    nlu_only: bool = False,
    quiet: bool = False,
) -> Path:
    """Return the model for the current inputs, training it first if it does not exist."""
    content.build()  # the domain's responses must reflect the content file before hashing
    fp = fingerprint(config=config)
    target = model_path(fp, prefix + ("-nlu" if nlu_only else ""))
    if target.exists() and not force:
        if not quiet:
            print(f"model up to date: {target.relative_to(ROOT)}")
        return target
    MODELS_DIR.mkdir(exist_ok=True)
    cmd = [rasa_executable(), "train", *(["nlu"] if nlu_only else []), "--config", config,
           "--out", str(MODELS_DIR), "--fixed-model-name", target.name.removesuffix(".tar.gz")]
    if not nlu_only:
        cmd += ["--domain", "domain.yml"]
    cmd += ["--data", "data"]
    print(f"training {'NLU ' if nlu_only else ''}model {target.name} ...", flush=True)
    started = time.monotonic()
    env = process_env(None, TF_CPP_MIN_LOG_LEVEL="2", PYTHONWARNINGS="ignore")
    result = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=quiet, text=True)
    if result.returncode != 0 or not target.exists():
        if quiet:
            print(result.stdout[-4000:], result.stderr[-4000:], sep="\n")
        raise RuntimeError(f"rasa train failed with exit code {result.returncode}")
    print(f"trained {target.name} in {time.monotonic() - started:.0f} s", flush=True)
    return target


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot train")
    parser.add_argument("--force", action="store_true", help="train even if a model exists")
    parser.add_argument("--config", default="config.yml")
    parser.add_argument("--nlu-only", action="store_true")
    args = parser.parse_args(argv)
    train(force=args.force, config=args.config, nlu_only=args.nlu_only)
    return 0
