"""The ``statelint`` command line.

Exit codes follow ruff: 0 no findings, 1 findings, 2 usage error, bad
configuration or internal error. Heavy modules (libcst, rich) are imported only
by the commands that need them, so ``statelint --version`` starts instantly.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from statelint import __version__

EXIT_CLEAN, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
#: Interrupted by Ctrl-C (SIGINT): 128 + the signal's number, as shells report it.
EXIT_INTERRUPTED = 130
OUTPUT_FORMATS = ("full", "concise", "json", "json-lines", "sarif", "github", "gitlab")
#: Severities, least severe first (``--severity``, ``--fail-on``): ``statelint.config.settings.SEVERITIES``,
#: repeated here so that ``statelint --version`` need not import the configuration.
SEVERITIES = ("info", "warning", "error")


def _split_codes(values: tuple[str, ...]) -> list[str]:
    return [part.strip() for value in values for part in value.split(",") if part.strip()]


def _fail(message: str) -> None:
    click.echo(f"statelint: error: {message}", err=True)
    sys.exit(EXIT_ERROR)


def _stdout_is_terminal() -> bool:
    return sys.stdout.isatty()


def _colour(mode: str, no_color: bool) -> bool:
    """Whether the report on stdout is coloured: the flags first, then NO_COLOR (no-color.org), then
    FORCE_COLOR (force-color.org), then whether stdout is a terminal."""
    if no_color or mode == "never":
        return False
    if mode == "always":
        return True
    if os.environ.get("NO_COLOR"):
        return False
    return bool(os.environ.get("FORCE_COLOR")) or _stdout_is_terminal()


def _stderr_is_terminal() -> bool:
    return sys.stderr.isatty()


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _silence_stdout() -> None:
    """The reader of stdout has gone (``statelint check . | head -1``): send whatever is still
    buffered to /dev/null, so neither this run nor the interpreter's last flush reports a broken pipe."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):  # no file descriptor (a test's captured stdout): nothing to flush there
        pass


def _interruptible(command: Callable[..., None]) -> Callable[..., None]:
    """Ctrl-C ends ``command`` with exit code 130 and no message (not click's "Aborted!" nor a
    traceback); the worker pools kill their processes as the interruption unwinds through them."""

    @functools.wraps(command)
    def run(*args: Any, **kwargs: Any) -> None:
        try:
            command(*args, **kwargs)
        except KeyboardInterrupt:
            sys.exit(EXIT_INTERRUPTED)
        except BrokenPipeError:  # stdout or stderr closed before the report: nothing more can be said
            _silence_stdout()
            sys.exit(EXIT_ERROR)

    return run


def _catalog() -> Any:
    from statelint.catalog import CatalogError, load_catalog

    try:
        return load_catalog()
    except CatalogError as exc:
        _fail(f"rule catalog: {exc}")


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="statelint", message="%(prog)s %(version)s")
def cli() -> None:
    """Find hidden state that breaks stateless, horizontally scaled Python services."""


