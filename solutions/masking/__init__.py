"""Masks personal and secret data in ticket text before an outside expert sees it.

An escalated ticket leaves the customer's organization, so the expert's copy has personal and
secret data replaced by typed placeholders: `[email]`, `[phone]`, `[ip]`, `[mac]`, `[name]`,
`[address]`, `[password]`, `[secret]` (keys, tokens, private keys, credentials), `[card]`,
`[iban]`, `[id]` (identity, tax and passport numbers, dates of birth) and `[redacted]` (words
the organization asked to hide). The expert still sees what kind of thing stood there, and
everything around it is left as it was: error codes, versions, KB numbers, ports, CIDR
prefix lengths, host names, file paths and product names stay readable.

    mask(text, known_names=("Priya Raman",), extra_terms=("Project Falcon",))

`known_names` are the names the organization knows (its members, the ticket's author and
requester, names found in earlier signatures; `solutions.services.masking` gathers them);
`extra_terms` are words an owner asked to hide. The result also lists the names the rules
found by their context, so the organization can learn them for later tickets.

Rules live by domain: `credentials` (keys, tokens, passwords), `network` (e-mail, MAC and IP
addresses), `identifiers` (IBANs, cards, national IDs, phone numbers; checksums from
python-stdnum), `addresses` (postal addresses) and `names`. They run in order: blocks and
credentials first (a private key or `postgres://u:p@host` contains what looks like emails and
words), then addresses and numbers, names last. No rule matches a placeholder, so masking
masked text changes nothing.

Where two readings are close, masking errs towards hiding: an expert who loses a product name
after "Thanks," can ask, a customer whose password was shown cannot take it back.

Tickets carry pasted logs, so a megabyte must mask in a fraction of a second and no input may
make it slow. Every pattern is linear (possessive or bounded runs, nothing nested that can
backtrack), and most begin with a literal character or a character class rather than a
lookbehind, which lets the regex engine skip ahead instead of trying every position; where a
"not inside a word" check is needed it comes after that first character.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from . import addresses, credentials, identifiers, names, network
from .base import KINDS, Rule, Tally

__all__ = ["KINDS", "Masked", "mask", "mask_text"]

_RULES: tuple[Rule, ...] = (
    *credentials.RULES,
    *network.RULES,
    *identifiers.RULES,
    *addresses.RULES,
)


@dataclass(frozen=True)
class Masked:
    text: str
    counts: dict[str, int]  # kind -> how many were replaced, e.g. {"email": 2, "phone": 1}
    # Names found by their context (greeting, signature, prose), as written: "Jane Doe".
    found_names: tuple[str, ...] = ()


def mask(text: str, *, known_names: Iterable[str] = (), extra_terms: Iterable[str] = ()) -> Masked:
    counts = Tally()
    rules: list[Rule] = []
    if (terms := names.extra_terms_rule(extra_terms)) is not None:
        rules.append(terms)
    rules += _RULES
    if (known := names.known_names_rule(known_names)) is not None:
        rules.append(known)
    rules += names.RULES
    for rule in rules:
        text = rule(text, counts)
    found = tuple(dict.fromkeys(counts.found_names))
    return Masked(
        text=text,
        counts={kind: counts[kind] for kind in KINDS if counts[kind]},
        found_names=found,
    )


def mask_text(
    text: str, *, known_names: Iterable[str] = (), extra_terms: Iterable[str] = ()
) -> str:
    return mask(text, known_names=known_names, extra_terms=extra_terms).text
