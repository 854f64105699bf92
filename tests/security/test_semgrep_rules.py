"""Keyhold's semgrep rules (.semgrep.yml) fire where they should: every line marked `# ruleid: <rule>` in the bad
sample is flagged by that rule, nothing else is, and the good sample passes. `make lint` runs the same rules
over the product code; without this test a rule that matches nothing would pass that check forever."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.security

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = Path(__file__).with_name("samples")
SEMGREP = Path(sys.executable).with_name("semgrep")
MARKER = re.compile(r"#\s*ruleid:\s*(\S+)")


def semgrep_findings(*targets: Path) -> set[tuple[str, int, str]]:
    # Files named explicitly: semgrep's default ignore list skips tests/ directories.
    scan = subprocess.run(
        [SEMGREP, "scan", "--config", ROOT / ".semgrep.yml", "--metrics=off", "--disable-version-check", "--json",
         *targets],
        capture_output=True, text=True, timeout=120, cwd=ROOT, check=False,
    )  # fmt: skip
    report = json.loads(scan.stdout)
    assert report["errors"] == [], report["errors"]
    return {(Path(found["path"]).name, found["start"]["line"], found["check_id"]) for found in report["results"]}


def expected_findings(sample: Path) -> set[tuple[str, int, str]]:
    lines = sample.read_text().splitlines()
    return {(sample.name, number + 2, match[1]) for number, line in enumerate(lines) if (match := MARKER.search(line))}


def test_each_rule_fires_on_the_bad_sample_and_not_on_the_good_one():
    bad, good = SAMPLES / "semgrep_bad.py", SAMPLES / "semgrep_good.py"
    expected = expected_findings(bad)
    rules = {rule for _, _, rule in expected}
    assert len(rules) == 5, "the bad sample should break every rule in .semgrep.yml"
    assert semgrep_findings(bad, good) == expected
