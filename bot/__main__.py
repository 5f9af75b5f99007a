"""Command-line entry point: ``python -m bot <command> [args]``.

Each command lives in the module that owns its responsibility; this file only dispatches,
importing lazily so that a quick command does not pay for loading Rasa or TensorFlow.
Each command runs on its runtime (bot/runtimes.py): started on the other interpreter,
`python -m bot <command>` replaces itself with the right one before doing anything.
"""

from __future__ import annotations

import importlib
import os
import sys

from dotenv import load_dotenv

from bot.settings import NO_TELEMETRY, set_env

# command -> (module, function, one-line help)
COMMANDS: dict[str, tuple[str, str, str]] = {
    "run": ("bot.ops.runner", "main", "train if needed, start every process, print the URLs"),
    "shell": ("bot.ops.runner", "shell", "talk to the assistant in the terminal (rasa shell)"),
    "run-prod": ("bot.ops.production", "main", "production profile: 2 Rasa, 2 escalation, nginx, "
                 "PostgreSQL, Redis"),
    "train": ("bot.ops.training", "main", "train a model if data/config/domain changed (--force)"),
    "content": ("bot.content", "main", "build domain responses from data/content (build|check)"),
    "evaluate": ("bot.ops.evaluation", "main", "evaluate NLU on the held-out set (--compare-live)"),
    "retrain": ("bot.ops.modelops.retrain", "main", "retrain after new examples (--nlu-only)"),
    "gate": ("bot.ops.modelops.gate", "main", "refuse a model worse than live or missing safety"),
    "safety-eval": ("bot.ops.modelops.safety_corpus", "main", "measure the safety behaviour on a "
                    "corpus of messages and conversations"),
    "ship": ("bot.ops.modelops.ship", "main", "put a model live without downtime (PUT /model)"),
    "rollback": ("bot.ops.modelops.ship", "rollback_main", "put the previous model live again"),
    "retention": ("bot.ops.retention", "main", "delete conversations/cases past retention"),
    "forget": ("bot.ops.retention", "forget_main", "delete one conversation everywhere, now"),
    "scrub-eval": ("bot.ops.privacy_eval", "main", "measure the PII scrubber on a blind corpus"),
    "coach": ("bot.escalation.cli", "main", "manage coach accounts"),
    "escalation": ("bot.escalation.cli", "serve", "run the escalation service and console"),
    "gateway": ("bot.gateway.cli", "serve", "run the web chat and SMS gateway"),
    "actions": ("bot.action_server", "main", "run the action server (needs ACTION_SERVER_TOKEN)"),
    "deps": ("bot.ops.deps", "main", "every pinned package per runtime, its version and the "
             "newest on PyPI"),
}


def main(argv: list[str] | None = None) -> int:
    """Dispatch to the command's module; exit code is the command's return value."""
    argv = list(sys.argv[1:] if argv is None else argv)
    load_dotenv()
    set_env(**NO_TELEMETRY)  # inherited by every process a command starts
    if not argv or argv[0] in {"-h", "--help", "help"} or argv[0] not in COMMANDS:
        print("usage: python -m bot <command> [args]\n")
        for name, (_, _, text) in COMMANDS.items():
            print(f"  {name:<11} {text}")
        return 0 if not argv or argv[0] in {"-h", "--help", "help"} else 2
    module_name, func_name, _ = COMMANDS[argv[0]]
    if argv[0] == "evaluate" and "--compare-live" in argv:
        module_name = "bot.ops.modelops.evaluate"  # the comparison with the live model
    func = getattr(importlib.import_module(module_name), func_name)
    return int(func(argv[1:]) or 0)


def on_its_runtime(argv: list[str]) -> None:
    """Exec the command's runtime's python if this is the other one (same pid, same args).

    Only for `python -m bot`, never inside main(): tests call main() in their own process.
    """
    from bot import runtimes

    command = argv[0] if argv else ""
    if command not in runtimes.COMMAND_RUNTIME:
        return
    want = runtimes.runtime_of(command)
    if want.is_current():
        return
    try:
        python = runtimes.interpreter(want)
    except runtimes.MissingRuntime as exc:
        sys.exit(f"python -m bot {command}: {exc}")
    os.execv(python, [python, "-m", "bot", *argv])


if __name__ == "__main__":
    on_its_runtime(sys.argv[1:])
    sys.exit(main())
