"""What an outside expert must never see in a ticket, and what must stay readable for them."""

from __future__ import annotations

import dataclasses
import time

import pytest

from solutions.masking import KINDS, Masked, mask, mask_text

PRIVATE_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAxK1fake0nly4testsA1b2C3d4E5f6G7h8I9j0K1l2M3n4O5p6\n"
    "Q7r8S9t0U1v2W3x4Y5z6==\n"
    "-----END RSA PRIVATE KEY-----"
)

# (ticket text, what must disappear, what must appear instead, kind counted)
MASKED = [
    # Email addresses
    (
        "Reach me at jane.doe@acme.example please",
        "jane.doe@acme.example",
        "at [email] please",
        "email",
    ),
    ("cc: OPS+alerts@sub.corp.co.uk", "OPS+alerts@sub.corp.co.uk", "cc: [email]", "email"),
    ("Send it to <m.müller@firma.de>.", "m.müller@firma.de", "<[email]>.", "email"),
    # Phone numbers
    ("Call me on +1 (555) 123-4567 ext 89", "555) 123-4567", "Call me on [phone]", "phone"),
    ("mobile 0171 2345678", "0171 2345678", "mobile [phone]", "phone"),
    ("tel. +44 20 7946 0958", "7946 0958", "tel. [phone]", "phone"),
    ("phone: 555.123.4567", "555.123.4567", "phone: [phone]", "phone"),
    ("Direkt: +49 (0)30 123456-78", "123456-78", "Direkt: [phone]", "phone"),
    ("Office (030) 1234567, after 5pm", "1234567", "Office [phone], after", "phone"),
    ("US desk 1-800-555-0199 x204", "555-0199", "US desk [phone]", "phone"),
    ("Paris +33 1 23 45 67 89", "45 67 89", "Paris [phone]", "phone"),
    ("Phone: 4155552671", "4155552671", "Phone: [phone]", "phone"),
    ("from abroad 0044 20 7946 0958", "7946 0958", "abroad [phone]", "phone"),
    ("room 12, desk 0171 2345678 today", "2345678", "desk [phone] today", "phone"),
    # IP addresses; ports and prefix lengths say which service, so they stay
    ("the NAS at 192.168.10.25 is slow", "192.168.10.25", "NAS at [ip] is slow", "ip"),
    # A host's address with its prefix length is still the host's address
    ("eth0 has 10.20.30.41/24 assigned", "10.20.30.41", "has [ip]/24 assigned", "ip"),
    ("RDP to 172.16.4.2:3389 fails", "172.16.4.2", "RDP to [ip]:3389 fails", "ip"),
    ("link-local fe80::1ff:fe23:4567:890a%eth0", "fe80::1ff", "link-local [ip]", "ip"),
    ("host 2001:db8::7/64 answers", "2001:db8::7", "host [ip]/64 answers", "ip"),
    ("curl https://[2001:db8::10]:8443/health", "2001:db8::10", "https://[ip]:8443/", "ip"),
    ("mapped ::ffff:192.0.2.128 seen", "192.0.2.128", "mapped [ip] seen", "ip"),
    # Names in greetings, sign-offs and signatures
    ("Hi John,\nthe printer jams", "John", "Hi [name],\nthe printer jams", "name"),
    ("Hello Mary Smith,\nVPN down", "Mary Smith", "Hello [name],\nVPN down", "name"),
    ("Dear Dr. Patel,\nplease help", "Patel", "Dear [name],\nplease help", "name"),
    ("Broken.\n\nThanks,\nJohn Smith", "John Smith", "Thanks,\n[name]", "name"),
    ("Broken.\nRegards, Anna", "Anna", "Regards, [name]", "name"),
    ("Broken.\nBest regards\n-- \nPeter", "Peter", "Best regards\n-- \n[name]", "name"),
    ("Fails.\nCheers, Li Wei", "Li Wei", "Cheers, [name]", "name"),
    ("Kaputt.\nGrüße,\nJürgen Müller", "Jürgen Müller", "Grüße,\n[name]", "name"),
    ("Roto.\nRegards,\nJosé García", "José García", "Regards,\n[name]", "name"),
    ("Danke.\nMit freundlichen Grüßen\nSöre Ødegård", "Ødegård", "Grüßen\n[name]", "name"),
    ("Thanks for the quick reply, Anna", "Anna", "quick reply, [name]", "name"),
    ("My name is Siobhan O'Neill and I run payroll.", "O'Neill", "is [name] and I", "name"),
    ("From: John Smith <js@acme.example>", "John Smith", "From: [name] <[email]>", "name"),
    ("Hi John and Mary,\nthanks", "Mary", "Hi [name] and [name],", "name"),
    # Passwords and PINs
    ("password: hunter2", "hunter2", "password: [password]", "password"),
    ("my password is Tr0ub4dor&3", "Tr0ub4dor", "my password is [password]", "password"),
    ("pwd=S3cr3t!", "S3cr3t", "pwd=[password]", "password"),
    ("the old passwd was letmein99", "letmein99", "passwd was [password]", "password"),
    ("Password for the VPN: Qwerty12", "Qwerty12", "the VPN: [password]", "password"),
    ("I reset the password to Welcome2024 today", "Welcome2024", "to [password] today", "password"),
    (
        '{"user": "svc", "newPassword": "p@ss word"}',
        "p@ss",
        '"newPassword": "[password]"',
        "password",
    ),
    ("Server=db;Uid=sa;Pwd=Secr3t;Trust=yes", "Secr3t", "Pwd=[password];Trust=yes", "password"),
    ("mysql --password hunter22 -h db01", "hunter22", "--password [password] -h", "password"),
    ("PIN: 4321", "4321", "PIN: [password]", "password"),
    ("SIM PIN 9876 for the hotspot", "9876", "SIM PIN [password] for", "password"),
    # Keys and tokens in known formats
    ("key AKIAIOSFODNN7EXAMPLE leaked", "AKIAIOSFODNN7EXAMPLE", "key [secret] leaked", "secret"),
    (
        "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
        "wJalrXUtnFEMI",
        "aws_secret_access_key = [secret]",
        "secret",
    ),
    (
        "token ghp_abcdefghijklmnopqrstuvwxyz0123456789",
        "ghp_abcdefghij",
        "token [secret]",
        "secret",
    ),
    ("gho_abcdefghijklmnopqrstuvwxyz0123456789 in CI", "gho_abcdef", "[secret] in CI", "secret"),
    (
        "github_pat_11ABCDEFG0123456789_abcdefghijklmnop",
        "github_pat_11ABCDEFG",
        "[secret]",
        "secret",
    ),
    ("slack xoxb-123456789012-abcdefghijkl", "xoxb-123456789012", "slack [secret]", "secret"),
    ("stripe sk_live_51HabcdefGHIJKLmnop", "sk_live_51Habcdef", "stripe [secret]", "secret"),
    ("restricted rk_test_51Habcdef0123456", "rk_test_51Habcdef", "restricted [secret]", "secret"),
    (
        "maps AIzaSyA-abcdefghijklmnopqrstuvwxyz12345",
        "AIzaSyA-abcdefghij",
        "maps [secret]",
        "secret",
    ),
    (
        "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dBjftJeZ4CVPmB92K27uhbUJU1p1r",
        "eyJhbGciOiJIUzI1NiJ9",
        "jwt [secret]",
        "secret",
    ),
    (
        f"key below\n{PRIVATE_KEY}\nthanks",
        "MIIEowIBAAKCAQEA",
        "key below\n[secret]\nthanks",
        "secret",
    ),
    (
        "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n\ncut off here",
        "b3BlbnNzaC1rZXktdjEAAAAA",
        "[secret]\n\ncut off here",
        "secret",
    ),
    (
        "BitLocker 123456-234567-345678-456789-567890-678901-789012-890123",
        "456789",
        "[secret]",
        "secret",
    ),
    # Keys and tokens after a key name or a header
    (
        "Authorization: Bearer abcDEF123456ghi",
        "abcDEF123456ghi",
        "Authorization: Bearer [secret]",
        "secret",
    ),
    (
        "Authorization: Basic dXNlcjpwYXNz",
        "dXNlcjpwYXNz",
        "Authorization: Basic [secret]",
        "secret",
    ),
    ("Cookie: sessionid=abc123; csrftoken=xyz", "abc123", "Cookie: [secret]", "secret"),
    ("api_key=0123456789abcdef", "0123456789abcdef", "api_key=[secret]", "secret"),
    ("X-Api-Key: 9f8e7d6c5b4a", "9f8e7d6c5b4a", "X-Api-Key: [secret]", "secret"),
    (
        '"client_secret": "q8Wz-lkjh-7766"',
        "q8Wz-lkjh-7766",
        '"client_secret": "[secret]"',
        "secret",
    ),
    ("the token is abcdef123456", "abcdef123456", "the token is [secret]", "secret"),
    (
        "reset link https://x.example/r?token=ab12cd34ef&lang=en",
        "ab12cd34ef",
        "token=[secret]&lang",
        "secret",
    ),
    (
        "AccountKey=abc123+/==;EndpointSuffix=core",
        "abc123",
        "AccountKey=[secret];Endpoint",
        "secret",
    ),
    # Credentials in URLs and connection strings
    (
        "DSN postgres://app:S3cret@db.corp.local:5432/app",
        "S3cret",
        "postgres://[secret]@db",
        "secret",
    ),
    ("https://bob:pa55word@git.corp.local/repo.git", "pa55word", "https://[secret]@git", "secret"),
    (
        "mongodb+srv://svc:p@ss@cluster0.example.net",
        "p@ss",
        "mongodb+srv://[secret]@cluster0",
        "secret",
    ),
    # Card numbers that pass the Luhn check
    ("card 4111 1111 1111 1111 declined", "4111 1111 1111 1111", "card [card] declined", "card"),
    ("card 5500-0000-0000-0004 exp 12/26", "5500-0000-0000-0004", "card [card] exp 12/26", "card"),
    ("Amex 378282246310005 on file", "378282246310005", "Amex [card] on file", "card"),
]

