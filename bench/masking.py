"""How well and how fast the masker works: recall on the planted items and the share of clean
IT tokens kept (the corpus in tests/solutions/masking_corpus.py and the held-out corpus in
tests/solutions/masking_corpus_heldout.py, the numbers their tests assert), how much of real
ticket text masking changes (helpdesk_qa from ../shared/datasets, when present: every change
there is a candidate false positive, since those tickets carry placeholders, not personal
data), then throughput on a ~1 MB pasted-log-like text and the time of a few adversarial
inputs, each of which must mask in well under a second.

    .venv/bin/python bench/masking.py [--verbose] [--mb 1.0] [--tickets 800]

Masking is pure Python: no Django, no database. The output is Markdown, ready to paste into
docs/benchmarks.md; --verbose adds every leaked item and every clean line that lost tokens.
The last stdout line is JSON.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import sys
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: the project root is not on path
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from solutions.masking import mask  # noqa: E402
from tests.solutions import masking_corpus_heldout as heldout  # noqa: E402
from tests.solutions.masking_corpus import (  # noqa: E402
    CLEAN,
    CLEAN_KNOWN_NAMES,
    PLANTED,
    kept_tokens,
    leaked_secrets,
)

DATASET = Path(__file__).resolve().parent.parent.parent / "shared" / "datasets" / "helpdesk_qa.csv"

REPEATS = 3
ADVERSARIAL_CHARS = 100_000
SLOW_S = 1.0


def quality(
    verbose: bool,
    *,
    title: str = "tests/solutions/masking_corpus.py",
    planted: Any = PLANTED,
    clean: Any = CLEAN,
    clean_known_names: Any = CLEAN_KNOWN_NAMES,
) -> dict[str, Any]:
    PLANTED, CLEAN = planted, clean  # noqa: N806 - the corpus measured, by its usual names
    per_kind: dict[str, list[bool]] = defaultdict(list)
    leaks = []
    for item in PLANTED:
        masked = mask(item.text, known_names=item.known_names, extra_terms=item.extra_terms).text
        leaked = leaked_secrets(item, masked)
        per_kind[item.kind].append(not leaked)
        if leaked:
            leaks.append({"kind": item.kind, "leaked": leaked, "in": item.text, "out": masked})
    kept_total = tokens_total = 0
    lossy = []
    for line in CLEAN:
        masked = mask(line, known_names=clean_known_names).text
        kept, total = kept_tokens(line, masked)
        kept_total += kept
        tokens_total += total
        if kept < total:
            lossy.append({"in": line, "out": masked, "lost": total - kept})

    masked_items = len(PLANTED) - len(leaks)
    recall = masked_items / len(PLANTED)
    keep = kept_total / tokens_total
    print(f"## Masking quality ({title})\n")
    print(f"- planted items: {len(PLANTED)} over {len(per_kind)} kinds")
    print(f"- recall (items with no secret left): **{recall:.1%}** ({masked_items}/{len(PLANTED)})")
    print(f"- clean lines: {len(CLEAN)}, {tokens_total} whitespace tokens")
    print(
        f"- clean tokens kept: **{keep:.2%}** ({kept_total}/{tokens_total}); "
        f"{len(lossy)} lines lost tokens\n"
    )
    print("| kind | masked | items | recall |")
    print("|---|---:|---:|---:|")
    for kind, results in sorted(per_kind.items(), key=lambda kv: (sum(kv[1]) / len(kv[1]), kv[0])):
        print(f"| {kind} | {sum(results)} | {len(results)} | {sum(results) / len(results):.0%} |")
    print()
    if verbose:
        print(f"### Leaks ({len(leaks)})\n")
        for leak in leaks:
            print(f"- `{leak['kind']}` leaked {leak['leaked']!r}")
            print(f"  - in:  `{leak['in']!r}`")
            print(f"  - out: `{leak['out']!r}`")
        print(f"\n### Clean lines that lost tokens ({len(lossy)})\n")
        for loss in lossy:
            print(f"- lost {loss['lost']}: `{loss['in']!r}`")
            print(f"  - out: `{loss['out']!r}`")
        print()
    return {
        "planted": len(PLANTED),
        "kinds": len(per_kind),
        "recall": round(recall, 4),
        "recall_by_kind": {k: round(sum(v) / len(v), 4) for k, v in sorted(per_kind.items())},
        "clean_lines": len(CLEAN),
        "clean_tokens": tokens_total,
        "clean_keep": round(keep, 4),
        "leaks": len(leaks),
    }


def real_tickets(count: int) -> dict[str, Any]:
    """Share of whitespace tokens of real tickets that masking changes, and what it puts in."""
    if not DATASET.exists() or count <= 0:
        return {}
    import csv
    from collections import Counter

    with DATASET.open(encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    sample = random.Random(7).sample(rows, min(count, len(rows)))
    changed = total = 0
    kinds: Counter[str] = Counter()
    started = time.perf_counter()
    for row in sample:
        text = f"{row['subject']}\n{row['body']}"
        result = mask(text)
        kept, tokens = kept_tokens(text, result.text)
        changed += tokens - kept
        total += tokens
        kinds.update(result.counts)
    seconds = time.perf_counter() - started
    print(f"## Masking real ticket text ({DATASET.name}, {len(sample)} tickets)\n")
    print(f"- tokens changed: **{changed / total:.3%}** ({changed}/{total})")
    print(f"- placeholders written: {dict(sorted(kinds.items()))}")
    print(f"- time: {seconds:.2f} s ({1000 * seconds / len(sample):.1f} ms per ticket)\n")
    return {"tickets": len(sample), "tickets_changed_share": round(changed / total, 5)}


def pasted_log(megabytes: float) -> str:
    """A long paste as tickets get them: log lines with timestamps, hosts, IPs, paths and
    levels, with the corpus' clean lines and planted fragments mixed in now and then."""
    rng = random.Random(11)  # the same text every run, so runs compare
    hosts = ["srv-db01.corp.local", "web-03", "fs01.corp.local", "vpn-gw02", "dc01", "k8s-node-7"]
    levels = ["INFO", "INFO", "INFO", "DEBUG", "WARN", "ERROR"]
    messages = [
        "GET /api/v2/orders?page={n} HTTP/1.1 200 {n}ms",
        "connection from 10.20.{a}.{b} port {n} accepted",
        "job backup-{n} finished with status=0 in {n}s",
        "retrying request to https://api.internal:8443/v1/items/{n} (attempt {a})",
        "Exception in worker {a}: TimeoutError after {n} ms at /opt/app/worker.py:{b}",
        "user svc_reports authenticated via kerberos, ticket lifetime {n}s",
        "disk /dev/sda{a} usage {b}% on volume data-{n}",
        "correlation_id=84c8fa42-fa8c-43ad-8e26-1e8f55b137bd span={n} duration_ms={b}",
    ]
    lines, size, limit = [], 0, int(megabytes * 1_000_000)
    while size < limit:
        roll = rng.random()
        if roll < 0.05:
            line = rng.choice(PLANTED).text
        elif roll < 0.15:
            line = rng.choice(CLEAN)
        else:
            message = rng.choice(messages).format(
                n=rng.randrange(1, 99_999), a=rng.randrange(0, 255), b=rng.randrange(1, 255)
            )
            line = (
                f"2025-11-04T{rng.randrange(24):02d}:{rng.randrange(60):02d}:"
                f"{rng.randrange(60):02d}.{rng.randrange(1000):03d}Z {rng.choice(levels):<5} "
                f"[{rng.choice(hosts)}] {message}"
            )
        lines.append(line)
        size += len(line.encode()) + 1
    return "\n".join(lines)


