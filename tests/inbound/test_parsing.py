"""inbound.parsing on its own: bytes in, what a person wrote out."""

from __future__ import annotations

from inbound.parsing import email_parse, html_to_text, text_stripped


def test_quotes_and_signatures_of_common_clients_are_cut() -> None:
    gmail = "Fixed, thanks.\n\nOn Tue, 1 Dec 2026 at 10:02, Bob Smith <bob@x.example>\nwrote:\n> hi"
    outlook = "Still broken.\n\n-----Original Message-----\nFrom: Bob\nSent: Monday\n\nHi"
    underscores = "Yes.\n\n________________________________\nFrom: Bob <bob@x.example>\nHi"
    signed = "See the log.\n--\nAnn\n+1 555 0100"
    inline = "> what version?\n11.2\n> and the OS?\nmacOS"
    assert text_stripped(gmail) == "Fixed, thanks."
    assert text_stripped(outlook) == "Still broken."
    assert text_stripped(underscores) == "Yes."
    assert text_stripped(signed) == "See the log."
    assert text_stripped(inline) == "11.2\nmacOS"
    # "On" that starts an ordinary sentence stays.
    assert text_stripped("On Monday it broke.\nIt wrote: nothing") == (
        "On Monday it broke.\nIt wrote: nothing"
    )


def test_html_becomes_sanitized_text() -> None:
    text = html_to_text(
        "<p>One &amp; two</p><script>alert(1)</script><p>Three<br>four</p>"
        "<a href='javascript:alert(2)'>x</a><style>b{}</style>"
    )
    assert text == "One & two\n\nThree\nfour\n\nx"


def test_headers_the_relay_wrote_are_read_and_forged_ones_below_are_not() -> None:
    raw = (
        b"Authentication-Results: mx.ours.example; spf=pass smtp.mailfrom=a.example; "
        b"dkim=fail; dmarc=fail (p=quarantine) header.from=a.example\r\n"
        b"Authentication-Results: forged.example; dmarc=pass\r\n"
        b"From: a@a.example\r\nSubject: x\r\n\r\nbody\r\n"
    )
    auth = email_parse(raw).auth
    assert (auth.spf, auth.dkim, auth.dmarc, auth.dmarc_reject) == ("pass", "fail", "fail", False)
    trusted = email_parse(raw, authserv_ids=("forged.example",)).auth
    assert trusted.dmarc == "pass"
    spf_only = email_parse(b"Received-SPF: softfail (x)\r\nFrom: a@a.example\r\n\r\nb").auth
    assert spf_only.spf == "softfail"


def test_a_message_without_message_id_gets_a_stable_one() -> None:
    raw = b"From: a@a.example\r\nSubject: Re: Fwd: [Expertdesk #12] Help\r\n\r\nbody\r\n"
    first, again = email_parse(raw), email_parse(raw)
    assert first.message_id == again.message_id and first.message_id.endswith(".invalid>")
    assert (first.reference, first.title) == (12, "Help")
