"""Benchmark statelint against its anchors on the standard library (not a test).

    python bench/run.py [EXTRA_FOLDER ...] [--runs 5] [--json results.json]

The corpus is the running interpreter's ``Lib`` folder (found through sysconfig)
without ``test/``, ``idlelib/``, ``lib2to3/`` and ``site-packages/``, plus any
folders given on the command line. It is copied to a temporary folder first, so
the cache and the "changed files" never touch the originals.

Measured, each as the median of several runs in this invocation (wall time of the
whole command, start-up included):

* ``statelint --version`` (start-up), each run taken just before a changed-files
  run when both are measured, so that their ratio is not skewed by whatever state
  the cold runs between them leave the machine in;
* statelint cold: all default rules, all cores, an empty cache that it fills;
* statelint warm: the same cache, nothing changed;
* statelint on 10 changed files as pre-commit runs it (one process, as the hook is
  ``require_serial``; file arguments, ``--force-exclude``), 10 different files edited
  before every run;
* libcst parse-only of the corpus on one core (the floor of any libcst tool);
* when installed: bandit ``-t B104,B108``, ``fixit lint``, ruff with the rules
  closest to statelint's, ``--no-cache``;
* peak memory of statelint's process tree during one more cold run (sum of the RSS
  of statelint and its workers, sampled; forked workers share pages, so this
  overstates: the sum of their PSS is shown too).

With ``--check-prefilter`` it also runs statelint once with ``STATELINT_PREFILTER=off``
(every rule parses every file: the engine without needles and triage) and checks
that both runs report exactly the same findings on the corpus.

Prints a table of wall times and the ratios the performance issue sets targets for;
``--json FILE`` writes everything, raw samples included. Run it on a quiet machine:
the load average before and after is part of the report. Measure an installed
statelint (``pip install .``): an editable install has no compiled bytecode for
statelint's own modules, which adds some 35 ms to every start.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import sysconfig
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

SKIPPED_STDLIB = ("test", "idlelib", "lib2to3", "site-packages")
RUFF_RULES = "PLW0603,S104,S108,RUF006,B019,RUF012"
IGNORED_WHEN_COPYING = shutil.ignore_patterns(".git", ".hg", "__pycache__", "*.pyc", ".venv", "venv", ".tox", "node_modules")
#: The project model issue's targets (the cold/bandit ratio is kept from the performance issue).
TARGETS = {
    "cold / libcst parse-only (1 core)": 0.5,
    "cold / bandit": 0.5,
    "warm / ruff": 1.5,
    "10 changed files / --version": 2.5,
    "peak memory (MB)": 300.0,
}

PARSE_ONLY = r"""
import io, sys, tokenize, libcst
failed = 0
for path in sys.argv[1:]:
    data = open(path, "rb").read()
    try:
        encoding = tokenize.detect_encoding(io.BytesIO(data).readline)[0]
        libcst.parse_module(data.decode(encoding))
    except Exception:
        failed += 1