def best_of(text: str, repeats: int = REPEATS) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        mask(text, known_names=CLEAN_KNOWN_NAMES, extra_terms=("Project Falcon",))
        best = min(best, time.perf_counter() - started)
    return best


def adversarial_inputs(n: int = ADVERSARIAL_CHARS) -> dict[str, str]:
    """Inputs that make careless regexes backtrack: long runs of what the rules look for."""
    return {
        "digits": "1" * n,
        "digits with spaces": "12 " * (n // 3),
        "digits with dashes": "1-" * (n // 2),
        "equals signs": "=" * n,
        "password: repeated": "password: " * (n // 10),
        "capitalised words": "Aaaa " * (n // 5),
        "at signs": "@" * n,
        "a@ pairs": "a@" * (n // 2),
        "a. pairs": "a." * (n // 2),
        "colons and hex": "ab:" * (n // 3),
        "one long token": "Ab1+" * (n // 4),
        "BEGIN without END": "-----BEGIN PRIVATE KEY-----\n" + "QUJD" * (n // 4),
        "IBAN-like groups": "DE89 " * (n // 5),
        "(at) (dot) runs": "a (at) b (dot) " * (n // 15),
        "whitespace": " \t" * (n // 2),
    }


def speed(megabytes: float) -> dict[str, Any]:
    text = pasted_log(megabytes)
    size_mb = len(text.encode()) / 1_000_000
    seconds = best_of(text)
    print(f"## Masking speed (Python {platform.python_version()}, best of {REPEATS})\n")
    print(
        f"- pasted log: {size_mb:.2f} MB, {text.count(chr(10)) + 1} lines, "
        f"{seconds:.2f} s: **{size_mb / seconds:.2f} MB/s**\n"
    )
    print(
        f"Adversarial inputs ({ADVERSARIAL_CHARS:,} characters each; must stay well under "
        f"{SLOW_S:.0f} s):\n"
    )
    print("| input | seconds | |")
    print("|---|---:|---|")
    timings = {}
    for name, adversarial in adversarial_inputs().items():
        timings[name] = best_of(adversarial)
        flag = "SLOW" if timings[name] >= SLOW_S else "ok"
        print(f"| {name} | {timings[name]:.3f} | {flag} |")
    worst = max(timings, key=lambda name: timings[name])
    print(f"\nWorst case: {worst}, {timings[worst]:.3f} s.\n")
    return {
        "log_mb": round(size_mb, 3),
        "log_seconds": round(seconds, 3),
        "mb_per_s": round(size_mb / seconds, 3),
        "adversarial_s": {name: round(t, 4) for name, t in timings.items()},
        "worst_adversarial": worst,
        "worst_adversarial_s": round(timings[worst], 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--verbose", action="store_true", help="list every leak and lost token")
    parser.add_argument("--mb", type=float, default=1.0, help="size of the pasted log in MB")
    parser.add_argument("--tickets", type=int, default=800, help="real tickets to mask (0: none)")
    args = parser.parse_args()
    results = quality(args.verbose)
    held = quality(
        args.verbose,
        title="held-out: tests/solutions/masking_corpus_heldout.py",
        planted=heldout.PLANTED,
        clean=heldout.CLEAN,
        clean_known_names=(),
    )
    results.update({f"heldout_{key}": value for key, value in held.items() if key != "leaks"})
    results.update(real_tickets(args.tickets))
    results.update(speed(args.mb))
    print(json.dumps(results))


if __name__ == "__main__":
    main()