KEPT = [
    "Windows 10 22H2 after KB5034441",
    "Upgraded to version 4.2.1 yesterday",
    "Firmware 10.2.3 is installed",
    "Since 2024-03-01 at 10:30 it fails",
    "Meeting on 12/03/2024, maintenance 12:00-13:00",
    "Error 0x80070005 when installing",
    "Port 443 is closed, 3389/tcp too",
    "See INC0012345 and REQ-20231",
    "srv-db-01.corp.local does not answer",
    "Build 10.0.19045.3930, Chrome 120.0.6099.130",
    "Excel 2019 (16.0.10394.20022) crashes",
    "Hi team,\nthe VPN is down",
    "Hello all,\nOutlook crashes",
    "Hi there, printer jams",
    "Dear IT support,\nmy laptop is slow",
    "Dear Sir or Madam,\nplease advise",
    "Hi Outlook keeps crashing after the update",
    "Thanks,\nthe finance team",
    "Thanks,\nIT Service Desk",
    "Best practice analyzer reports warnings",
    "Sent from my iPhone",
    "I forgot my password",
    "The password reset link does not arrive",
    "My password is expired and the password is not accepted",
    "Password: never expires",
    "My token expired this morning",
    "The token: expired",
    "Bearer authentication fails on the proxy",
    "Kerberos token size too big, Secret Server is down",
    "API key: in Key Vault",
    "pin 1234 of the connector is bent",
    "We have 250 users on 3 floors",
    "Order 1234 of 12 monitors, ticket 12345678",
    "Disk at 95% since 08:15",
    "We have 1 234 567 rows, costs $1,200",
    "uptime 10:30:15, build 2023.1001.1234",
    "std::string fails to compile",
    "GUID {3F2504E0-4F89-11D3-9A0C-0305E82C3301}",
    "Card 4111 1111 1111 1112 fails Luhn",
    "Windows Server 2019 1809 and Office 2016 16.0.4266.1001",
    "CVE-2024-12345 and RFC 1918 addresses",
    # Networks and addresses that name no machine say how traffic flows, not whose it is
    "blocked 10.0.0.0/8 on the firewall",
    "prefix 2001:db8::/32 routed, fd00::/8 too",
    "nginx listens on 0.0.0.0:443 and 127.0.0.1:8080, [::1]:9000",
    "https://git.corp.local:8443/repo is slow",
    "",
]