@cli.command()
@click.argument("paths", nargs=-1, type=click.Path(path_type=str))
@click.option("--select", multiple=True, help="Rule codes or prefixes to enable (replaces the configured set), e.g. SL3,SL101.")
@click.option("--extend-select", multiple=True, help="Rule codes or prefixes to enable on top of the configured set.")
@click.option("--ignore", multiple=True, help="Rule codes or prefixes to disable.")
@click.option("--exclude", multiple=True, help="Patterns (gitignore syntax) to exclude, replacing the configured ones.")
@click.option("--extend-exclude", multiple=True, help="Patterns to exclude in addition to the configured ones.")
@click.option("--force-exclude", is_flag=True, help="Apply exclusions even to files named on the command line (for pre-commit).")
@click.option(
    "--stdin-filename",
    type=click.Path(path_type=str),
    help="With PATH `-`: the path standard input is checked as (configuration, reports); it is never read.",
)
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    envvar="STATELINT_OUTPUT_FORMAT",
    default="full",
    show_default=True,
    help="How findings are printed (env: STATELINT_OUTPUT_FORMAT).",
)
@click.option("-o", "--output-file", type=click.Path(dir_okay=False, path_type=Path), help="Write the report to this file.")
@click.option("--exit-zero", is_flag=True, help="Exit 0 even when there are findings.")
@click.option(
    "--severity",
    "min_severity",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Report only findings of this severity or a higher one (error > warning > info); overrides severity in the config.",
)
@click.option(
    "--fail-on",
    type=click.Choice(SEVERITIES),
    default=None,
    help="Exit 1 only for a finding of this severity or a higher one; the others are still reported. Overrides fail-on in the config.",
)
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Check every path with this configuration file (statelint keys at its top level, or a [tool.statelint] table) instead of each file's closest one.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print findings only, no summary.")
@click.option(
    "--color",
    "color_mode",
    type=click.Choice(["auto", "always", "never"]),
    default="auto",
    show_default=True,
    help="Colour the report: auto colours a terminal unless NO_COLOR is set; FORCE_COLOR forces it as always does.",
)
@click.option("--no-color", is_flag=True, help="The same as --color never.")
@click.option("-j", "--jobs", type=click.IntRange(min=1), default=None, help="Worker processes (default: all cores).")
@click.option("--no-cache", is_flag=True, envvar="STATELINT_NO_CACHE", help="Neither read nor write the result cache (env: STATELINT_NO_CACHE).")
@click.option(
    "--cache-dir",
    type=click.Path(file_okay=False, path_type=Path),
    envvar="STATELINT_CACHE_DIR",
    help="Where to keep the result cache (default: .statelint_cache in the project root; env: STATELINT_CACHE_DIR).",
)
@click.option(
    "--file-timeout",
    type=click.FloatRange(min=0),
    default=None,
    help="Seconds one file may take before it is reported as not analysed (default: 60, or file-timeout in the config; 0: no limit).",
)
@click.option("--statistics", is_flag=True, help="Print a table of finding counts per rule instead of the findings.")
@click.option("--show-files", is_flag=True, help="List the files a run would check, one per line, and exit without scanning.")
@click.option(
    "--show-settings",
    is_flag=True,
    help="Print the settings PATH (one file or folder) is checked with: configuration file, rules, options, exclusions; then exit.",
)
@click.option(
    "--baseline",
    "baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Report only findings not recorded in this baseline file.",
)
@click.option(
    "--write-baseline",
    "write_baseline_file",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Record every current finding in this baseline file and exit 0.",
)
@click.option(
    "--add-noqa",
    is_flag=True,
    help="Add a `# statelint: ignore[CODE]` comment for every finding reported, instead of reporting it.",
)
@_interruptible
def check(
    paths: tuple[str, ...],
    select: tuple[str, ...],
    extend_select: tuple[str, ...],
    ignore: tuple[str, ...],
    exclude: tuple[str, ...],
    extend_exclude: tuple[str, ...],
    force_exclude: bool,
    stdin_filename: str | None,
    output_format: str,
    output_file: Path | None,
    exit_zero: bool,
    min_severity: str | None,
    fail_on: str | None,
    config_file: Path | None,
    quiet: bool,
    color_mode: str,
    no_color: bool,
    jobs: int | None,
    statistics: bool,
    show_files: bool,
    show_settings: bool,
    baseline_file: Path | None,
    write_baseline_file: Path | None,
    no_cache: bool,
    cache_dir: Path | None,
    file_timeout: float | None,
    add_noqa: bool,
) -> None:
    """Scan PATHS (default: the current directory; `-`: standard input) for hidden state.

    Each file is checked with the closest configuration file above it (or --config's).
    """
    from statelint.baseline import BaselineError, load_baseline, split_findings
    from statelint.config import ConfigError
    from statelint.engine.runner import ScanResult, default_jobs
    from statelint.output import write_report
    from statelint.reporters.base import Report

    read_stdin = _reads_stdin(paths, stdin_filename)
    if add_noqa and (read_stdin or write_baseline_file is not None):
        _fail("--add-noqa edits the files checked: it cannot be combined with standard input or --write-baseline")
    given = list(paths) or ["."]
    if show_settings:
        _settings_target(given, read_stdin)
    _check_folder("--output-file", output_file)
    catalog = _catalog()
    cwd = Path.cwd()
    options = {
        "select": _split_codes(select) if select else None,
        "extend_select": _split_codes(extend_select),
        "ignore": _split_codes(ignore),
        "exclude": _split_codes(exclude) if exclude else None,
        "extend_exclude": _split_codes(extend_exclude),
        "force_exclude": force_exclude,
    }
    overrides = {"file_timeout": file_timeout, "severity": min_severity, "fail_on": fail_on}
    space = _workspace(catalog, cwd, [stdin_filename or "."] if read_stdin else given, config_file, options, overrides)

    def cache_for(settings: Any) -> Path | None:
        from statelint.workspace import default_cache_dir

        return None if no_cache else (cwd / cache_dir if cache_dir else default_cache_dir(settings))

    if show_settings:
        _show_settings(space, given[0], cwd, catalog, cache_for, output_format)
    if show_files and read_stdin:
        click.echo(stdin_filename or "-")  # the one file a run on standard input checks
        sys.exit(EXIT_CLEAN)
    if show_files:
        _show_files(space, cwd)
    baseline = None
    if baseline_file is not None and write_baseline_file is None:
        try:
            baseline = load_baseline(baseline_file)
        except BaselineError as exc:
            _fail(str(exc))
    result = ScanResult()
    enabled: set[str] = set()
    data = _read_stdin() if read_stdin else b""
    hidden: dict[str, int] = {}  # findings below the severity reported, by that severity
    fail_floors: dict[str, str | None] = {}  # a reported path -> the least severity that fails the run

    def run(group: Any) -> list[Path]:
        if read_stdin:
            from statelint.stdin import scan_stdin

            found = scan_stdin(data, stdin_filename, group.settings, cwd, jobs or default_jobs(), cache_for(group.settings))
        else:
            found = _scan(group.paths, group.settings, cwd, jobs or default_jobs(), quiet, cache_dir=cache_for(group.settings))
        severity = group.settings.severity
        if severity is not None:
            found.findings, below = _at_least(found.findings, severity)
            hidden[severity] = hidden.get(severity, 0) + below
        fail_floors.update((finding.path, group.settings.fail_on) for finding in found.findings)
        result.add(found)
        enabled.update(group.settings.enabled)
        return found.nested

    try:
        space.visit(run)
    except ConfigError as exc:  # a nested project's configuration file
        _fail(str(exc))
    for path in result.missing_paths:
        click.echo(f"statelint: error: {path}: no such file or directory", err=True)
    if not read_stdin and result.files_scanned == 0 and not result.missing_paths:
        _warn_nothing_checked(given, space, cwd)
    for error in result.errors:
        click.echo(f"statelint: error: {error.path}: {error.message}", err=True)
    for severity, below in sorted(hidden.items()):
        if below and not quiet:
            source = "--severity" if min_severity is not None else "severity in the configuration"
            click.echo(f"statelint: {_plural(below, 'finding')} below {severity} not reported ({source})", err=True)
    if write_baseline_file is not None:
        _write_baseline(write_baseline_file, result, quiet)
    baselined: list[Any] | None = None
    if baseline is not None:
        result.findings, baselined = split_findings(result.findings, baseline)
        if not quiet:
            click.echo(_baseline_note(len(baselined), baseline_file, output_format), err=True)

    if add_noqa:
        _add_noqa(result, space.display_base or cwd, quiet)
    color = output_file is None and _colour(color_mode, no_color)
    report = Report(
        result,
        catalog,
        color=color,
        quiet=quiet,
        enabled=tuple(sorted(enabled)),
        root=space.display_base,
        repository=space.repository_root,
        baselined=baselined,
    )
    try:
        write_report(report, output_format, output_file, statistics)
    except BrokenPipeError:
        if output_file is not None:
            _fail(f"{output_file}: cannot write report: broken pipe")
        _silence_stdout()  # the reader took what it wanted (`| head`): the usual exit code, quietly
    except OSError as exc:
        _fail(f"{output_file or 'stdout'}: cannot write report: {exc.strerror or exc}")

    if result.errors or result.missing_paths:
        sys.exit(EXIT_ERROR)
    failing = [f for f in result.findings if _fails(f, fail_floors.get(f.path))]
    sys.exit(EXIT_FINDINGS if failing and not exit_zero else EXIT_CLEAN)


