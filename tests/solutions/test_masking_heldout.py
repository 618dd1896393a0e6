"""The masker against a second corpus written to check generalization (masking_corpus_heldout).

It was written without sight of the masker or of the first corpus, in another style (multi-line
pasted configs, chat logs, mail headers, eight languages, names from every region, hard clean
lines such as "Grant Access" or "Will Outlook sync"). Its first measurement, before any rule was
changed for it, is in docs/benchmarks.md (81% of planted items masked); the classes of misses it
showed were fixed as classes, and this test keeps them fixed with the issue's targets.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

from solutions.masking import mask
from tests.solutions.masking_corpus_heldout import CLEAN, PLANTED

RECALL_TARGET = 0.99
KEEP_TARGET = 0.98


def _leaked(kind: str, secrets: tuple[str, ...], masked: str) -> list[str]:
    leaked = []
    for secret in secrets:
        if secret in masked:
            leaked.append(secret)
        elif kind.startswith("name_") and re.search(
            rf"(?<!\w){re.escape(secret)}(?!\w)", masked, re.IGNORECASE
        ):
            leaked.append(secret)
    return leaked


def test_the_corpus_is_big_and_varied_enough():
    assert len(PLANTED) >= 250 and len({p.kind for p in PLANTED}) >= 20 and len(CLEAN) >= 150
    for item in PLANTED:
        assert all(secret in item.text for secret in item.secrets), item


def test_at_least_99_percent_of_planted_items_are_masked():
    misses: list[str] = []
    by_kind: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for item in PLANTED:
        masked = mask(item.text, known_names=item.known_names, extra_terms=item.extra_terms).text
        leaked = _leaked(item.kind, item.secrets, masked)
        by_kind[item.kind][1] += 1
        if leaked:
            misses.append(f"{item.kind}: {leaked}\n  {item.text!r}\n  -> {masked!r}")
        else:
            by_kind[item.kind][0] += 1
    recall = 1 - len(misses) / len(PLANTED)
    table = ", ".join(f"{k} {a}/{n}" for k, (a, n) in sorted(by_kind.items()) if a < n)
    assert recall >= RECALL_TARGET, f"recall {recall:.3f} ({table})\n" + "\n".join(misses)


def test_at_least_98_percent_of_clean_tokens_are_kept():
    kept = total = 0
    lossy = []
    for line in CLEAN:
        before, after = Counter(line.split()), Counter(mask(line).text.split())
        line_kept = sum(min(count, after[token]) for token, count in before.items())
        kept += line_kept
        total += sum(before.values())
        if line_kept < sum(before.values()):
            lossy.append(f"  {line!r}\n  -> {mask(line).text!r}")
    assert kept / total >= KEEP_TARGET, f"kept {kept / total:.4f}\n" + "\n".join(lossy)


def test_masking_the_corpus_twice_changes_nothing():
    for item in PLANTED:
        once = mask(item.text, known_names=item.known_names, extra_terms=item.extra_terms).text
        assert mask(once, known_names=item.known_names, extra_terms=item.extra_terms).text == once
    for line in CLEAN:
        once = mask(line).text
        assert mask(once).text == once
