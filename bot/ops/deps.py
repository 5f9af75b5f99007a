"""What we depend on, per runtime: `python -m bot deps`.

For each runtime (bot/runtimes.py) it lists every package its lock file pins, the pinned
version, the newest release on PyPI, and, where a newer release exists but is not installed,
what holds it back: a dependent's version range (read from the installed packages' metadata,
e.g. "rasa 3.6.21 requires aiohttp<3.10,>=3.9") or the runtime's own requirements file.
Offline (PyPI not reachable, or `--offline`) it says so and still prints the pins and every
range that caps a package, so the answer to "why this version?" never needs the network.

`--markdown` prints the same as a page (docs/dependencies.md is made with it).
"""

from __future__ import annotations

import argparse
import json
import re
import subprocess
import sys
import urllib.error
import urllib.request
from collections.abc import Callable, Iterable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from packaging.markers import InvalidMarker
from packaging.requirements import InvalidRequirement, Requirement
from packaging.version import InvalidVersion, Version

from bot.runtimes import RUNTIMES, Runtime
from bot.settings import ROOT

PYPI = "https://pypi.org/pypi"
TIMEOUT_S = 10.0

# what one runtime's python prints about its installed packages (stdlib only: runs in both)
_METADATA_SCRIPT = """
import json, platform, sys, importlib.metadata as md
env = {"python_version": "%d.%d" % sys.version_info[:2],
       "python_full_version": platform.python_version(), "sys_platform": sys.platform,
       "platform_system": platform.system(), "platform_machine": platform.machine(),
       "platform_python_implementation": platform.python_implementation(),
       "implementation_name": sys.implementation.name, "os_name": __import__("os").name}
dists = {}
for d in md.distributions():
    name = d.metadata["Name"]
    if name:
        dists[name] = {"version": d.version, "requires": list(d.requires or [])}
print(json.dumps({"env": env, "dists": dists}))
"""


def canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


@dataclass
class Package:
    name: str
    pinned: str
    direct: bool = False
    newest: str | None = None
    newest_requires_python: str | None = None
    caps: list[str] = field(default_factory=list)  # "rasa 3.6.21 requires aiohttp<3.10,>=3.9"
    held_by: list[str] = field(default_factory=list)  # the caps the newest release breaks

    @property
    def behind(self) -> bool:
        try:
            return self.newest is not None and Version(self.newest) > Version(self.pinned)
        except InvalidVersion:
            return False


@dataclass
class RuntimeReport:
    runtime: Runtime
    python: str
    packages: list[Package]
    note: str = ""


def read_lock(path: Path) -> dict[str, str]:
    """name -> pinned version from a pip-freeze style lock file."""
    pins: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if "==" in line:
            name, _, version = line.partition("==")
            pins[name.strip()] = version.strip()
    return pins


def read_requirements(path: Path) -> dict[str, Requirement]:
    """The direct dependencies (canonical name -> requirement) of a requirements .in file."""
    found: dict[str, Requirement] = {}
    if not path.exists():
        return found
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split("#", 1)[0].strip()
        if not line or line.startswith("-"):
            continue
        try:
            req = Requirement(line)
        except InvalidRequirement:
            continue
        found[canonical(req.name)] = req
    return found


def installed_metadata(runtime: Runtime) -> dict | None:
    """What the runtime's python reports about its packages; None if the venv is missing."""
    if not runtime.exists():
        return None
    done = subprocess.run([str(runtime.python), "-c", _METADATA_SCRIPT], capture_output=True,
                          text=True, timeout=120, check=False)
    if done.returncode != 0:
        return None
    return json.loads(done.stdout)


def caps_on(metadata: dict | None, requirements: dict[str, Requirement],
            requirements_file: str) -> dict[str, list[tuple[str, Requirement]]]:
    """canonical name -> [(who, requirement)] for every range that limits the package."""
    caps: dict[str, list[tuple[str, Requirement]]] = {}
    for name, req in requirements.items():
        if req.specifier:
            caps.setdefault(name, []).append((requirements_file, req))
    if metadata is None:
        return caps
    env = metadata["env"]
    for dist, info in metadata["dists"].items():
        for line in info["requires"]:
            try:
                req = Requirement(line)
                if req.marker is not None and not req.marker.evaluate({**env, "extra": ""}):
                    continue
            except (InvalidRequirement, InvalidMarker):
                continue
            if req.specifier:
                caps.setdefault(canonical(req.name), []).append(
                    (f"{dist} {info['version']}", req))
    return caps