def _fails(finding: Any, fail_on: str | None) -> bool:
    """Whether ``finding`` makes the run exit 1 under ``fail-on`` (None: every finding does)."""
    return fail_on is None or SEVERITIES.index(finding.severity.value) >= SEVERITIES.index(fail_on)


def _at_least(findings: list[Any], severity: str) -> tuple[list[Any], int]:
    """The findings of ``severity`` or a higher one, and how many others there were."""
    floor = SEVERITIES.index(severity)
    kept = [f for f in findings if SEVERITIES.index(f.severity.value) >= floor]
    return kept, len(findings) - len(kept)


def _workspace(
    catalog: Any, cwd: Path, paths: list[str], config_file: Path | None, options: dict[str, Any], overrides: dict[str, Any]
) -> Any:
    """The run's groups of paths, each with the settings of the closest configuration file (or
    ``--config``'s) and the command line's ``options``; the command line's ``overrides`` of settings
    (``file_timeout``, ``severity``, ``fail_on``) win over the file's. Exits 2 on a configuration error."""
    from statelint.config import ConfigError, load_settings
    from statelint.workspace import Workspace

    given = {name: value for name, value in overrides.items() if value is not None}

    def load(config: Path | None, root: Path | None) -> Any:
        settings = load_settings(catalog, cwd=cwd, config_file=config, root=root, search=False, **options)
        return settings.replace(**given) if given else settings

    try:
        return Workspace.resolve(paths, cwd, load, config_file)
    except ConfigError as exc:
        _fail(str(exc))