print(failed)
"""


# -- corpus ----------------------------------------------------------------------------------------
def stdlib_folder() -> Path:
    return Path(sysconfig.get_paths()["stdlib"])


def build_corpus(destination: Path, extra: Sequence[Path]) -> Path:
    """Copy the stdlib (minus the skipped folders) and the extra folders under ``destination``."""
    lib = stdlib_folder()
    corpus = destination / "corpus"
    stdlib_copy = corpus / "stdlib"
    for path in sorted(lib.rglob("*.py")):
        relative = path.relative_to(lib)
        if relative.parts[0] in SKIPPED_STDLIB:
            continue
        target = stdlib_copy / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    for number, folder in enumerate(extra):
        shutil.copytree(folder, corpus / f"extra{number}_{folder.resolve().name}", ignore=IGNORED_WHEN_COPYING, symlinks=True)
    return corpus


def python_files(corpus: Path) -> list[Path]:
    return sorted(p for p in corpus.rglob("*.py") if p.is_file())


# -- measuring -------------------------------------------------------------------------------------
class TreeMemory:
    """Peaks of the summed RSS and PSS of a process and its descendants, sampled in a thread.

    RSS counts pages shared by forked workers once per process (what the target is checked
    against: the conservative figure); PSS splits them between the sharers (the memory the
    run really takes).
    """

    def __init__(self, pid: int) -> None:
        self.pid = pid
        self.peak = 0
        self.peak_pss = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def __enter__(self) -> TreeMemory:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    def _sample(self) -> None:
        import psutil

        try:
            root = psutil.Process(self.pid)
        except psutil.Error:
            return
        while not self._stop.is_set():
            total = pss = 0
            try:
                for process in [root, *root.children(recursive=True)]:
                    try:
                        info = process.memory_full_info()
                        total += info.rss
                        pss += getattr(info, "pss", info.rss)
                    except psutil.Error:
                        pass
            except psutil.Error:
                return
            self.peak = max(self.peak, total)
            self.peak_pss = max(self.peak_pss, pss)
            self._stop.wait(0.02)


def run_timed(
    command: Sequence[str], cwd: Path, memory: bool = False, ok: Sequence[int] | None = (0, 1)
) -> tuple[float, tuple[float, float]]:
    """Wall seconds of one run, and its peak tree memory (RSS, PSS) in MB (zeros when not measured).

    ``ok``: the exit codes that mean the tool did its job (None: any, unless killed by a signal).
    """
    start = time.perf_counter()
    process = subprocess.Popen(command, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    peak = (0.0, 0.0)
    if memory and _have("psutil"):
        with TreeMemory(process.pid) as sampler:
            _, err = process.communicate()
        peak = (sampler.peak / 2**20, sampler.peak_pss / 2**20)
    else:
        _, err = process.communicate()
    elapsed = time.perf_counter() - start
    if process.returncode < 0 or (ok is not None and process.returncode not in ok):
        raise RuntimeError(f"{' '.join(command[:4])} ... exited {process.returncode}: {err.decode(errors='replace')[-2000:]}")
    return elapsed, peak


def _have(module: str) -> bool:
    import importlib.util

    return importlib.util.find_spec(module) is not None


def median_of(runs: int, once: Callable[[int], float]) -> dict[str, Any]:
    samples = [once(number) for number in range(runs)]
    return {"median": statistics.median(samples), "samples": samples}


def check_prefilter(statelint: list[str], corpus: Path, measures: dict[str, Any]) -> dict[str, Any]:
    """Findings with and without needles and triage (must be equal), and the time without them."""

    def findings(prefilter: str) -> tuple[float, list[str]]:
        env = {**os.environ, "STATELINT_PREFILTER": prefilter}
        command = [*statelint, "check", "--no-cache", "--exit-zero", "--output-format", "json", "."]
        start = time.perf_counter()
        done = subprocess.run(command, cwd=corpus, env=env, capture_output=True, check=True)
        return time.perf_counter() - start, sorted(json.dumps(f, sort_keys=True) for f in json.loads(done.stdout))

    elapsed, without = findings("off")
    measures["statelint cold, prefilter off"] = {"median": elapsed, "samples": [elapsed]}
    _, usual = findings("on")
    same = usual == without
    print(f"prefilter check: {len(usual)} findings, {'identical' if same else 'DIFFERENT'} without the prefilter", file=sys.stderr)
    return {
        "findings": len(usual),
        "identical": same,
        "only_with": sorted(set(usual) - set(without))[:20],
        "only_without": sorted(set(without) - set(usual))[:20],
    }


def editable(statelint: list[str]) -> bool:
    """Whether the statelint measured is an editable install (no bytecode for its own modules)."""
    python = Path(statelint[0]).with_name("python")
    # The distribution that installs the `statelint` command, whatever it is named (statelint-k8s).
    code = (
        "import importlib.metadata as m; "
        "print(next(iter(m.entry_points(group='console_scripts', name='statelint'))).dist.read_text('direct_url.json') or '')"
    )
    try:
        out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return False
    return '"editable": true' in out


def find_tool(name: str, given: str | None) -> list[str] | None:
    if given:
        return given.split()
    beside = Path(sys.executable).parent / name
    if beside.exists():
        return [str(beside)]
    found = shutil.which(name)
    return [found] if found else None


# -- the benchmark ---------------------------------------------------------------------------------
def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("folders", nargs="*", type=Path, help="extra folders to add to the corpus")
    parser.add_argument("--runs", type=int, default=5, help="runs per statelint/ruff measure (default 5)")
    parser.add_argument("--slow-runs", type=int, default=3, help="runs for libcst parse-only and bandit (default 3)")
    parser.add_argument("--fixit-runs", type=int, default=1, help="runs for fixit, which takes minutes (default 1; 0 skips)")
    parser.add_argument("--json", dest="json_file", type=Path, help="write the results here")
    parser.add_argument(
        "--statelint",
        help="command to run statelint (default: the one installed with this Python); it runs inside the corpus, "
        "a copy of the stdlib, so prefer a console script to `python -m`, which would import the corpus",
    )
    parser.add_argument("--fixit", help="command to run fixit (default: found beside this Python or on PATH)")
    parser.add_argument("--only", help="comma-separated subset: version,cold,warm,changed,parse,bandit,fixit,ruff")
    parser.add_argument("--keep", action="store_true", help="keep the temporary corpus and print where it is")
    parser.add_argument("--check-prefilter", action="store_true", help="also run with the prefilter off and compare the findings")
    args = parser.parse_args(argv)
    only = set(args.only.split(",")) if args.only else None

    def wanted(name: str) -> bool:
        return only is None or name in only

    statelint = args.statelint.split() if args.statelint else (find_tool("statelint", None) or [sys.executable, "-m", "statelint"])
    if editable(statelint):
        print("note: this statelint is an editable install: start-up times include compiling its modules", file=sys.stderr)
    temp = Path(tempfile.mkdtemp(prefix="statelint-bench-"))
    results: dict[str, Any] = {
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "cpus": os.cpu_count(),
        "load_before": os.getloadavg(),
        "measures": {},
    }
    measures = results["measures"]
    try:
        corpus = build_corpus(temp, args.folders)
        files = python_files(corpus)
        results["corpus"] = {
            "files": len(files),
            "lines": sum(p.read_bytes().count(b"\n") for p in files),
            "bytes": sum(p.stat().st_size for p in files),
            "extra": [str(f) for f in args.folders],
        }
        print(f"corpus: {results['corpus']['files']} files, {results['corpus']['lines']} lines ({corpus})", file=sys.stderr)
        cache = temp / "cache"

        version = [*statelint, "--version"]
        versions: list[float] = []  # taken beside the changed-files runs when both are wanted
        if wanted("version"):
            if wanted("changed"):
                measures["statelint --version"] = {}  # filled below, keeping the table's order
            else:
                measures["statelint --version"] = median_of(args.runs, lambda _: run_timed(version, corpus, ok=(0,))[0])
        if wanted("cold"):

            def cold(number: int) -> float:
                shutil.rmtree(cache, ignore_errors=True)
                return run_timed([*statelint, "check", "--cache-dir", str(cache), "."], corpus)[0]

            measures["statelint cold"] = median_of(args.runs, cold)
            if _have("psutil"):  # one more cold run, sampled (sampling costs CPU: not in the timings)
                shutil.rmtree(cache, ignore_errors=True)
                _, (rss, pss) = run_timed([*statelint, "check", "--cache-dir", str(cache), "."], corpus, memory=True)
                measures["peak memory (MB)"] = {"median": rss, "samples": [rss], "unit": "MB"}
                measures["peak memory, PSS (MB)"] = {"median": pss, "samples": [pss], "unit": "MB"}
        if wanted("warm"):
            run_timed([*statelint, "check", "--cache-dir", str(cache), "."], corpus)  # fill it (again)
            measures["statelint warm"] = median_of(
                args.runs, lambda _: run_timed([*statelint, "check", "--cache-dir", str(cache), "."], corpus)[0]
            )
        if wanted("changed"):
            chosen = [files[i * len(files) // 10] for i in range(10)]
            results["changed_files"] = [str(p.relative_to(corpus)) for p in chosen]
            run_timed([*statelint, "check", "--cache-dir", str(cache), "."], corpus)

            def changed(number: int) -> float:
                # Each --version run is taken just before a changed-files run: the ratio of the two
                # then compares like with like, whatever the cold runs before left the machine in.
                if wanted("version"):
                    versions.append(run_timed(version, corpus, ok=(0,))[0])
                for path in chosen:
                    with open(path, "a", encoding="utf-8") as handle:
                        handle.write(f"\n# edited for the statelint benchmark, run {number}\n")
                relative = [str(p.relative_to(corpus)) for p in chosen]
                command = [*statelint, "check", "--force-exclude", "--cache-dir", str(cache), *relative]
                return run_timed(command, corpus)[0]

            measures["statelint 10 changed files"] = median_of(args.runs, changed)
            if versions:
                measures["statelint --version"] = {"median": statistics.median(versions), "samples": versions}
        if wanted("parse"):
            paths = [str(p) for p in files]
            # Run from outside the corpus: it is a copy of the stdlib, and "-c" puts the
            # working directory first on sys.path.
            measures["libcst parse-only (1 core)"] = median_of(
                args.slow_runs, lambda _: run_timed([sys.executable, "-c", PARSE_ONLY, *paths], temp, ok=(0,))[0]
            )
        if args.check_prefilter:
            results["prefilter"] = check_prefilter(statelint, corpus, measures)
        bandit = find_tool("bandit", None)
        if bandit and wanted("bandit"):
            measures["bandit -t B104,B108"] = median_of(
                args.slow_runs, lambda _: run_timed([*bandit, "-q", "-r", "-t", "B104,B108", "."], corpus)[0]
            )
        fixit = find_tool("fixit", args.fixit)
        if fixit and args.fixit_runs and wanted("fixit"):
            # fixit's exit status is a bit mask of what it found (3: lint errors and fixes).
            measures["fixit lint"] = median_of(args.fixit_runs, lambda _: run_timed([*fixit, "lint", "."], corpus, ok=None)[0])
        ruff = find_tool("ruff", None)
        if ruff and wanted("ruff"):
            command = [*ruff, "check", "--select", RUFF_RULES, "--no-cache", "--exit-zero", "."]
            measures["ruff"] = median_of(args.runs, lambda _: run_timed(command, corpus)[0])
    finally:
        results["load_after"] = os.getloadavg()
        if args.keep:
            print(f"kept {temp}", file=sys.stderr)
        else:
            shutil.rmtree(temp, ignore_errors=True)

    results["ratios"] = ratios(measures)
    print_table(results)
    if args.json_file:
        args.json_file.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    return 0


def ratios(measures: dict[str, Any]) -> dict[str, dict[str, float | bool]]:
    def value(name: str) -> float | None:
        entry = measures.get(name)
        return entry["median"] if entry else None

    pairs = {
        "cold / libcst parse-only (1 core)": ("statelint cold", "libcst parse-only (1 core)"),
        "cold / bandit": ("statelint cold", "bandit -t B104,B108"),
        "warm / ruff": ("statelint warm", "ruff"),
        "10 changed files / --version": ("statelint 10 changed files", "statelint --version"),
    }
    out: dict[str, dict[str, float | bool]] = {}
    for label, (top, bottom) in pairs.items():
        a, b = value(top), value(bottom)
        if a is not None and b:
            out[label] = {"value": a / b, "target": TARGETS[label], "met": a / b <= TARGETS[label]}
    peak = value("peak memory (MB)")
    if peak:
        out["peak memory (MB)"] = {"value": peak, "target": TARGETS["peak memory (MB)"], "met": peak <= TARGETS["peak memory (MB)"]}
    return out


def print_table(results: dict[str, Any]) -> None:
    corpus = results.get("corpus", {})
    print(f"Python {results['python']} on {results['platform']}, {results['cpus']} CPUs")
    print(f"corpus: {corpus.get('files')} files, {corpus.get('lines')} lines")
    load = ", ".join(f"{x:.2f}" for x in results["load_before"]) + " -> " + ", ".join(f"{x:.2f}" for x in results["load_after"])
    print(f"load average (1, 5, 15 min): {load}")
    print()
    print(f"{'measure':<32} {'median':>10}   samples")
    for name, entry in results["measures"].items():
        unit = entry.get("unit", "s")
        samples = " ".join(f"{s:.2f}" for s in entry["samples"])
        print(f"{name:<32} {entry['median']:>9.2f}{unit:<2}  {samples}")
    print()
    print(f"{'ratio':<36} {'value':>8} {'target':>8}")
    for name, entry in results["ratios"].items():
        mark = "ok" if entry["met"] else "MISSED"
        print(f"{name:<36} {entry['value']:>8.2f} {'<= ' + format(entry['target'], 'g'):>8}  {mark}")


if __name__ == "__main__":
    sys.exit(main())