def fetch_newest(name: str, base: str = PYPI, timeout: float = TIMEOUT_S
                 ) -> tuple[str, str | None]:
    """(newest release, its Requires-Python) from PyPI's JSON API."""
    with urllib.request.urlopen(f"{base}/{name}/json", timeout=timeout) as resp:
        info = json.load(resp)["info"]
    return str(info["version"]), info.get("requires_python") or None


def report(runtime: Runtime, newest: dict[str, tuple[str, str | None]] | None,
           metadata: dict | None) -> RuntimeReport:
    pins = read_lock(ROOT / runtime.lock)
    requirements = read_requirements(ROOT / runtime.requirements)
    caps = caps_on(metadata, requirements, runtime.requirements)
    packages = []
    for name, pinned in sorted(pins.items(), key=lambda kv: canonical(kv[0])):
        key = canonical(name)
        pkg = Package(name, pinned, direct=key in requirements)
        limits = caps.get(key, [])
        pkg.caps = [f"{who} requires {_short(req)}" for who, req in limits
                    if _excludes_something_newer(req, pinned)]
        if newest is not None and key in newest:
            pkg.newest, pkg.newest_requires_python = newest[key]
            if pkg.behind:
                pkg.held_by = [f"{who} requires {_short(req)}" for who, req in limits
                               if not req.specifier.contains(pkg.newest, prereleases=True)]
                if (metadata is not None and pkg.newest_requires_python
                        and not _python_ok(pkg.newest_requires_python, metadata)):
                    pkg.held_by.append(f"{pkg.name} {pkg.newest} requires Python "
                                       f"{pkg.newest_requires_python}")
        packages.append(pkg)
    python = metadata["env"]["python_full_version"] if metadata else runtime.python_version
    note = "" if metadata else f"{runtime.venv} is missing: ranges unknown (./dev setup)"
    return RuntimeReport(runtime, python, packages, note)


def _short(req: Requirement) -> str:
    """The name and range, without the environment marker."""
    return f"{req.name}{req.specifier}"


def _excludes_something_newer(req: Requirement, pinned: str) -> bool:
    """A range with an upper limit (<, <=, ==, ~=) caps the package."""
    return any(spec.operator in {"<", "<=", "==", "~=", "==="} for spec in req.specifier)


def _python_ok(requires_python: str, metadata: dict) -> bool:
    from packaging.specifiers import InvalidSpecifier, SpecifierSet

    try:
        return SpecifierSet(requires_python).contains(
            metadata["env"]["python_full_version"], prereleases=True)
    except InvalidSpecifier:
        return True


def newest_versions(names: Iterable[str], fetch: Callable[[str], tuple[str, str | None]]
                    ) -> tuple[dict[str, tuple[str, str | None]] | None, str]:
    """canonical name -> (newest, requires_python); None and the reason when offline."""
    names = sorted({canonical(n) for n in names})
    if not names:
        return {}, ""
    try:
        first = fetch(names[0])
    except (urllib.error.URLError, OSError, TimeoutError, ValueError) as exc:
        reason = getattr(exc, "reason", exc)
        return None, f"PyPI not reachable ({reason}): newest versions not shown"
    found = {names[0]: first}
    failed = []

    def one(name: str) -> tuple[str, tuple[str, str | None] | None]:
        try:
            return name, fetch(name)
        except (urllib.error.URLError, OSError, TimeoutError, ValueError, KeyError):
            return name, None

    with ThreadPoolExecutor(max_workers=8) as pool:
        for name, result in pool.map(one, names[1:]):
            if result is None:
                failed.append(name)
            else:
                found[name] = result
    note = f"not found on PyPI or no answer: {', '.join(failed)}" if failed else ""
    return found, note