def _settings_target(given: list[str], read_stdin: bool) -> None:
    """``--show-settings`` describes one file or folder, which must exist."""
    if read_stdin or len(given) != 1:
        _fail("--show-settings takes exactly one PATH: the file (or folder) whose settings to show")
    if not os.path.lexists(given[0]):
        _fail(f"{given[0]}: no such file or directory")


def _show_settings(space: Any, given: str, cwd: Path, catalog: Any, cache_for: Any, output_format: str) -> None:
    """``--show-settings``: the settings ``given`` is checked with, then exit 0."""
    from statelint.show_settings import describe, render_json, render_text

    settings = space.settings_for(given)
    described = describe(Path(cwd, given), settings, catalog, cwd, cache_for(settings))
    click.echo(render_json(described) if output_format in ("json", "json-lines") else render_text(described), nl=False)
    sys.exit(EXIT_CLEAN)


def _show_files(space: Any, cwd: Path) -> None:
    """``--show-files``: the files a run would check, as reports show their paths (a Python file
    or a text file some enabled rule reads), then exit: 0, or 2 when a given path does not exist."""
    from statelint.config import ConfigError
    from statelint.engine.analyze import Plan
    from statelint.engine.discovery import discover

    targets: list[Any] = []
    missing: list[str] = []

    def run(group: Any) -> list[Path]:
        nested: list[Path] = []
        found, lost = discover(group.paths, group.settings, cwd, Plan.build(group.settings).text_patterns, nested)
        targets.extend(found)
        missing.extend(lost)
        return nested

    try:
        space.visit(run)
    except ConfigError as exc:
        _fail(str(exc))
    for target in sorted(targets):
        click.echo(target.display)
    for path in missing:
        click.echo(f"statelint: error: {path}: no such file or directory", err=True)
    sys.exit(EXIT_ERROR if missing else EXIT_CLEAN)