@pytest.mark.parametrize(("text", "secret", "expected", "kind"), MASKED)
def test_personal_and_secret_data_is_masked(text, secret, expected, kind):
    result = mask(text)
    assert secret not in result.text
    assert expected in result.text
    assert kind in result.counts


@pytest.mark.parametrize("text", KEPT)
def test_ordinary_it_text_stays_as_it_is(text):
    result = mask(text)
    assert result.text == text
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


def test_a_whole_ticket_with_a_signature_block():
    text = (
        "Good morning Dr. Ingrid Lindqvist,\n\n"
        "since the update our app can't reach db01 (10.20.30.40:5432).\n"
        "Connection string: postgres://svc_app:Xk9!mZ2q@db01.corp.local/app\n"
        "Our admin tried token=ghp_abcdefghijklmnopqrstuvwxyz0123456789 as well.\n\n"
        "Best regards\n"
        "-- \n"
        "Jürgen Müller\n"
        "Senior Engineer | Acme GmbH\n"
        "Tel. +49 89 1234 5678\n"
        "juergen.mueller@acme.example\n"
    )
    result = mask(text)
    assert result.text == (
        "Good morning [name],\n\n"
        "since the update our app can't reach db01 ([ip]:5432).\n"
        "Connection string: postgres://[secret]@db01.corp.local/app\n"
        "Our admin tried token=[secret] as well.\n\n"
        "Best regards\n"
        "-- \n"
        "[name]\n"
        "Senior Engineer | Acme GmbH\n"
        "Tel. [phone]\n"
        "[email]\n"
    )
    assert result.counts == {"email": 1, "phone": 1, "ip": 1, "name": 2, "secret": 2}


