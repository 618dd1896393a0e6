"""What an outside expert must never see, and what must stay readable for them."""

import pytest

from solutions.masking import mask, mask_text

MASKED = [
    ("Reach me at jane.doe@acme.example please", "jane.doe@acme.example", "[email]"),
    ("cc: OPS+alerts@sub.corp.co.uk", "OPS+alerts@sub.corp.co.uk", "[email]"),
    ("Call me on +1 (555) 123-4567 ext 89", "555) 123-4567", "[phone]"),
    ("mobile 0171 2345678", "0171 2345678", "[phone]"),
    ("tel. +44 20 7946 0958", "7946 0958", "[phone]"),
    ("phone: 555.123.4567", "555.123.4567", "[phone]"),
    ("the NAS at 192.168.10.25 is slow", "192.168.10.25", "[ip]"),
    ("blocked 10.0.0.0/8 on the firewall", "10.0.0.0/8", "[ip]"),
    ("RDP to 172.16.4.2:3389 fails", "172.16.4.2:3389", "[ip]"),
    ("link-local fe80::1ff:fe23:4567:890a", "fe80::1ff:fe23:4567:890a", "[ip]"),
    ("prefix 2001:db8::/32 routed", "2001:db8::/32", "[ip]"),
    ("Hi John,\nthe printer jams", "John", "Hi [name],"),
    ("Hello Mary Smith,\nVPN down", "Mary Smith", "Hello [name],"),
    ("Dear Dr. Patel,\nplease help", "Patel", "Dear [name],"),
    ("Broken.\n\nThanks,\nJohn Smith", "John Smith", "Thanks,\n[name]"),
    ("Broken.\nRegards, Anna", "Anna", "Regards, [name]"),
    ("Broken.\nBest regards\n-- \nPeter", "Peter", "[name]"),
    ("Fails.\nCheers, Li Wei", "Li Wei", "[name]"),
    ("Kaputt.\nGrüße,\nJürgen Müller", "Jürgen Müller", "[name]"),
    ("Roto.\nRegards,\nJosé García", "José García", "[name]"),
    ("password: hunter2", "hunter2", "password: [password]"),
    ("my password is Tr0ub4dor&3", "Tr0ub4dor&3", "my password is [password]"),
    ("pwd=S3cr3t!", "S3cr3t!", "pwd=[password]"),
    ("the old passwd was letmein99", "letmein99", "[password]"),
    ("PIN: 4321", "4321", "PIN: [password]"),
    ("key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE", "[secret]"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "[secret]",
    ),
    ("token ghp_abcdefghijklmnopqrstuvwxyz0123456789", "ghp_abcdefghij", "[secret]"),
    ("github_pat_11ABCDEFG0123456789_abcdefghijklmnop", "github_pat_11ABCDEFG", "[secret]"),
    ("slack xoxb-123456789012-abcdefghijkl", "xoxb-123456789012", "[secret]"),
    ("stripe sk_live_51HabcdefGHIJKLmnop", "sk_live_51HabcdefGHIJKLmnop", "[secret]"),
    ("maps AIzaSyA-abcdefghijklmnopqrstuvwxyz12345", "AIzaSyA-abcdefghij", "[secret]"),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r",
        "eyJhbGciOiJIUzI1NiJ9",
        "[secret]",
    ),
    ("Authorization: Bearer abcDEF123456ghi", "abcDEF123456ghi", "Bearer [secret]"),
    ("api_key=0123456789abcdef", "0123456789abcdef", "api_key=[secret]"),
    ('"client_secret": "q8Wz-lkjh-7766"', "q8Wz-lkjh-7766", "[secret]"),
    ("the token is abcdef123456", "abcdef123456", "[secret]"),
    ("DSN postgres://app:S3cret@db.corp.local:5432/app", "S3cret", "postgres://[secret]@"),
    ("https://bob:pa55word@git.corp.local/repo.git", "pa55word", "https://[secret]@"),
    (
        "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nabc\n-----END RSA PRIVATE KEY-----",
        "MIIEowIBAAKCAQEA",
        "[secret]",
    ),
    ("card 4111 1111 1111 1111 declined", "4111 1111 1111 1111", "[card]"),
    ("card 5500-0000-0000-0004", "5500-0000-0000-0004", "[card]"),
]

KEPT = [
    "Windows 10 22H2 after KB5034441",
    "Upgraded to version 4.2.1 yesterday",
    "Firmware 10.2.3 is installed",
    "Since 2024-03-01 at 10:30 it fails",
    "Error 0x80070005 when installing",
    "Port 443 is closed",
    "See INC0012345 and REQ-20231",
    "srv-db-01.corp.local does not answer",
    "Hi team,\nthe VPN is down",
    "Hello all,\nOutlook crashes",
    "Hi there, printer jams",
    "Dear IT support,\nmy laptop is slow",
    "I forgot my password",
    "The password reset link does not arrive",
    "My token expired this morning",
    "Thanks,\nthe finance team",
    "We have 250 users on 3 floors",
    "Order 1234 of 12 monitors",
    "Meeting on 12/03/2024",
    "Disk at 95% since 08:15",
    "Excel 2019 (16.0.10394.20022) crashes",
]


@pytest.mark.parametrize(("text", "secret", "expected"), MASKED)
def test_personal_and_secret_data_is_masked(text, secret, expected):
    result = mask(text)
    assert secret not in result.text
    assert expected in result.text
    assert sum(result.counts.values()) >= 1


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_it_text_stays_readable(text):
    result = mask(text)
    assert result.text == text, result.counts
    assert result.counts == {}


def test_counts_by_kind_and_the_rest_of_the_text_is_intact():
    text = (
        "Hi Anna,\nthe VPN at 10.1.2.3 drops for jane@acme.example and bob@acme.example.\n"
        "password: hunter22\n\nThanks,\nPeter Brown"
    )
    result = mask(text)
    assert result.counts == {"email": 2, "ip": 1, "password": 1, "name": 2}
    assert result.text == (
        "Hi [name],\nthe VPN at [ip] drops for [email] and [email].\n"
        "password: [password]\n\nThanks,\n[name]"
    )


@pytest.mark.parametrize("text", [t for t, _, _ in MASKED] + KEPT)
def test_masking_is_idempotent(text):
    once = mask_text(text)
    assert mask_text(once) == once


def test_empty_and_large_adversarial_input():
    assert mask("") == mask("")
    assert mask("").text == "" and mask("").counts == {}
    # Near-misses for every pattern, 1 MB in all: completes (linear patterns), masks nothing.
    chunk = "a@ 1.2. 12- ghp_ x password token: eyJ. Hi "
    big = chunk * (1_000_000 // len(chunk))
    assert mask_text(big) == big