def _warn_nothing_checked(paths: list[str], space: Any, cwd: Path) -> None:
    """Say why each named folder gave no file to check (asked only when none was checked, so a
    normal run never walks twice): "0 files scanned" alone reads as a clean bill of health."""
    from statelint.engine.discovery import nothing_to_check, printable

    for path in paths:
        reason = nothing_to_check(path, space.settings_for(path), cwd)
        if reason is not None:
            click.echo(f"statelint: warning: {printable(path)}: no file to check: {reason}", err=True)


def _check_folder(option: str, path: Path | None) -> None:
    """Fail before the scan when ``path`` cannot be written for want of its folder: a long
    CI scan must not end by losing its report."""
    if path is None:
        return
    folder = path.parent
    if not folder.exists():
        _fail(f"{option} {path}: the folder {folder} does not exist (create it first)")
    if not folder.is_dir():
        _fail(f"{option} {path}: {folder} is not a folder")


def _read_stdin() -> bytes:
    """Standard input's bytes (decoded later, as a file's are: PEP 263 cookies and BOMs apply)."""
    if sys.stdin is None:  # closed: `statelint check - <&-`
        _fail("cannot read standard input: it is closed")
    try:
        return sys.stdin.buffer.read()
    except (OSError, ValueError) as exc:  # unreadable, or closed by the caller
        _fail(f"cannot read standard input: {getattr(exc, 'strerror', None) or exc}")
        raise  # not reached: _fail exits


def _reads_stdin(paths: tuple[str, ...], stdin_filename: str | None) -> bool:
    """Whether the check reads standard input (PATH ``-``, or no PATH and ``--stdin-filename``, as in ruff)."""
    if "-" in paths and len(paths) > 1:
        _fail("`-` (standard input) cannot be combined with other paths")
    if stdin_filename is not None and paths and paths != ("-",):
        _fail("--stdin-filename names standard input's path: give `-` as the only PATH, or no PATH")
    return paths == ("-",) or (not paths and stdin_filename is not None)


def _scan(paths: list[str], settings: Any, cwd: Path, jobs: int, quiet: bool, **options: Any) -> Any:
    """Run the scan (``options`` go to ``scan``), with a progress bar on stderr when a person watches a long one."""
    from functools import partial

    from statelint.engine.runner import analyze_all, scan
    from statelint.reporters.progress import ScanProgress, wanted

    if not wanted(quiet, os.environ, _stderr_is_terminal()):
        return scan(paths, settings, cwd=cwd, jobs=jobs, **options)
    with ScanProgress(sys.stderr) as progress:
        analyze_files = partial(analyze_all, progress=progress.update)
        return scan(paths, settings, cwd=cwd, jobs=jobs, analyze_files=analyze_files, **options)


def _add_noqa(result: Any, base: Path, quiet: bool) -> None:
    """``--add-noqa``: comment every finding, say what was done and what was not, and exit: 0 when
    every finding got its comment, 1 when some could not, 2 when a file could not be changed."""
    from statelint.add_noqa import add_noqa

    outcome = add_noqa(result.findings, base)
    for skipped in outcome.skipped:
        f = skipped.finding
        click.echo(f"statelint: warning: {f.path}:{f.line}:{f.column}: {f.code} not suppressed: {skipped.reason}", err=True)
    for error in outcome.errors:
        click.echo(f"statelint: error: {error}", err=True)
    if not quiet:
        comments = _plural(outcome.comments, "suppression comment")
        click.echo(f"statelint: added {comments} for {_plural(outcome.findings, 'finding')} in {_plural(outcome.files, 'file')}", err=True)
    if result.errors or result.missing_paths or outcome.errors:
        sys.exit(EXIT_ERROR)
    sys.exit(EXIT_FINDINGS if outcome.skipped else EXIT_CLEAN)