def render_text(reports: list[RuntimeReport], note: str, only_behind: bool) -> str:
    lines = []
    if note:
        lines.append(f"note: {note}")
    for rep in reports:
        rt = rep.runtime
        behind = [p for p in rep.packages if p.behind]
        held = [p for p in behind if p.held_by]
        lines.append("")
        lines.append(f"{rt.name} runtime ({rt.venv}, Python {rep.python}, {rt.lock}): "
                     f"{len(rep.packages)} packages pinned"
                     + (f", {len(behind)} behind the newest, {len(held)} of them held back"
                        if not note else ""))
        if rep.note:
            lines.append(f"  note: {rep.note}")
        width = max([len(p.name) for p in rep.packages] + [7])
        lines.append(f"  {'package':<{width}}  {'pinned':<16} {'newest':<16} why not newer")
        for p in rep.packages:
            if only_behind and not p.behind:
                continue
            why = "; ".join(p.held_by) if p.behind else ""
            if p.behind and not why:
                why = "not held: can be upgraded"
            if not p.behind and (note or p.newest is None) and p.caps:
                why = "capped: " + "; ".join(p.caps)
            mark = "*" if p.direct else " "
            lines.append(f" {mark}{p.name:<{width}}  {p.pinned:<16} {p.newest or '?':<16} {why}"
                         .rstrip())
    lines.append("")
    lines.append("* = direct dependency (requirements*.in)")
    return "\n".join(lines)


def render_markdown(reports: list[RuntimeReport], note: str) -> str:
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    out = ["# Dependencies", "",
           f"Generated by `./dev deps --markdown` ({stamp}); do not edit by hand. Which "
           "process runs on which runtime: bot/runtimes.py and the README's support table.", ""]
    if note:
        out += [f"> {note}", ""]
    for rep in reports:
        rt = rep.runtime
        behind = [p for p in rep.packages if p.behind]
        held = [p for p in behind if p.held_by]
        out += [f"## {rt.name} runtime: `{rt.venv}`, Python {rep.python}", "",
                f"{rt.why}. Lock: `{rt.lock}` (direct dependencies: `{rt.requirements}`). "
                f"{len(rep.packages)} packages"
                + (f", {len(behind)} behind the newest release, {len(held)} of them held back."
                   if not note else "."), ""]
        if rep.note:
            out += [f"> {rep.note}", ""]
        out += ["| package | pinned | newest | why not newer |", "|---|---|---|---|"]
        for p in rep.packages:
            if p.behind:
                why = "; ".join(p.held_by) or "not held: can be upgraded"
            else:
                why = (("capped: " + "; ".join(p.caps))
                       if (note or p.newest is None) and p.caps else "")
            name = f"**{p.name}**" if p.direct else p.name
            out.append(f"| {name} | {p.pinned} | {p.newest or '?'} | {why} |")
        out.append("")
    out.append("**bold** = direct dependency (requirements*.in).")
    return "\n".join(out) + "\n"


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m bot deps",
        description="Every pinned package per runtime, its version, the newest on PyPI and "
                    "what holds it back.")
    parser.add_argument("--offline", action="store_true", help="do not ask PyPI")
    parser.add_argument("--markdown", action="store_true", help="print a docs page")
    parser.add_argument("--behind", action="store_true", help="only packages behind newest")
    parser.add_argument("--only", nargs="+", metavar="NAME",
                        help="ask PyPI about these packages only (the rest show '?')")
    parser.add_argument("--pypi", default=PYPI, help="PyPI JSON API base URL")
    args = parser.parse_args(argv)

    metadata = {rt.name: installed_metadata(rt) for rt in RUNTIMES}
    names = set()
    for rt in RUNTIMES:
        names |= set(read_lock(ROOT / rt.lock))
    if args.only:
        wanted = {canonical(n) for n in args.only}
        names = {n for n in names if canonical(n) in wanted}
    if args.offline:
        newest, note = None, "offline (--offline): newest versions not shown"
    else:
        newest, note = newest_versions(names, lambda n: fetch_newest(n, args.pypi))
    reports = [report(rt, newest, metadata[rt.name]) for rt in RUNTIMES]
    asked = ""
    if args.only and newest is not None:
        asked = (f"PyPI asked about {len(names)} packages only (`--only`: the direct "
                 "dependencies and the big ones Rasa holds back); `?` = not asked, run "
                 "`./dev deps` for all. ")
    if args.markdown:
        page = render_markdown(reports, "" if newest is not None else note)
        if asked:
            page = page.replace("\n\n## ", f"\n\n> {asked}\n\n## ", 1)
        sys.stdout.write(page)
    else:
        print(render_text(reports, "" if newest is not None else note, args.behind))
        if newest is not None and note:
            print(f"note: {note}")
    return 0
