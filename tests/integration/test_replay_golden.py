"""``forewarn replay`` output is byte-identical to the golden fixtures of the old pipeline.

Issue 12 restructures the pipeline's internals; its "Done when" asks for unchanged replay
output on the replay stories and on synth regions with random alarm mixes. Each case runs the
real console script on one shared embedded broker (``FOREWARN_BROKER``: replay then uses a
topic prefix and consumer group of its own per run) and compares ``--out`` byte for byte with
``tests/fixtures/golden/<case>.jsonl.gz`` after the one documented normalisation
(``delivered_at`` is the wall clock: see ``golden_replay``), and the stderr summary line
(lines, notifications, rejected, unknown elements) with ``<case>.summary.txt``.

A mismatch is a behaviour change. If it is intended, run
``.venv/bin/python tests/fixtures/golden/regenerate.py`` and say why in the commit message.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.golden_replay import CASES, GoldenCase, first_difference, read_fixture, run_case

pytestmark = pytest.mark.integration


@pytest.mark.parametrize("case", CASES, ids=[case.name for case in CASES])
def test_replay_output_matches_the_golden_fixture(
    case: GoldenCase, tmp_path: Path, embedded_broker: object
) -> None:
    want = read_fixture(case.expected)
    got = run_case(case, tmp_path, embedded_broker.url)  # type: ignore[attr-defined]

    assert want.out.strip(), "a golden fixture must pin some notifications"
    assert got.summary == want.summary, f"summary changed:\n  fixture: {want.summary}" \
                                        f"  now    : {got.summary}"
    difference = first_difference(want.out, got.out)
    if difference is not None:
        pytest.fail(f"replay output of '{case.name}' changed:\n{difference}", pytrace=False)
