"""Compare NLU pipelines on the held-out set: macro-F1, accuracy, crisis/emergency recall,
training time. Prints a table and writes results/pipelines.md.

    .venv/bin/python bench/compare_pipelines.py [bench/pipelines/x.yml ...]
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.ops.evaluation import evaluate_model  # noqa: E402
from bot.ops.training import rasa_executable  # noqa: E402
from bot.rasa_plugins.nlu import spacy_sv  # noqa: E402


def main(argv: list[str]) -> int:
    configs = [Path(a) for a in argv] or sorted((ROOT / "bench" / "pipelines").glob("*.yml"))
    out = ROOT / "results" / "pipelines"
    out.mkdir(parents=True, exist_ok=True)
    spacy_sv.build()
    rows = []
    for cfg in configs:
        name = cfg.stem
        started = time.monotonic()
        env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "2"}
        subprocess.run(
            [rasa_executable(), "train", "nlu", "--config", str(cfg), "--nlu", "data/nlu",
             "--out", str(out), "--fixed-model-name", name],
            cwd=ROOT, env=env, check=True, capture_output=True,
        )
        train_s = time.monotonic() - started
        report = evaluate_model(out / f"{name}.tar.gz", out_dir=out / name)
        crisis = report.per_intent["crisis_suicidal"]["recall"]
        emergency = report.per_intent["emergency_danger"]["recall"]
        rows.append((name, report.macro_f1, report.accuracy, crisis, emergency, train_s))
        print(f"{name:<28} macro-F1 {report.macro_f1:.4f} acc {report.accuracy:.4f} "
              f"crisis-rec {crisis:.2f} emerg-rec {emergency:.2f} train {train_s:.0f}s", flush=True)
    lines = [
        "| pipeline | macro-F1 | accuracy | crisis recall | emergency recall | NLU train (s) |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {n} | {f:.4f} | {a:.4f} | {c:.2f} | {e:.2f} | {t:.0f} |"
        for n, f, a, c, e, t in rows
    ]
    (ROOT / "results" / "pipelines.md").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