def _baseline_note(count: int, path: Path | None, output_format: str) -> str:
    """What stderr says of the findings ``--baseline`` matched: hidden, except from SARIF, which
    lists them as ``unchanged`` beside the ``new`` ones."""
    if output_format == "sarif":
        return f"statelint: {_plural(count, 'finding')} in the baseline {path}, reported as unchanged"
    return f"statelint: {_plural(count, 'finding')} hidden by the baseline {path}"


def _write_baseline(path: Path, result: Any, quiet: bool) -> None:
    """``--write-baseline``: record every finding, say so, exit 0 (2 if the scan had errors)."""
    from statelint.baseline import write_baseline

    try:
        write_baseline(path, result.findings)
    except OSError as exc:
        _fail(f"{path}: cannot write baseline: {exc.strerror or exc}")
    if not quiet:
        click.echo(f"statelint: recorded {_plural(len(result.findings), 'finding')} in the baseline {path}", err=True)
    sys.exit(EXIT_ERROR if result.errors or result.missing_paths else EXIT_CLEAN)


@cli.command(name="rules")
@click.option(
    "--output-format",
    type=click.Choice(("table", "json", "markdown")),
    default="table",
    show_default=True,
    help="json includes each rule's docs and options; markdown is one table per family, as in the README.",
)
def rules_command(output_format: str) -> None:
    """List every rule."""
    from statelint.docs import rules_json, rules_markdown, rules_table

    catalog = _catalog()
    if output_format == "json":
        click.echo(rules_json(catalog))
    elif output_format == "markdown":
        click.echo(rules_markdown(catalog))
    else:
        click.echo(rules_table(catalog, _text_width(), color=_stdout_is_terminal() and not os.environ.get("NO_COLOR")))


@cli.command(name="rule")
@click.argument("code")
def rule_command(code: str) -> None:
    """Explain one rule: what it does, why, an example, what to use instead, its options."""
    from statelint.docs import rule_text

    catalog = _catalog()
    doc = catalog.rules.get(code.strip().upper())
    if doc is None:
        _fail(f"unknown rule code {code!r} (see `statelint rules`)")
    click.echo(rule_text(doc, catalog, _text_width()))


def _text_width() -> int | None:
    """The width to wrap documentation to: the terminal's, or ``COLUMNS`` when set; None (do not
    wrap) when stdout is a pipe or a file without ``COLUMNS``, so that tools get whole lines."""
    columns = os.environ.get("COLUMNS", "")
    if columns.isdigit() and int(columns) > 0:
        return int(columns)
    if not _stdout_is_terminal():
        return None
    import shutil

    return shutil.get_terminal_size().columns


def main() -> None:
    """The console entry point (``statelint``, ``python -m statelint``).

    It leaves without tearing the interpreter down, as mypy does: freeing every module
    and object one by one cost a pre-commit run 11 ms, and nothing is left to clean up
    by then (reports are written, worker processes joined, cache files renamed into
    place). Tests call :data:`cli` itself, which exits the usual way.
    """
    try:
        cli(prog_name="statelint")
        code: object = 0
    except SystemExit as done:
        code = done.code
    except KeyboardInterrupt:  # Ctrl-C before a command started (while click parses, or imports)
        code = EXIT_INTERRUPTED
    if code is None:
        code = 0
    elif not isinstance(code, int):  # what the interpreter does with sys.exit("message")
        print(code, file=sys.stderr)
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe: the report's writer has said so already
            pass
    os._exit(code)
