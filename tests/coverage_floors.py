"""Fail when coverage drops below the floors in pyproject.toml's [tool.brisk.coverage-floors].

`make test` runs this after the whole suite (not after a partial run, whose coverage says
nothing). A key ending in "/" is a package, held to its floor as a whole; any other key is a
glob, and every module it matches is held to the floor on its own, so one well-tested services
module cannot hide an untested one. `total` is the floor for everything measured.

    .venv/bin/python tests/coverage_floors.py [data file]
"""

from __future__ import annotations

import io
import sys
import tomllib
from pathlib import Path

import coverage

ROOT = Path(__file__).resolve().parents[1]


def floors() -> dict[str, float]:
    config = tomllib.loads((ROOT / "pyproject.toml").read_text())
    return {key: float(value) for key, value in config["tool"]["brisk"]["coverage-floors"].items()}


def percent(cov: coverage.Coverage, path: Path) -> float:
    _, statements, _, missing, _ = cov.analysis2(str(path))
    if not statements:
        return 100.0
    return 100.0 * (len(statements) - len(missing)) / len(statements)


def check(cov: coverage.Coverage, rules: dict[str, float]) -> list[str]:
    failures = []
    for key, floor in rules.items():
        if key == "total":
            measured = [(key, cov.report(file=io.StringIO()))]
        elif key.endswith("/"):
            measured = [(key, cov.report(include=[str(ROOT / key / "*")], file=io.StringIO()))]
        else:
            paths = sorted(ROOT.glob(key))
            if not paths:
                failures.append(f"{key}: the floor matches no file")
            measured = [(str(path.relative_to(ROOT)), percent(cov, path)) for path in paths]
        for name, value in measured:
            status = "ok" if value >= floor else "BELOW FLOOR"
            print(f"coverage {name}: {value:.1f}% (floor {floor:g}%) {status}")
            if value < floor:
                failures.append(f"{name}: {value:.1f}% < {floor:g}%")
    return failures


def main(argv: list[str]) -> int:
    config_file = str(ROOT / "pyproject.toml")
    cov = (
        coverage.Coverage(data_file=argv[1], config_file=config_file)
        if len(argv) > 1
        else coverage.Coverage(config_file=config_file)
    )
    cov.load()
    failures = check(cov, floors())
    if failures:
        print("coverage floors failed:\n  " + "\n  ".join(failures), file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