@pytest.mark.parametrize(
    "text",
    [t for t, *_ in MASKED]
    + KEPT
    + ["Hi [name],\nuse [ip]:443 and password: [password], Bearer [secret], [[ip]]"],
)
def test_masking_masked_text_changes_nothing(text):
    once = mask(text)
    twice = mask(once.text)
    assert twice.text == once.text
    assert twice.counts == {}


def test_the_api():
    result = mask("mail a@b.example")
    assert result == Masked(text="mail [email]", counts={"email": 1})
    assert mask_text("mail a@b.example") == result.text
    assert set(result.counts) <= set(KINDS)
    with pytest.raises(dataclasses.FrozenInstanceError):
        result.text = "x"  # type: ignore[misc]
    assert mask("") == Masked(text="", counts={})


# Near-misses for many patterns at once, numbers separated by spaces (the phone rule's
# costliest input), and blank lines (every line start is tried for a greeting).
ADVERSARIAL = [
    "a@ 1.2. 12- ghp_ x password token: eyJ. Hi -----BEGIN PRIVATE KEY----- ::1: (0 +",
    "1 ",
    "12 ",
    "\n--\n",
    "Thanks for all the things and more and more ",
]


@pytest.mark.parametrize("chunk", ADVERSARIAL)
def test_a_megabyte_of_hostile_input_masks_in_linear_time(chunk):
    big = chunk * (1_000_000 // len(chunk))
    started = time.perf_counter()
    mask(big)
    # Generous on purpose (it takes well under a second): a backtracking pattern would take
    # minutes here, not a few seconds, so a slow shared machine cannot make this flaky.
    assert time.perf_counter() - started < 5


def test_a_megabyte_of_tickets_masks_every_ticket():
    ticket = (
        "Hi John,\nthe VPN at 10.1.2.3 drops; call +1 555 123 4567 or mail jo@acme.example.\n"
        "password: hunter22 api_key=0123456789abcdef\n\nThanks,\nPeter Brown\n\n"
    )
    copies = 1_000_000 // len(ticket)
    result = mask(ticket * copies)
    assert result.counts == {kind: count * copies for kind, count in mask(ticket).counts.items()}
    assert result.text == mask_text(ticket) * copies


# Found by probing the escalated-ticket surfaces after the corpora passed (issue 11).
PROBED = [
    ("mi teléfono es 612 34 56 78 y mi DNI", "612 34", "teléfono es [phone] y"),
    ("Contactez Mme Dupont au 06 12 34 56 78 ou", "06 12 34", "au [phone] ou"),
    ("or at the front desk ext. 4412. — Graham", "Graham", "ext. 4412. — [name]"),
    ("Hi, it's Sam from accounts.", "Sam", "it's [name] from accounts"),
    ("the pass I use is Blue-Horse-77, the", "Blue-Horse-77", "I use is [password], the"),
]


@pytest.mark.parametrize(("text", "secret", "expected"), PROBED)
def test_probed_leaks_stay_closed(text, secret, expected):
    result = mask(text).text
    assert secret not in result and expected in result


def test_a_known_persons_logins_are_masked_too():
    text = "PS C:\\Users\\praman> whoami\nacme\\priya.raman\nGet-ADUser priyar; ramanp too"
    masked = mask(text, known_names=("Priya Raman",)).text
    assert masked == (
        "PS C:\\Users\\[name]> whoami\nacme\\[name].[name]\nGet-ADUser [name]; [name] too"
    )
    # Without the person known, a login is just a word.
    assert "praman" in mask(text).text
