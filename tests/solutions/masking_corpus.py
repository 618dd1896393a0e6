"""An independent corpus for measuring the masker: planted personal/secret items and clean IT text.

Written from what real help-desk tickets, e-mail threads, pasted logs and config snippets
contain, and deliberately NOT derived from the masker's rules (issue 11): the hidden real data
we are measured on does not know our regexes either. Every number that has a checksum is valid
(IBAN mod 97, Luhn for cards, BitLocker blocks divisible by 11, the German tax id, the Dutch BSN,
the Spanish DNI letter); the keys and tokens are random strings in the vendors' formats, not
real credentials.

- `PLANTED`: a ticket fragment (1-6 lines, or a one-line title) with the exact substrings that
  must not survive masking. Only the sensitive part is listed: the password, not the word
  "password"; a person's first and last name separately; the secret path of a webhook, not the
  host. Kinds whose name starts with `name_` are people's names and are checked
  case-insensitively, as whole words.
- `CLEAN`: lines an outside expert needs verbatim (error codes, versions, hosts, paths, CIDR
  networks, GUIDs, ...); masking them must keep (nearly) every whitespace token. They are
  masked with `CLEAN_KNOWN_NAMES` as the organization's known names, as in production, where an
  organization always knows some names; none of those names occurs in the clean lines.

The scoring helpers at the end are shared by tests/solutions/test_masking_corpus.py and
bench/masking.py so both report the same numbers.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    kind: str  # e.g. "iban", "password", "aws_secret", "name_prose", ...
    text: str  # a realistic ticket fragment (1-6 lines) containing the item
    secrets: tuple[str, ...]  # the exact substrings that must NOT survive masking
    known_names: tuple[str, ...] = ()  # what the org knows (only where the platform would)
    extra_terms: tuple[str, ...] = ()  # words/phrases the owner asked to mask
    in_title: bool = False  # a ticket title (short, one line)


def _digit_groups(written: str) -> tuple[str, ...]:
    """The written number and, when it is grouped, each group of 4+ digits: a masker that
    replaces only part of a spaced IBAN or card must not count as having masked it."""
    groups = tuple(g for g in re.split(r"[ .\-]", written) if len(g) >= 4 and g.isdigit())
    return (written, *groups) if len(groups) > 1 else (written,)


P = Planted
_I = _digit_groups

# --- e-mail addresses -------------------------------------------------------------------------

EMAIL = (
    P(
        "email",
        "Please add jane.doe@acme-corp.com to the distribution list IT-Ops.",
        ("jane.doe@acme-corp.com",),
    ),
    P(
        "email",
        "From: m.schneider@contoso.de\nSent: Tuesday, 4 November 2025 09:12\n"
        "Subject: Drucker 3. OG druckt nicht",
        ("m.schneider@contoso.de",),
    ),
    P(
        "email",
        "2025-11-04T08:31:17Z WARN smtp-relay rejected RCPT TO:<kevin.obrien@fabrikam.com> "
        "550 5.1.1 mailbox unavailable",
        ("kevin.obrien@fabrikam.com",),
    ),
    P(
        "email",
        "Can you forward the invoice mails to priya.raman+invoices@northwind.io as well? "
        "The rule in OWA doesn't seem to fire.",
        ("priya.raman+invoices@northwind.io",),
    ),
    P(
        "email",
        "Shared mailbox not visible for LUCAS.MARTIN@EXAMPLE-LOGISTICS.FR after migration",
        ("LUCAS.MARTIN@EXAMPLE-LOGISTICS.FR",),
        in_title=True,
    ),
    P(
        "email",
        'Set-Mailbox -Identity "Sales Team" -GrantSendOnBehalfTo olivia.chen@globex-sales.com',
        ("olivia.chen@globex-sales.com",),
    ),
    P(
        "email",
        "My private address is tim_becker1987@gmx.de in case the work one is locked.",
        ("tim_becker1987@gmx.de",),
    ),
    P(
        "email",
        "> On Mon, Nov 3, 2025 at 4:41 PM <s.yilmaz@beispiel-versicherung.de> wrote:\n"
        "> the VPN client asks for a certificate again",
        ("s.yilmaz@beispiel-versicherung.de",),
    ),
    P(
        "email",
        "user=a.kowalski@intra.firma.pl action=login result=FAILURE reason=MFA_DENIED src=vpn-gw02",
        ("a.kowalski@intra.firma.pl",),
    ),
    P(
        "email",
        "Bitte das Postfach buchhaltung.mueller@stadtwerke-ulm.de auf 100 GB erweitern, "
        "es ist voll.",
        ("buchhaltung.mueller@stadtwerke-ulm.de",),
    ),
    P(
        "email",
        "The external auditor (r.hale@hale-audit.co.uk) needs guest access to the "
        "SharePoint site Finance-2025.",
        ("r.hale@hale-audit.co.uk",),
    ),
    P(
        "email",
        "[mailto:carmen.ruiz@empresa-ejemplo.es] no recibe correos desde el viernes",
        ("carmen.ruiz@empresa-ejemplo.es",),
    ),
    P(
        "email",
        "Reply-To: noreply-ignored\nCc: d.okafor@lagos-energy.ng; helpdesk@lagos-energy.ng",
        ("d.okafor@lagos-energy.ng",),
    ),
    P(
        "email",
        "Teams meeting invites from yuki.tanaka@jp.example-motors.com land in Junk",
        ("yuki.tanaka@jp.example-motors.com",),
        in_title=True,
    ),
)

OBFUSCATED_EMAIL = (
    P(
        "email_obfuscated",
        "You can reach me at jane (at) acme-corp (dot) com if the portal is down.",
        ("jane (at) acme-corp (dot) com", "jane"),
    ),
    P("email_obfuscated", "Kontakt: j.doe[at]contoso[dot]de", ("j.doe[at]contoso[dot]de", "j.doe")),
    P(
        "email_obfuscated",
        "send the logs to mike at fabrikam dot com please, attachments over 10 MB bounce here",
        ("mike at fabrikam dot com", "mike"),
    ),
    P(
        "email_obfuscated",
        "helga.meyer AT firma-nord DOT de (Spamschutz)",
        ("helga.meyer AT firma-nord DOT de", "helga.meyer"),
    ),
    P(
        "email_obfuscated",
        "escríbeme a pedro.alvarez{at}empresa{dot}es",
        ("pedro.alvarez{at}empresa{dot}es", "pedro.alvarez"),
    ),
    P(
        "email_obfuscated",
        "my email: s_kumar @ infosys-partner . com",
        ("s_kumar @ infosys-partner . com", "s_kumar"),
    ),
    P(
        "email_obfuscated",
        "alt contact anna dot berg at telia dot se",
        ("anna dot berg at telia dot se", "anna dot berg"),
    ),
    P(
        "email_obfuscated",
        "Merci d'écrire à m-weber(at)stadtwerke-ulm(dot)de pour l'accès.",
        ("m-weber(at)stadtwerke-ulm(dot)de", "m-weber"),
    ),
    P(
        "email_obfuscated",
        "ping me on jdoe84 at gmail dot com, outlook keeps crashing",
        ("jdoe84 at gmail dot com", "jdoe84"),
    ),
    P(
        "email_obfuscated",
        "Requester: f.rossi [at] example-banca [.] it",
        ("f.rossi [at] example-banca [.] it", "f.rossi"),
    ),
    P(
        "email_obfuscated",
        "contact: thomas.nguyen(@)globex(.)com",
        ("thomas.nguyen(@)globex(.)com", "thomas.nguyen"),
    ),
    P(
        "email_obfuscated",
        "Private: lena_schulz AT web DOT de - bitte nur im Notfall",
        ("lena_schulz AT web DOT de", "lena_schulz"),
    ),
)

# --- phone numbers ----------------------------------------------------------------------------

PHONE = (
    P("phone", "Call me back on (415) 555-0132, I'm at my desk until 5pm PT.", ("(415) 555-0132",)),
    P("phone", "Mobile: +1 212-555-0187", ("+1 212-555-0187",)),
    P("phone", "Best number to reach the site manager: 312.555.0148", ("312.555.0148",)),
    P("phone", "Please call +44 20 7946 0958 when the engineer is on site.", ("+44 20 7946 0958",)),
    P("phone", "text me on 07700 900123 when it's fixed", ("07700 900123",)),
    P("phone", "Rückruf bitte unter 0171 2345678, ich bin im Homeoffice.", ("0171 2345678",)),
    P(
        "phone",
        "Tel.: +49 (0)89 2180-4471\nFax: +49 (0)89 2180-4400",
        ("+49 (0)89 2180-4471", "2180-4471"),
    ),
    P("phone", "Handy +49 151 23456789 (nur bis 18 Uhr)", ("+49 151 23456789",)),
    P("phone", "Mon numéro : 06 45 78 12 90, je suis joignable le matin.", ("06 45 78 12 90",)),
    P("phone", "tel. +33 6 12 84 53 07", ("+33 6 12 84 53 07",)),
    P("phone", "Llámame al +34 612 345 678 cuando llegue el técnico.", ("+34 612 345 678",)),
    P(
        "phone",
        "Bel even naar +31 6 4821 7733, dan loop ik mee naar de printer.",
        ("+31 6 4821 7733",),
    ),
    P("phone", "User reachable via +91 98450 12345 (WhatsApp preferred)", ("+91 98450 12345",)),
    P("phone", "Callback requested - +61 412 345 678 - after 2pm AEST", ("+61 412 345 678",)),
    P("phone", "Natel 079 555 12 34, Büro Zürich", ("079 555 12 34",)),
    P(
        "phone",
        "Laptop hand-over: call 0044 7700 900456 at reception",
        ("0044 7700 900456",),
        in_title=True,
    ),
)

# --- network identifiers ----------------------------------------------------------------------

IPV4 = (
    P(
        "ipv4",
        "My home IP is 84.152.37.201, can you whitelist it for the RDP gateway?",
        ("84.152.37.201",),
    ),
    P(
        "ipv4",
        "Nov  4 09:14:02 fw01 sshd[2231]: Failed password for invalid user admin from "
        "185.220.101.47 port 52144 ssh2",
        ("185.220.101.47",),
    ),
    P(
        "ipv4",
        "my laptop got 10.20.4.117 from DHCP but cannot reach the file server",
        ("10.20.4.117",),
    ),
    P(
        "ipv4",
        "Client 192.168.178.23 is blocked by the proxy since this morning",
        ("192.168.178.23",),
    ),
    P(
        "ipv4",
        "ipconfig\n   IPv4 Address. . . . . . . . . . . : 172.16.40.88(Preferred)",
        ("172.16.40.88",),
    ),
    P(
        "ipv4",
        "The sign-in log shows a login from 91.64.213.9 (Berlin) that wasn't me.",
        ("91.64.213.9",),
    ),
    P(
        "ipv4",
        "Ich sitze im Homeoffice, öffentliche IP laut whatismyip: 79.227.145.16",
        ("79.227.145.16",),
    ),
    P(
        "ipv4",
        '203.0.113.77 - - [04/Nov/2025:10:02:11 +0100] "POST /login HTTP/1.1" 401 512',
        ("203.0.113.77",),
    ),
    P(
        "ipv4",
        "Workstation PC-0457 (10.3.12.54) shows 'Trust relationship failed'",
        ("10.3.12.54",),
        in_title=True,
    ),
    P(
        "ipv4",
        "AADSTS53003 for user from IP address 62.214.8.130; conditional access blocks it",
        ("62.214.8.130",),
    ),
    P("ipv4", 'remote_addr=100.64.23.9 user_agent="Mozilla/5.0" status=403', ("100.64.23.9",)),
    P(
        "ipv4",
        "Mon adresse IP perso est 88.174.52.3, merci de l'autoriser sur le VPN.",
        ("88.174.52.3",),
    ),
)

IPV6 = (
    P(
        "ipv6",
        "My router gives me 2a02:8109:9b40:3e00:5d2c:81ff:fe2a:19b4 and the VPN drops",
        ("2a02:8109:9b40:3e00:5d2c:81ff:fe2a:19b4",),
    ),
    P(
        "ipv6",
        "   IPv6 Address. . . . . . . . . . . : 2001:16b8:4c2a:7d00:a1b2:33c4:9e1f:6a07",
        ("2001:16b8:4c2a:7d00:a1b2:33c4:9e1f:6a07",),
    ),
    P(
        "ipv6",
        "   Link-local IPv6 Address . . . . . : fe80::3c22:fbff:fe9a:410e%12",
        ("fe80::3c22:fbff:fe9a:410e",),
    ),
    P(
        "ipv6",
        "Sign-in from 2a01:598:b1a4:19c2::4e7 flagged as risky by Entra ID",
        ("2a01:598:b1a4:19c2::4e7",),
    ),
    P(
        "ipv6",
        "Nov 04 10:11:09 mail postfix/smtpd[8812]: connect from unknown[2600:1700:5e10:8d0::2b]",
        ("2600:1700:5e10:8d0::2b",),
    ),
    P(
        "ipv6",
        "curl -6 works from 2a00:23c6:1f04:e801:9d4:21ff:fe3b:7c10 but not over IPv4",
        ("2a00:23c6:1f04:e801:9d4:21ff:fe3b:7c10",),
    ),
    P(
        "ipv6",
        "client [2003:e8:af17:5400:8c1:5bff:fe22:31d9] rejected by nginx: 403",
        ("2003:e8:af17:5400:8c1:5bff:fe22:31d9",),
    ),
    P(
        "ipv6",
        "Home IPv6 2a02:810d:4bc0:1e88::1f3 needs to be allowed on the firewall",
        ("2a02:810d:4bc0:1e88::1f3",),
        in_title=True,
    ),
    P(
        "ipv6",
        "inet6 2001:470:1f0b:9c3:216:3eff:fe5c:8a21 prefixlen 64 scopeid 0x0<global>",
        ("2001:470:1f0b:9c3:216:3eff:fe5c:8a21",),
    ),
    P(
        "ipv6",
        "Mein Laptop hat die Adresse 2a02:908:1a2:e9c0:b8f4:2d1e:9a3c:77e5 bekommen.",
        ("2a02:908:1a2:e9c0:b8f4:2d1e:9a3c:77e5",),
    ),
)

MAC = (
    P("mac", "ether 3c:22:fb:9a:41:0e  txqueuelen 1000  (Ethernet)", ("3c:22:fb:9a:41:0e",)),
    P("mac", "   Physical Address. . . . . . . . . : A4-83-E7-2C-19-F0", ("A4-83-E7-2C-19-F0",)),
    P(
        "mac",
        "Please register MAC 00:1A:2B:7C:4D:5E for the guest VLAN, it's my personal phone.",
        ("00:1A:2B:7C:4D:5E",),
    ),
    P(
        "mac",
        "switch#show mac address-table | i Gi1/0/14\n"
        "  20    0050.56a3.7c1d    DYNAMIC     Gi1/0/14",
        ("0050.56a3.7c1d",),
    ),
    P(
        "mac",
        "DHCPDISCOVER from 8c:85:90:1d:4e:22 via eth0: network 10.8.0.0/16: no free leases",
        ("8c:85:90:1d:4e:22",),
    ),
    P(
        "mac",
        "ARP: 10.3.1.1 at f4:8e:38:c2:09:5b on en0 ifscope [ethernet]",
        ("f4:8e:38:c2:09:5b",),
    ),
    P(
        "mac",
        "Die MAC-Adresse meines Laptops ist 98-FA-9B-21-6C-D3, bitte für 802.1X freischalten.",
        ("98-FA-9B-21-6C-D3",),
    ),
    P("mac", "Intune device record shows Wi-Fi MAC c8:89:f3:5a:e2:17", ("c8:89:f3:5a:e2:17",)),
    P("mac", "Port-security violation on Gi0/3 caused by 7cd3.0a5e.44b9", ("7cd3.0a5e.44b9",)),
    P(
        "mac",
        "Lease for 5C:F9:38:A1:0B:62 keeps expiring on the printer",
        ("5C:F9:38:A1:0B:62",),
        in_title=True,
    ),
    P(
        "mac",
        "wlan0: authenticated with 64:d1:54:9e:3a:c0 (SSID=Corp-WLAN)",
        ("64:d1:54:9e:3a:c0",),
    ),
    P("mac", "Adresse MAC de la station : 00-E0-4C-68-1F-A9", ("00-E0-4C-68-1F-A9",)),
)

# --- bank and card data -----------------------------------------------------------------------

IBAN = (
    P(
        "iban",
        "Please update my salary account to DE89 3704 0044 9217 4218 09 from next month.",
        _I("DE89 3704 0044 9217 4218 09"),
    ),
    P(
        "iban",
        "Neue Bankverbindung: IBAN DE07500105177877893287, BIC INGDDEFFXXX",
        ("DE07500105177877893287",),
    ),
    P(
        "iban",
        "Refund to DE88 7015 0000 6792 9081 00 failed in SAP",
        _I("DE88 7015 0000 6792 9081 00"),
        in_title=True,
    ),
    P(
        "iban",
        "Supplier bank details changed: GB71 NWBK 6016 1333 9075 79 (looks like phishing?)",
        _I("GB71 NWBK 6016 1333 9075 79"),
    ),
    P(
        "iban",
        "The payment file rejects GB87BARC20041538347017 with 'invalid creditor account'",
        ("GB87BARC20041538347017",),
    ),
    P(
        "iban",
        "Mon RIB : FR38 3000 6000 0146 8145 3840 191, pour le remboursement des frais.",
        _I("FR38 3000 6000 0146 8145 3840 191"),
    ),
    P(
        "iban",
        "iban: nl90abna6146100330 (lower case because I copied it from my banking app)",
        ("nl90abna6146100330",),
    ),
    P(
        "iban",
        "Expense refund to NL81INGB7666193451 not arriving",
        ("NL81INGB7666193451",),
        in_title=True,
    ),
    P(
        "iban",
        "Cuenta para la nómina: ES31 2100 0418 4106 1231 0077",
        _I("ES31 2100 0418 4106 1231 0077"),
    ),
    P(
        "iban",
        "IBAN IT31X0542811101283783266166 non viene accettato dal portale fornitori",
        ("IT31X0542811101283783266166",),
    ),
    P(
        "iban",
        "Lohnkonto bei der PostFinance: CH52 0076 2304 9403 2699 1",
        _I("CH52 0076 2304 9403 2699 1"),
    ),
    P(
        "iban",
        "SEPA XML line: <IBAN>AT691904302374095461</IBAN> fails schema validation",
        ("AT691904302374095461",),
    ),
    P(
        "iban",
        "Rekening BE46 1139 3095 5936 staat nog op mijn oude naam",
        _I("BE46 1139 3095 5936"),
    ),
    P(
        "iban",
        "Numer konta: PL87 9792 6224 3933 2836 7916 0110 - proszę o aktualizację w systemie",
        _I("PL87 9792 6224 3933 2836 7916 0110"),
    ),
    P(
        "iban",
        "Vendor master data: ie23 aibk 9311 5284 3646 97 was entered in lower case",
        _I("ie23 aibk 9311 5284 3646 97"),
    ),
    P(
        "iban",
        "Update IBAN to PT95 0035 4821 2378 9914 3301 4 in Workday",
        _I("PT95 0035 4821 2378 9914 3301 4"),
        in_title=True,
    ),
)

CARD = (
    P(
        "card",
        "The company card 4111 1111 1111 1111 is declined on the Adobe renewal.",
        _I("4111 1111 1111 1111"),
    ),
    P("card", "Card number: 5555-5555-5555-4444, exp 08/27", _I("5555-5555-5555-4444")),
    P(
        "card",
        "Please charge the licences to 4673.0024.5892.1529 (travel card)",
        _I("4673.0024.5892.1529"),
    ),
    P("card", "Payment failed for card 4758929007540095 - 'do not honor'", ("4758929007540095",)),
    P(
        "card",
        "Amex 3497 778188 04919 was charged twice for the Zoom subscription",
        ("3497 778188 04919", "778188", "04919"),
    ),
    P(
        "card",
        "Kreditkarte 5117 1452 1178 5029 wurde im Shop nicht akzeptiert",
        _I("5117 1452 1178 5029"),
    ),
    P(
        "card",
        "stripe webhook payload contained the full PAN 2221909111146560 in metadata.note",
        ("2221909111146560",),
    ),
    P(
        "card",
        "Carte bancaire 5555 1716 0790 9667 refusée sur le portail",
        _I("5555 1716 0790 9667"),
    ),
    P(
        "card",
        "AMEX 377031797405420 saved in the travel profile, please remove it",
        ("377031797405420",),
    ),
    P(
        "card",
        "Discover card 6011-9382-5773-5642 shows up in the helpdesk chat transcript",
        _I("6011-9382-5773-5642"),
    ),
    P(
        "card",
        "Tarjeta 4363 3639 5322 7506 bloqueada tras la compra en AWS",
        _I("4363 3639 5322 7506"),
    ),
    P(
        "card",
        "Card 5314.2177.4366.8758 rejected on Microsoft 365 renewal",
        _I("5314.2177.4366.8758"),
        in_title=True,
    ),
    P(
        "card",
        "JCB 3528-9751-0490-4958 was pasted into the public Teams channel by mistake",
        _I("3528-9751-0490-4958"),
    ),
    P(
        "card",
        "cc=4490267304320173&exp=0328&cvv=412 appears in the proxy access log",
        ("4490267304320173",),
    ),
)

SSN = (
    P(
        "ssn",
        "For the payroll portal they ask for my SSN: 531-74-2218. Is that legit?",
        ("531-74-2218",),
    ),
    P(
        "ssn",
        "Social Security Number 402-61-8830 visible in the HR export on the shared drive",
        ("402-61-8830",),
    ),
    P("ssn", "W-4 form upload fails. SSN 287 19 4406, employee id 55821", ("287 19 4406",)),
    P("ssn", "ssn=618037752 found in the application log (should be masked!)", ("618037752",)),
    P("ssn", "The background check vendor needs SSN 143-88-2096 re-entered", ("143-88-2096",)),
    P(
        "ssn",
        "Employee SSN 739-25-6614 shows in the ADP error email",
        ("739-25-6614",),
        in_title=True,
    ),
    P("ssn", "Benefits enrollment: SSN# 356-47-0918 rejected as duplicate", ("356-47-0918",)),
    P("ssn", "Her social is 024-36-9187, the portal says it doesn't match", ("024-36-9187",)),
    P("ssn", '"ssn": "801-52-3340", "dob": "1984-02-11"', ("801-52-3340",)),
    P("ssn", "SSN: 662147705 (no dashes, the form strips them)", ("662147705",)),
    P(
        "ssn",
        "tax form shows social security no. 509-90-1263 in the preview pane",
        ("509-90-1263",),
    ),
    P(
        "ssn",
        "I-9 scan with SSN 228-71-5549 was attached to the ticket, please delete",
        ("228-71-5549",),
    ),
)

# --- identity documents and addresses ---------------------------------------------------------

PASSPORT = (
    P(
        "passport",
        "For the travel booking tool: passport number 561284937, expires 2031.",
        ("561284937",),
    ),
    P(
        "passport",
        "Reisepass-Nr. C01X00T47 wird im Reiseportal als ungültig abgelehnt",
        ("C01X00T47",),
    ),
    P("passport", "Passport No: 107185703 (UK) - the visa form keeps timing out", ("107185703",)),
    P("passport", "Numéro de passeport : 19AP42871, la page de réservation plante", ("19AP42871",)),
    P("passport", "pasaporte PAB482913, no me deja guardar el perfil de viajero", ("PAB482913",)),
    P(
        "passport",
        "Passport K8273645 copy was emailed to the helpdesk inbox, please purge it",
        ("K8273645",),
    ),
    P(
        "passport",
        "Concur rejects passport number X42K91773 - 'document number format invalid'",
        ("X42K91773",),
        in_title=True,
    ),
    P("passport", "Reisepassnummer: CF4R7NP29, gültig bis 03/2030", ("CF4R7NP29",)),
    P("passport", "PASSPORT: 548201763 / nationality USA / DOB on file", ("548201763",)),
    P(
        "passport",
        "The scanned ID shows passport no. YA3091246 on page 2 of the attachment",
        ("YA3091246",),
    ),
    P("passport", "passport# 31945877 entered in the expense tool, please remove", ("31945877",)),
    P("passport", "Passnummer (Schweiz): X2581764, Einreiseformular hängt", ("X2581764",)),
)

ADDRESS = (
    P(
        "address",
        "Please ship the replacement laptop to my home: 1427 Maple Avenue, Apt 3B, "
        "Springfield, IL 62704",
        ("1427 Maple Avenue", "62704"),
    ),
    P(
        "address",
        "Delivery address:\n88 Kingsway Road\nDidsbury, Manchester\nM20 5PG",
        ("88 Kingsway Road", "M20 5PG"),
    ),
    P(
        "address",
        "Lieferadresse Homeoffice: Lindenstraße 47, 80331 München",
        ("Lindenstraße 47", "80331"),
    ),
    P(
        "address",
        "Bitte den Monitor an Am Rosenhang 3a, 53113 Bonn schicken.",
        ("Am Rosenhang 3a", "53113"),
    ),
    P(
        "address",
        "Adresse de livraison : 12 rue des Lilas, 69003 Lyon",
        ("12 rue des Lilas", "69003"),
    ),
    P(
        "address",
        "Enviar el portátil a Calle de Alcalá 145, 4º B, 28009 Madrid",
        ("Calle de Alcalá 145", "28009"),
    ),
    P(
        "address",
        "Afleveradres: Keizersgracht 221-II, 1016 DV Amsterdam",
        ("Keizersgracht 221-II", "1016 DV"),
    ),
    P(
        "address",
        "Ship to: 2210 W Belmont Ave, Chicago, IL 60618 (ring twice, doorbell broken)",
        ("2210 W Belmont Ave", "60618"),
    ),
    P(
        "address",
        "My address for the headset: 7 Elm Close, Headingley, Leeds LS6 2AB",
        ("7 Elm Close", "LS6 2AB"),
    ),
    P(
        "address",
        "Wohnanschrift: Hauptstr. 112, 70563 Stuttgart-Vaihingen",
        ("Hauptstr. 112", "70563"),
    ),
    P(
        "address",
        "Courier failed at 455 Market Street, Suite 900, San Francisco, CA 94105",
        ("455 Market Street", "94105"),
        in_title=True,
    ),
    P(
        "address",
        "docking station please to 34 Brunswick Gardens, London W8 4AL",
        ("34 Brunswick Gardens", "W8 4AL"),
    ),
    P(
        "address",
        "Neue Adresse: Grüner Weg 9, 50825 Köln - bitte im HR-System ändern",
        ("Grüner Weg 9", "50825"),
    ),
    P(
        "address",
        "Dirección: Avenida Diagonal 612, 08021 Barcelona",
        ("Avenida Diagonal 612", "08021"),
    ),
)

NATIONAL_ID = (
    P(
        "national_id",
        "Steuer-ID 37339128655 wird in der Lohnabrechnung im Klartext angezeigt",
        ("37339128655",),
    ),
    P("national_id", "Meine steuerliche Identifikationsnummer: 61540389669", ("61540389669",)),
    P("national_id", "IdNr 29 531 680 040 ist im DATEV-Export sichtbar", ("29 531 680 040",)),
    P(
        "national_id",
        "National Insurance number JG 10 37 52 A is printed on the payslip PDF",
        ("JG 10 37 52 A",),
    ),
    P("national_id", "NI number: PW482913C - the HMRC upload failed", ("PW482913C",)),
    P("national_id", "NINO NH642109B showing in the Sage report", ("NH642109B",), in_title=True),
    P(
        "national_id",
        "BSN 446619619 staat in de bijlage van het ticket, graag verwijderen",
        ("446619619",),
    ),
    P("national_id", "burgerservicenummer: 636957378", ("636957378",)),
    P("national_id", "Mi DNI es 18460155X, la web de nóminas no lo acepta", ("18460155X",)),
    P("national_id", "DNI/NIF 16825912D aparece en el log de la aplicación", ("16825912D",)),
)

# --- passwords, Wi-Fi keys, credential pairs --------------------------------------------------

PASSWORD = (
    P(
        "password",
        "I set a new password Summer2026! but Outlook keeps asking for the old one.",
        ("Summer2026!",),
    ),
    P("password", "password - Qwerty123", ("Qwerty123",)),
    P("password", "my pw is Bl4ckC0ffee# in case you need to log in as me", ("Bl4ckC0ffee#",)),
    P(
        "password",
        "Mein Passwort ist Sommer2025! und es wird trotzdem abgelehnt.",
        ("Sommer2025!",),
    ),
    P("password", "Kennwort: Fr3ib4d!7", ("Fr3ib4d!7",)),
    P(
        "password",
        "Mon mot de passe : Soleil2024$ ne fonctionne plus depuis ce matin.",
        ("Soleil2024$",),
    ),
    P("password", "mdp = Chaton!88 (pour la session Windows)", ("Chaton!88",)),
    P("password", "contraseña: Madrid#2025", ("Madrid#2025",)),
    P("password", "la contraseña es Barcelona_77 y no entra en el portal", ("Barcelona_77",)),
    P(
        "password",
        "DB_PASSWORD=p4ssw0rd_prod_2025\nDB_HOST=srv-db01.corp.local",
        ("p4ssw0rd_prod_2025",),
    ),
    P(
        "password",
        "Set-ADAccountPassword -Identity jdoe -Reset -NewPassword "
        "(ConvertTo-SecureString 'Welcome2024!' -AsPlainText -Force)",
        ("Welcome2024!",),
    ),
    P("password", "net user svc_scan Winter#2025 /domain", ("Winter#2025",)),
    P(
        "password",
        "Your temporary password is Tmp-48213-xq. You must change it at first sign-in.",
        ("Tmp-48213-xq",),
    ),
    P(
        "password",
        "I changed my password to Autumn@Leaves9 yesterday and now Teams loops",
        ("Autumn@Leaves9",),
    ),
    P("password", "PASSWORD: hZ8#qL2!vR", ("hZ8#qL2!vR",)),
    P("password", "pwd: Xk9$mP2w", ("Xk9$mP2w",)),
    P(
        "password",
        "datasource:\n  url: jdbc:postgresql://srv-db01:5432/erp\n  username: erp_app\n"
        "  password: 'S3cr3t-Db-Pa55'",
        ("S3cr3t-Db-Pa55",),
    ),
    P("password", "redis-cli -h cache01 -a 'R3dis!Cache' ping", ("R3dis!Cache",)),
    P("password", "mysql -u root -pN0tS0S3cret_2024 -h 127.0.0.1 shop", ("N0tS0S3cret_2024",)),
    P(
        "password",
        "the password for the shared mailbox is still Spring2023, can we rotate it?",
        ("Spring2023",),
    ),
    P("password", "sudo password on the jump host is Ubuntu#4ever btw", ("Ubuntu#4ever",)),
    P("password", "Helpdesk reset my password to Welcome1 and it already expired", ("Welcome1",)),
    P(
        "password",
        '{"username": "svc_reports", "password": "Zq7!mB3x", "domain": "CORP"}',
        ("Zq7!mB3x",),
    ),
    P("password", '<add key="SmtpPassword" value="M@ilRelay2025" />', ("M@ilRelay2025",)),
    P(
        "password",
        "Das neue Passwort lautet Herbstlaub#12, bitte nicht weitergeben.",
        ("Herbstlaub#12",),
    ),
    P("password", "Password reset to TempPass!42 does not work", ("TempPass!42",), in_title=True),
    P("password", "clave Sol2025!! para el usuario del escáner", ("Sol2025!!",)),
    P(
        "password",
        "Invoke-Sqlcmd -ServerInstance SQL02 -Username sa -Password 'Db@dmin2019'",
        ("Db@dmin2019",),
    ),
    P(
        "password",
        "le nouveau mot de passe est Printemps2025 mais Outlook ne le prend pas",
        ("Printemps2025",),
    ),
    P("password", "pass for the kiosk account = kiosk!Lobby7", ("kiosk!Lobby7",)),
)

WIFI_KEY = (
    P("wifi_key", "Guest Wi-Fi: SSID Acme-Guest, password Blue-Duck-42", ("Blue-Duck-42",)),
    P("wifi_key", "WLAN-Schlüssel: 4711-Koeln-WLAN-2025", ("4711-Koeln-WLAN-2025",)),
    P(
        "wifi_key",
        'netsh wlan show profile name="Office-5G" key=clear\n'
        "    Key Content            : Tr4ffic!Jam_99",
        ("Tr4ffic!Jam_99",),
    ),
    P("wifi_key", "wpa_passphrase=c0rp-w1f1-Sp4rrow", ("c0rp-w1f1-Sp4rrow",)),
    P(
        "wifi_key",
        "The WPA2 key for the warehouse AP is ForkLift2025 - scanners can't join",
        ("ForkLift2025",),
    ),
    P("wifi_key", "nmcli dev wifi connect Lab-IoT password 'iot#Sensor88'", ("iot#Sensor88",)),
    P("wifi_key", "WIFI:S:Meeting-Rooms;T:WPA;P:Kaffee&Kuchen2025;;", ("Kaffee&Kuchen2025",)),
    P("wifi_key", "Clé WiFi de la salle de réunion : Reunion_Salle3!", ("Reunion_Salle3!",)),
    P("wifi_key", 'psk="HomeNet-88-Fox" in wpa_supplicant.conf', ("HomeNet-88-Fox",)),
    P("wifi_key", "wifi pw for the training room: Train1ng_R00m", ("Train1ng_R00m",)),
    P(
        "wifi_key",
        "Guest WLAN key Sunflower#77 no longer accepted on iPhones",
        ("Sunflower#77",),
        in_title=True,
    ),
    P("wifi_key", "Pre-shared key: Mx7vQ2pL9wRt (same on all branch APs)", ("Mx7vQ2pL9wRt",)),
)

CREDENTIALS = (
    P("credentials", "creds: jdoe/Pass-2025-nov for the test tenant", ("Pass-2025-nov",)),
    P("credentials", "login admin / P@ssw0rd! on the printer web UI", ("P@ssw0rd!",)),
    P("credentials", "user: svc_backup pass: Bkp#Night2024", ("Bkp#Night2024",)),
    P("credentials", "Zugangsdaten: m.weber / Herbst2025!", ("Herbst2025!",)),
    P("credentials", "RDP to the kiosk PC: administrator / Adm!n-2024", ("Adm!n-2024",)),
    P(
        "credentials",
        "curl -u api_user:K3yP@ss77 https://erp.example.com/api/orders",
        ("K3yP@ss77",),
    ),
    P("credentials", "login/pw: root / toor123 (default from the vendor)", ("toor123",)),
    P("credentials", "identifiants : jdupont / Azerty2025", ("Azerty2025",)),
    P("credentials", "usuario jgarcia clave Valencia_2025", ("Valencia_2025",)),
    P("credentials", "Zugang Router: admin / Rou7er!Keller", ("Rou7er!Keller",)),
    P("credentials", "you can log in with helpdesk:Spr1ng-Cl3an to check", ("Spr1ng-Cl3an",)),
    P("credentials", "Username: s.kumar\nPassword: Chennai@2025", ("Chennai@2025",)),
)

# --- cloud keys and API tokens ----------------------------------------------------------------

AWS_KEY_ID = (
    P("aws_key_id", "aws_access_key_id = AKIAGXEMM6QLA6CLORWK", ("AKIAGXEMM6QLA6CLORWK",)),
    P(
        "aws_key_id",
        "The AWS Access Key Id you provided does not exist in our records. "
        "(Service: S3; Key: AKIAI6J47FO4SKQTYNTJ)",
        ("AKIAI6J47FO4SKQTYNTJ",),
    ),
    P("aws_key_id", "export AWS_ACCESS_KEY_ID=AKIAUWP7G7HQM3BY2KNN", ("AKIAUWP7G7HQM3BY2KNN",)),
    P("aws_key_id", '"AccessKeyId": "ASIAVFXR5H4IPEQKVJHA",', ("ASIAVFXR5H4IPEQKVJHA",)),
    P(
        "aws_key_id",
        "CloudTrail shows calls from key AKIAHNLKSGDI5EGUZ53W we don't recognise",
        ("AKIAHNLKSGDI5EGUZ53W",),
    ),
    P(
        "aws_key_id",
        "Key AKIAWDORTVNZLEY7NHZB leaked in a public GitHub repo",
        ("AKIAWDORTVNZLEY7NHZB",),
        in_title=True,
    ),
    P(
        "aws_key_id",
        "Jenkins credential 'deploy-prod' uses AKIAAPCK2YDUZDUEO36Q",
        ("AKIAAPCK2YDUZDUEO36Q",),
    ),
    P(
        "aws_key_id",
        "aws iam delete-access-key --access-key-id AKIACDARQ3BCGOREFKPX --user-name ci-bot",
        ("AKIACDARQ3BCGOREFKPX",),
    ),
    P(
        "aws_key_id",
        "[default]\naws_access_key_id=AKIAUSJOWUXHU4R4T5UO\nregion=eu-central-1",
        ("AKIAUSJOWUXHU4R4T5UO",),
    ),
    P("aws_key_id", "rclone: access_key_id = AKIA7V5ZWVVI77EC2WAY", ("AKIA7V5ZWVVI77EC2WAY",)),
)

AWS_SECRET = (
    P(
        "aws_secret",
        "aws_secret_access_key = YCl0Xq56zaWR7PAmpBFXlNPHcSke4R1J/dBi2ewQ",
        ("YCl0Xq56zaWR7PAmpBFXlNPHcSke4R1J/dBi2ewQ",),
    ),
    P(
        "aws_secret",
        "Access key ID,Secret access key\n"
        "AKIAI6J47FO4SKQTYNTJ,I+z0oaWdfZp/lvi60ZIF8+qR38Ony1dHqceytDbK",
        ("I+z0oaWdfZp/lvi60ZIF8+qR38Ony1dHqceytDbK",),
    ),
    P(
        "aws_secret",
        "here's the key pair from the console: AKIAUWP7G7HQM3BY2KNN "
        "BrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syx",
        ("BrDSxOOyBymrEqlHXm31qzZcmzTUoRyj9nde9syx",),
    ),
    P(
        "aws_secret",
        "export AWS_SECRET_ACCESS_KEY=3AVbfzx06UVZyvmbPkZyRHJouZrQV3xZAxjRM8mb",
        ("3AVbfzx06UVZyvmbPkZyRHJouZrQV3xZAxjRM8mb",),
    ),
    P(
        "aws_secret",
        '"SecretAccessKey": "onEG4ZgzWbmHGJR1m4jfXuX8v+h2+1KZNUK9IKLd",',
        ("onEG4ZgzWbmHGJR1m4jfXuX8v+h2+1KZNUK9IKLd",),
    ),
    P(
        "aws_secret",
        "s3 = boto3.client('s3', aws_access_key_id='AKIAAPCK2YDUZDUEO36Q',\n"
        "    aws_secret_access_key='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')",
        ("Ffm7sFog16pAgTtpU4r16H1UrLqE9oNTJIyJEyFz",),
    ),
    P(
        "aws_secret",
        "key id AKIACDARQ3BCGOREFKPX\n99TARR+rjp5B42HXtVtPLx2Vm7Pkk3/7MbjNBkM+",
        ("99TARR+rjp5B42HXtVtPLx2Vm7Pkk3/7MbjNBkM+",),
    ),
    P(
        "aws_secret",
        "secret_key = ZFkUUdUYXyVXtwwl6KcChuLc2iNkQkJnOkdsm2FC  # .s3cfg on the NAS",
        ("ZFkUUdUYXyVXtwwl6KcChuLc2iNkQkJnOkdsm2FC",),
    ),
    P(
        "aws_secret",
        "The CI job printed l7dUbo11sFuWvPAX2LJh8NoMtwh6c9eOnzxTBE8C in the build log",
        ("l7dUbo11sFuWvPAX2LJh8NoMtwh6c9eOnzxTBE8C",),
    ),
    P(
        "aws_secret",
        "AKIA4LRZLT6Q7ZVF6OZD / BrXJhEb8V5F1u1uPsHqIgtwaAtqkTIm97kMcy1yl",
        ("BrXJhEb8V5F1u1uPsHqIgtwaAtqkTIm97kMcy1yl",),
    ),
    P(
        "aws_secret",
        "Secret: rnY7p4bW8ELo6bAtLWMRYlGyzWoQNJ8Q5Wlnsmqw",
        ("rnY7p4bW8ELo6bAtLWMRYlGyzWoQNJ8Q5Wlnsmqw",),
    ),
    P(
        "aws_secret",
        "Veeam S3 repo: access key AKIALMZC5FGOCKH32EV3, secret "
        "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",
        ("rAsX9Q0bZOFcHQyRN4nWAQLnuGMDTszzdzkrF91Q",),
    ),
)

API_TOKEN = (
    P(
        "api_token",
        "git clone https://ghp_sR5xpWKx1klMJZeDczlY78QitWQ2V6yNLOZW@github.com/acme/infra.git",
        ("ghp_sR5xpWKx1klMJZeDczlY78QitWQ2V6yNLOZW",),
    ),
    P(
        "api_token",
        "GITHUB_TOKEN: github_pat_11BKM03CJ7YHZLV7IQPVDC_UQYjz9FMgEwA5N6SKWAWsF4D152SA0BhKh58"
        "HvHHBA5bu6dsUN5BUyMuWYt",
        (
            "github_pat_11BKM03CJ7YHZLV7IQPVDC_UQYjz9FMgEwA5N6SKWAWsF4D152S"
            "A0BhKh58HvHHBA5bu6dsUN5BUyMuWYt",
        ),
    ),
    P(
        "api_token",
        "SLACK_BOT_TOKEN=xoxb-923691118218-9704340521778-zjwSLoctbD5utuFj7XXE4nms",
        ("xoxb-923691118218-9704340521778-zjwSLoctbD5utuFj7XXE4nms",),
    ),
    P(
        "api_token",
        "the user token xoxp-035570283833-014546257612-3413423844581-7957842e2e21098d"
        "25967580541ec0f1 stopped working",
        ("xoxp-035570283833-014546257612-3413423844581-7957842e2e21098d25967580541ec0f1",),
    ),
    P(
        "api_token",
        'stripe.api_key = "sk_live_51leJXP6xuQEYcHsG02ORHV8IlMXXkhMBpQCJXqYTYUpqFIo2LMF'
        'qcmMTdKC34lujMbMFZBGCUq2Zbeh6lKOILYUpNjdtBcSu0N"',
        (
            "sk_live_51leJXP6xuQEYcHsG02ORHV8IlMXXkhMBpQCJXqYTYUpqFIo2LMFqcmMTdKC34lujMbMFZBGCUq2Zbeh6"
            "lKOILYUpNjdtBcSu0N",
        ),
    ),
    P(
        "api_token",
        "Restricted key rk_live_51VHXqWLFfP0GkyqpkFSQ1MYDduADxSnT9ciFWWMij "
        "returns 401 on /v1/invoices",
        ("rk_live_51VHXqWLFfP0GkyqpkFSQ1MYDduADxSnT9ciFWWMij",),
    ),
    P(
        "api_token",
        "https://maps.googleapis.com/maps/api/geocode/json?address=x&key="
        "AIza17lDUNRBfuZhRw7YBWWgB1SFxu9AZB7N85-",
        ("AIza17lDUNRBfuZhRw7YBWWgB1SFxu9AZB7N85-",),
    ),
    P(
        "api_token",
        "Authorization: Bearer eyJhbGciOiAiSFMyNTYiLCAidHlwIjogIkpXVCJ9.eyJzdWIiOiAiODgx"
        "MiIsICJuYW1lIjogInN2Yy1wb3J0YWwiLCAiaWF0IjogMTc2NDkyMTYwMCwgImV4cCI6IDE3NjQ5MjUyMDB9.1h8JWhRm"
        "34_Bh-mvrl2Ekgeas8p4MNOJZFNvN5LfFBw",
        (
            "1h8JWhRm34_Bh-mvrl2Ekgeas8p4MNOJZFNvN5LfFBw",
            "eyJzdWIiOiAiODgxMiIsICJuYW1lIjogInN2Yy1wb3J0YWwi",
        ),
    ),
    P(
        "api_token",
        "token from the portal's localStorage: eyJhbGciOiAiUlMyNTYiLCAia2lkIjogImsxIn0."
        "eyJhdWQiOiAiYXBpOi8vZXhwZW5zZSIsICJ1cG4iOiAic3ZjX3JlcG9ydHMiLCAic2NwIjogInJlYWQifQ.TrrrngqZ"
        "TLf3B81HiORIjnysUcA3K2uR1eEguyU35TY5teCRlHdxS8K3FZBlP6JEYEOZqwCYRI6QQ_Mh0wD5GQ",
        (
            "TrrrngqZTLf3B81HiORIjnysUcA3K2uR1eEguyU35TY5teCRlHdxS8K3FZBlP6JEYEOZqwCYRI6QQ_Mh0wD5GQ",
            "eyJhdWQiOiAiYXBpOi8vZXhwZW5zZSIsICJ1cG4iOiAic3ZjX3JlcG9ydHMi",
        ),
    ),
    P(
        "api_token",
        "api key: 046878770c07f2a8b30a6c5655af9bd9 (from the monitoring vendor)",
        ("046878770c07f2a8b30a6c5655af9bd9",),
    ),
    P(
        "api_token",
        "X-API-Key: xVQIFpPpxuTl6GVi4ee0g4Tth2CGXREckN3A3Edw",
        ("xVQIFpPpxuTl6GVi4ee0g4Tth2CGXREckN3A3Edw",),
    ),
    P(
        "api_token",
        "GitLab runner registration with glpat-x-AX1jgJUJcxHYBInUht fails",
        ("glpat-x-AX1jgJUJcxHYBInUht",),
        in_title=True,
    ),
    P(
        "api_token",
        "//registry.npmjs.org/:_authToken=npm_U7XxiXpU16hbu1yCf24yuqX4HQdtzMpFcmjG",
        ("npm_U7XxiXpU16hbu1yCf24yuqX4HQdtzMpFcmjG",),
    ),
    P(
        "api_token",
        "SENDGRID_API_KEY='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'",
        (
            "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",
            "LVSBrfd9bMiBTpVEHl2pY_h-XQK_JCuZz8vSElR2t9G",
        ),
    ),
    P(
        "api_token",
        "OPENAI_API_KEY=sk-proj-NcYpUiZIgW_M8PGjdeSPVMHx8XRUdBjg01iJi75WXerIN_U8",
        ("sk-proj-NcYpUiZIgW_M8PGjdeSPVMHx8XRUdBjg01iJi75WXerIN_U8",),
    ),
    P(
        "api_token",
        "Stripe webhook signing secret whsec_VDHVcapA4HjfzJtEB7ecRTWUNosqhJ2p in the "
        "docker-compose.yml",
        ("whsec_VDHVcapA4HjfzJtEB7ecRTWUNosqhJ2p",),
    ),
)

WEBHOOK_URL = (
    P(
        "webhook_url",
        "SLACK_WEBHOOK=https://hooks.slack.com/services/TQZ6ZQQXU/BLVNI0IRKIM/"
        "yNQsoPlaELS8Y7irSrAqOQzy",
        ("TQZ6ZQQXU/BLVNI0IRKIM/yNQsoPlaELS8Y7irSrAqOQzy", "yNQsoPlaELS8Y7irSrAqOQzy"),
    ),
    P(
        "webhook_url",
        "curl -X POST -H 'Content-type: application/json' --data '{\"text\":\"test\"}' "
        "https://hooks.slack.com/services/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",
        ("TIDKHCMSW/B8HZVB84KXE/tCZ31PsozUNAWjKyRSnIsZ3j", "tCZ31PsozUNAWjKyRSnIsZ3j"),
    ),
    P(
        "webhook_url",
        "Alertmanager slack_api_url: 'https://hooks.slack.com/services/T2LG9Q51H/"
        "BJUBRJRZRUO/fEmxJqJdjea5WtQfalvEiYm3'",
        ("T2LG9Q51H/BJUBRJRZRUO/fEmxJqJdjea5WtQfalvEiYm3", "fEmxJqJdjea5WtQfalvEiYm3"),
    ),
    P(
        "webhook_url",
        "Posting to hooks.slack.com/services/T04C0W9Z9/BDN9QRMSP2D/l2b8kIhRerwbWJteGDa4"
        "ne9x returns invalid_payload",
        ("T04C0W9Z9/BDN9QRMSP2D/l2b8kIhRerwbWJteGDa4ne9x", "l2b8kIhRerwbWJteGDa4ne9x"),
    ),
    P(
        "webhook_url",
        "Grafana contact point URL:\nhttps://hooks.slack.com/services/TA7QP5ZT8/"
        "BG4Z0QBAJOU/yUxGQrZxOOCwtre5PuMgqvnV",
        ("TA7QP5ZT8/BG4Z0QBAJOU/yUxGQrZxOOCwtre5PuMgqvnV", "yUxGQrZxOOCwtre5PuMgqvnV"),
    ),
    P(
        "webhook_url",
        "Slack hook hooks.slack.com/services/TLNDI8TNL/BWGJJXWL1BA/zGdzgu8I18Wnb4lueWL"
        "gLuBE returns 404",
        ("TLNDI8TNL/BWGJJXWL1BA/zGdzgu8I18Wnb4lueWLgLuBE", "zGdzgu8I18Wnb4lueWLgLuBE"),
        in_title=True,
    ),
    P(
        "webhook_url",
        "Teams connector: https://acmecorp.webhook.office.com/webhookb2/0eb02d36-3ac5-4f7c-"
        "a63b-e0a9004a858e@d869349c-49f6-4a9b-ba7d-d3c0f9a5237e/IncomingWebhook/7fd582ca5b04c16bed33e"
        "dedc7c11ee9/e6e23bff-a1d8-44cf-805b-a5efeeabcb7a",
        ("7fd582ca5b04c16bed33ededc7c11ee9", "e6e23bff-a1d8-44cf-805b-a5efeeabcb7a"),
    ),
    P(
        "webhook_url",
        "$uri = 'https://fabrikam.webhook.office.com/webhookb2/3230c88b-2f83-49ca-ba4b-"
        "882e9b77f43a@d762e2c4-f43d-4df6-b6f7-47aac23d3f36/IncomingWebhook/11a4ea8a6fc14f37543388251a"
        "8be60d/d714097a-5392-4a96-89e6-f57b5f243d63'\nInvoke-RestMethod -Method Post -Uri $uri",
        ("11a4ea8a6fc14f37543388251a8be60d", "d714097a-5392-4a96-89e6-f57b5f243d63"),
    ),
    P(
        "webhook_url",
        "Power Automate posts to https://contoso.webhook.office.com/webhookb2/d9cb3e3c-"
        "2aee-4a7b-985f-399a1d105687@21136e8f-d99d-4389-bece-a31afb709150/IncomingWebhook/6f8723ef72f"
        "124b53a1b793d5c0ef226/02fec280-3a26-4892-9430-ce82a655ba35 and gets 400",
        ("6f8723ef72f124b53a1b793d5c0ef226", "02fec280-3a26-4892-9430-ce82a655ba35"),
    ),
    P(
        "webhook_url",
        "DISCORD_WEBHOOK_URL=https://discord.com/api/webhooks/8538660554933222970/qJoHST"
        "NzbiAUN0zsjI2V0J6rpmS1E_pKpKk6C9Xz0C5iU1QK4ILbFb0VqGX1JRnnm6Al",
        ("qJoHSTNzbiAUN0zsjI2V0J6rpmS1E_pKpKk6C9Xz0C5iU1QK4ILbFb0VqGX1JRnnm6Al",),
    ),
    P(
        "webhook_url",
        "Uptime Kuma notifies https://discordapp.com/api/webhooks/5050950271527857903/"
        "cY3Dohi7ZBA_VsYmkavG8p37tcVUdnS0omMpiEqlNLTFF07gB5vn6rntsw0p0bDtoWuL but nothing arrives",
        ("cY3Dohi7ZBA_VsYmkavG8p37tcVUdnS0omMpiEqlNLTFF07gB5vn6rntsw0p0bDtoWuL",),
    ),
    P(
        "webhook_url",
        "webhook: https://discord.com/api/webhooks/8906174806641348165/-ArmYMIHCVk29XT3Q5"
        "ogNhuWPZCmVeOU9D-bV0naTFUVMAhOx_pSglBGI2VZlKmkYCGQ",
        ("-ArmYMIHCVk29XT3Q5ogNhuWPZCmVeOU9D-bV0naTFUVMAhOx_pSglBGI2VZlKmkYCGQ",),
    ),
)

PRIVATE_KEY = (
    P(
        "private_key",
        "-----BEGIN RSA PRIVATE KEY-----\n"
        "GaR+HnC8yVFa36SA/C+L8zvQBoOXx66lkP8o3EmS9POEaEYay6xV4iItKTmCFBLl\n"
        "HSXdmQSVGZ/ppnqO4muta3Uoi8iP3pOSFl89jMyjp9d5mgS76XXNxr80o8Qp6at9\n"
        "vTxDwPoY6MXmOiaWCprrcONRbD2TH6YA7H08nXFOqhT1OlkcEJOISa1FF9E66RkZ\n"
        "-----END RSA PRIVATE KEY-----",
        (
            "GaR+HnC8yVFa36SA/C+L8zvQBoOXx66lkP8o3EmS9POEaEYay6xV4iItKTmCFBLl",
            "vTxDwPoY6MXmOiaWCprrcONRbD2TH6YA7H08nXFOqhT1OlkcEJOISa1FF9E66RkZ",
        ),
    ),
    P(
        "private_key",
        "cat ~/.ssh/id_ed25519\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW\n"
        "UpQcc5nu8AKWSZTQBzIW5GHUZ693boN9EW/srQ6VcVCASNE1LQqwZbwpY0DJGgBZ\n"
        "-----END OPENSSH PRIVATE KEY-----",
        ("UpQcc5nu8AKWSZTQBzIW5GHUZ693boN9EW/srQ6VcVCASNE1LQqwZbwpY0DJGgBZ",),
    ),
    P(
        "private_key",
        "server.key:\n-----BEGIN PRIVATE KEY-----\n"
        "CInb+gmDuP8MveftEoBMW+BiHc7KHFhgq3bp/2ji9741eXqDjHNBo3KziRPZ3R25\n"
        "VRkkV4FI9BYPFLWOHJy+icB/yErcR6BJg0wbdVhCESQkp2Dgu0kRpbW9N7QQ/2a3\n"
        "-----END PRIVATE KEY-----",
        (
            "CInb+gmDuP8MveftEoBMW+BiHc7KHFhgq3bp/2ji9741eXqDjHNBo3KziRPZ3R25",
            "VRkkV4FI9BYPFLWOHJy+icB/yErcR6BJg0wbdVhCESQkp2Dgu0kRpbW9N7QQ/2a3",
        ),
    ),
    P(
        "private_key",
        "-----BEGIN EC PRIVATE KEY-----\n"
        "cATSkx2KGk+WUFUGiQsJ2eAS+7WSmWxenRoRXULZCHYpchZschQ3FycCFmbNhhbk\n"
        "UZrxlSVf8I2YwJp/4XkC3kyIzx1m2ulsBbqggQDec826ngnAYaPj3fBtpJk+aBzg\n"
        "-----END EC PRIVATE KEY-----\nThis is the key nginx fails to load.",
        (
            "cATSkx2KGk+WUFUGiQsJ2eAS+7WSmWxenRoRXULZCHYpchZschQ3FycCFmbNhhbk",
            "UZrxlSVf8I2YwJp/4XkC3kyIzx1m2ulsBbqggQDec826ngnAYaPj3fBtpJk+aBzg",
        ),
    ),
    P(
        "private_key",
        "-----BEGIN ENCRYPTED PRIVATE KEY-----\n"
        "TTC0feQN7WWbbrDq86NPhqZ0NkLxsC/YyeaCa+NPYpAWnR3tD551+58xrHo/p1CD\n"
        "tc+ahNnTH878DH8GQAhVkyN2ejm1MQ3EnhEGIb0ccdGG54MMmyl19lTFZLTghPGF\n"
        "-----END ENCRYPTED PRIVATE KEY-----\npassphrase is in the vault",
        (
            "TTC0feQN7WWbbrDq86NPhqZ0NkLxsC/YyeaCa+NPYpAWnR3tD551+58xrHo/p1CD",
            "tc+ahNnTH878DH8GQAhVkyN2ejm1MQ3EnhEGIb0ccdGG54MMmyl19lTFZLTghPGF",
        ),
    ),
    P(
        "private_key",
        "PuTTY-User-Key-File-3: ssh-rsa\nEncryption: none\nComment: rsa-key-20251104\n"
        "Private-Lines: 2\nxPAG4w7HpKseckIaT3ehtyuwT59qyO1tFJBUeDwmdSTGw2t7SuNh4jn6mjpZRYHZ\n"
        "k7vL4rJCPB9pem2gHI5hs/Wa8HTfIZ+sa/4qePX/6rbaZfHtX8qp9WfRuvwsAJf6",
        (
            "xPAG4w7HpKseckIaT3ehtyuwT59qyO1tFJBUeDwmdSTGw2t7SuNh4jn6mjpZRYHZ",
            "k7vL4rJCPB9pem2gHI5hs/Wa8HTfIZ+sa/4qePX/6rbaZfHtX8qp9WfRuvwsAJf6",
        ),
    ),
    P(
        "private_key",
        "  tls.key: |\n    -----BEGIN RSA PRIVATE KEY-----\n"
        "    Zo6ui+71QUBPy06PV7zuZlf+dKtqKov/VKnATl92U4zs0r/M29CYpTB+fIAjVcWy\n"
        "    rLmYeoeNDc5KUmviJxHmZth33W4IGNkzlRpcS+6Y89QTit9EfPhfAlXZeQjqKFwm\n"
        "    -----END RSA PRIVATE KEY-----",
        (
            "Zo6ui+71QUBPy06PV7zuZlf+dKtqKov/VKnATl92U4zs0r/M29CYpTB+fIAjVcWy",
            "rLmYeoeNDc5KUmviJxHmZth33W4IGNkzlRpcS+6Y89QTit9EfPhfAlXZeQjqKFwm",
        ),
    ),
    P(
        "private_key",
        '"private_key": "-----BEGIN PRIVATE KEY-----\\nUTPYp+h7zeG35eaYcozu9fRkTnWIQLX'
        "NaArchbgZTe1XBVF9rsEkXKkP6OsWjigz\\nUJqWQv9fUbFIQk58VcZ2dyNh4oKMq0bEcxuA05awRX9Ea9bO8akpb7"
        'B4zo58MPWp\\n-----END PRIVATE KEY-----\\n",',
        (
            "UTPYp+h7zeG35eaYcozu9fRkTnWIQLXNaArchbgZTe1XBVF9rsEkXKkP6OsWjigz",
            "UJqWQv9fUbFIQk58VcZ2dyNh4oKMq0bEcxuA05awRX9Ea9bO8akpb7B4zo58MPWp",
        ),
    ),
    P(
        "private_key",
        "-----BEGIN DSA PRIVATE KEY-----\n"
        "fZlC6CNRmwh40tbU5PhBSqdwEFF56ih11iu06mTD2M+pCS8Zz1M+cNsieLDDwG23\n"
        "VkT7yAAGVPZaZuKDJcJCQmqc8nOxQwbsNdEb98FJ3C6C3J738LD/bAgiqtdch1y6\n"
        "FlSper7erPCwpXUQ80EHpvMfN0TqSTznpoCYf2DCwF504L4YnG3QMeKFX7+SlEzb\n"
        "-----END DSA PRIVATE KEY-----",
        (
            "fZlC6CNRmwh40tbU5PhBSqdwEFF56ih11iu06mTD2M+pCS8Zz1M+cNsieLDDwG23",
            "FlSper7erPCwpXUQ80EHpvMfN0TqSTznpoCYf2DCwF504L4YnG3QMeKFX7+SlEzb",
        ),
    ),
    P(
        "private_key",
        "Attached the key the vendor sent:\n-----BEGIN OPENSSH PRIVATE KEY-----\n"
        "1qpLaSTDdyXciQtztXqe6h2jlwMGXZgX0AUOAJbUg3Oc0qSUZVvti049o+4IXhvW\n"
        "78hDFTC5MZzqjDTLTAPkMiZJcj/8/O0e2r/+nvPGbgvUkXnAfw7ki+x11PTOzb5E\n"
        "IlEhqysZ9sFqIaqiGMd0WzNpnieFRVABa8g9UHgAIqrDxkOVyj8Ek07G/8TIpRvt\n"
        "-----END OPENSSH PRIVATE KEY-----",
        (
            "1qpLaSTDdyXciQtztXqe6h2jlwMGXZgX0AUOAJbUg3Oc0qSUZVvti049o+4IXhvW",
            "IlEhqysZ9sFqIaqiGMd0WzNpnieFRVABa8g9UHgAIqrDxkOVyj8Ek07G/8TIpRvt",
        ),
    ),
)

CONNECTION_STRING = (
    P(
        "connection_string",
        "DATABASE_URL=postgres://erp_app:Wq8!zLm2Rt@srv-db01.corp.local:5432/erp",
        ("Wq8!zLm2Rt",),
    ),
    P(
        "connection_string",
        "Server=tcp:sql-prod.database.windows.net,1433;Database=crm;"
        "User ID=crm_admin;Password=Cr@mPr0d#2025;Encrypt=True;",
        ("Cr@mPr0d#2025",),
    ),
    P(
        "connection_string",
        "mongodb+srv://reporting:Mng0Rep0rt5@cluster0.ab12c.mongodb.net/sales",
        ("Mng0Rep0rt5",),
    ),
    P(
        "connection_string",
        "jdbc:mysql://db-shop.internal:3306/shop?user=shop&password=Sh0p-Pa55&useSSL=true",
        ("Sh0p-Pa55",),
    ),
    P("connection_string", "redis://:Rds-Cache-99@cache01.corp.local:6379/0", ("Rds-Cache-99",)),
    P("connection_string", "amqp://celery:Rabb1tQ!@mq01.corp.local:5672//", ("Rabb1tQ!",)),
    P(
        "connection_string",
        "Data Source=ORA-FIN01;User Id=finance_ro;Password=F1n@nce_R0;",
        ("F1n@nce_R0",),
    ),
    P(
        "connection_string",
        "Provider=SQLOLEDB;Data Source=SQL02\\SAGE;Initial Catalog=SageDB;uid=sage;pwd=S@ge2019!",
        ("S@ge2019!",),
    ),
    P(
        "connection_string",
        "sqlalchemy.url = mysql+pymysql://wiki:Wik1-Js!8@10.10.5.20/wikidb",
        ("Wik1-Js!8",),
    ),
    P("connection_string", "ftp://scanner:Scan2Folder@nas01.corp.local/scans", ("Scan2Folder",)),
    P(
        "connection_string",
        "smtp://alerts%40acme-corp.com:Al3rt-M41l@smtp.office365.com:587",
        ("Al3rt-M41l",),
    ),
    P(
        "connection_string",
        "ldap bind: ldaps://svc_ldap:Ld@pB1nd2025@dc01.corp.local:636",
        ("Ld@pB1nd2025",),
    ),
)

RECOVERY_KEY = (
    P(
        "recovery_key",
        "BitLocker recovery key: 441188-594066-562881-214148-283591-542113-020372-153021",
        ("441188-594066-562881-214148-283591-542113-020372-153021", "562881-214148"),
    ),
    P(
        "recovery_key",
        "Recovery Key ID: 3F2A91C4\nRecovery Key: 561352-105875-074063-500324-509531-"
        "037180-036883-686323",
        ("561352-105875-074063-500324-509531-037180-036883-686323", "500324-509531"),
    ),
    P(
        "recovery_key",
        "Wiederherstellungsschlüssel 472560-437822-649000-470085-174988-717387-672705-"
        "246158 funktioniert nicht",
        ("472560-437822-649000-470085-174988-717387-672705-246158", "470085-174988"),
    ),
    P(
        "recovery_key",
        "The key from Intune is 221870 298430 625163 485045 661518 336402 100210 "
        "575498 but the laptop says invalid",
        ("221870 298430 625163 485045 661518 336402 100210 575498", "485045 661518"),
    ),
    P(
        "recovery_key",
        "BitLocker key 049236-281853-249953-065219-069476-651431-271810-697587 rejected on boot",
        ("049236-281853-249953-065219-069476-651431-271810-697587", "065219-069476"),
        in_title=True,
    ),
    P(
        "recovery_key",
        "FileVault recovery key: BI7N-7IKL-YR18-0FYT-LWLQ-350S",
        ("BI7N-7IKL-YR18-0FYT-LWLQ-350S",),
    ),
    P(
        "recovery_key",
        "Windows product key WHQYX-WFYYM-FJKBD-W6QV2-7HBRH not accepted after the motherboard swap",
        ("WHQYX-WFYYM-FJKBD-W6QV2-7HBRH",),
    ),
    P(
        "recovery_key",
        "My MFA backup codes:\n8473 2910\n5521 0387\n1196 4452",
        ("8473 2910", "5521 0387", "1196 4452"),
    ),
    P(
        "recovery_key",
        "Microsoft Authenticator recovery code 7KQ2-9WZD-4RMX-TP8A-H3NC-6YLE",
        ("7KQ2-9WZD-4RMX-TP8A-H3NC-6YLE",),
    ),
    P("recovery_key", "2FA backup code for the Okta admin: 59217460", ("59217460",)),
)

# --- people's names ---------------------------------------------------------------------------

NAME_GREETING = (
    P("name_greeting", "Hi Sarah,\n\nthe scanner on the 2nd floor is offline again.", ("Sarah",)),
    P(
        "name_greeting",
        "Hello Mr. Okonkwo,\nthe laptop is ready for pick-up at the service desk.",
        ("Okonkwo",),
    ),
    P("name_greeting", "Dear Ms. Lindqvist,\n\nthank you for the quick reply.", ("Lindqvist",)),
    P("name_greeting", "Hallo Herr Brandt,\n\nder Drucker zeigt wieder Fehler 49.", ("Brandt",)),
    P("name_greeting", "Guten Morgen Frau Yilmaz,\nanbei das Log.", ("Yilmaz",)),
    P(
        "name_greeting",
        "Bonjour Camille,\n\nle VPN ne se connecte plus depuis la mise à jour.",
        ("Camille",),
    ),
    P("name_greeting", "Hola Javier:\nel correo no sincroniza en el móvil.", ("Javier",)),
    P(
        "name_greeting",
        "Hey Dmitri - quick one: the build agent is out of disk again.",
        ("Dmitri",),
    ),
    P(
        "name_greeting",
        "Good morning Aisha and Tomás,\nthe backup job failed twice overnight.",
        ("Aisha", "Tomás"),
    ),
    P("name_greeting", "Dear Dr. Hoffmann,\nyour new workstation has been set up.", ("Hoffmann",)),
    P(
        "name_greeting",
        "Hi Anne-Marie, could you check whether the license was assigned?",
        ("Anne-Marie",),
    ),
    P(
        "name_greeting",
        "Moin Jannik,\nkannst du mal auf den Switch im Keller schauen?",
        ("Jannik",),
    ),
)

NAME_SIGNOFF = (
    P(
        "name_signoff",
        "The printer still shows offline.\n\nThanks,\nLaura Bianchi",
        ("Laura", "Bianchi"),
    ),
    P("name_signoff", "Please advise.\n\nBest regards,\nMarkus Schneider", ("Markus", "Schneider")),
    P("name_signoff", "works again after the reboot, cheers, Ben", ("Ben",)),
    P(
        "name_signoff",
        "Vielen Dank im Voraus.\n\nMit freundlichen Grüßen\nSabine Krüger",
        ("Sabine", "Krüger"),
    ),
    P("name_signoff", "Merci d'avance.\n\nCordialement,\nJulien Moreau", ("Julien", "Moreau")),
    P("name_signoff", "Gracias de antemano.\n\nSaludos,\nLucía Fernández", ("Lucía", "Fernández")),
    P("name_signoff", "Any idea what causes this?\n\nRegards\n-- Tom Becker", ("Tom", "Becker")),
    P("name_signoff", "I attached the screenshot. Kind regards, Olivia Chen", ("Olivia", "Chen")),
    P("name_signoff", "Bitte um Rückmeldung.\nVG Stefan", ("Stefan",)),
    P("name_signoff", "Danke & Gruß\nJens", ("Jens",)),
    P(
        "name_signoff",
        "Can you look today? It's blocking month-end.\n\nThx\nRaj Patel",
        ("Raj", "Patel"),
    ),
    P(
        "name_signoff",
        "Many thanks,\nSiobhán O'Neill\n\nSent from my iPhone",
        ("Siobhán", "O'Neill"),
    ),
)

NAME_PROSE = (
    P(
        "name_prose",
        "My colleague Hannah Schmidt cannot print to the HP on floor 3 since Monday.",
        ("Hannah", "Schmidt"),
    ),
    P(
        "name_prose",
        "Please reset the account of Gregory Walsh, he is locked out after the holidays.",
        ("Gregory", "Walsh"),
    ),
    P(
        "name_prose",
        "Since yesterday Carlos Mendes from accounting gets 'access denied' on the Finance share.",
        ("Carlos", "Mendes"),
    ),
    P(
        "name_prose",
        "Die Kollegin Petra Wagner kann sich nicht mehr am SAP anmelden.",
        ("Petra", "Wagner"),
    ),
    P(
        "name_prose",
        "Ma collègue Sophie Laurent n'arrive pas à ouvrir ses e-mails.",
        ("Sophie", "Laurent"),
    ),
    P("name_prose", "Mi compañero Diego Torres no puede conectarse a la VPN.", ("Diego", "Torres")),
    P(
        "name_prose",
        "New starter Ahmed Hassan begins on Monday and needs a laptop and a badge.",
        ("Ahmed", "Hassan"),
    ),
    P(
        "name_prose",
        "Offboarding: disable Greg Thompson's account and forward his mail to the team.",
        ("Greg", "Thompson"),
    ),
    P(
        "name_prose",
        "The mailbox of Fatima Al-Sayed is full and she can't send anything.",
        ("Fatima", "Al-Sayed"),
    ),
    P(
        "name_prose",
        "Please give Nora Jensen read access to the Marketing SharePoint.",
        ("Nora", "Jensen"),
    ),
    P(
        "name_prose",
        "Teams crashes for Yuki Tanaka whenever she shares her screen",
        ("Yuki", "Tanaka"),
        in_title=True,
    ),
    P(
        "name_prose",
        "I sat with Emily Watson this morning and her Outlook profile is corrupt.",
        ("Emily", "Watson"),
    ),
    P(
        "name_prose",
        "When Michael O'Connor logs in, the roaming profile takes ten minutes to load.",
        ("Michael", "O'Connor"),
    ),
    P(
        "name_prose",
        "The CFO, Richard Hale, approved the purchase of the new firewall.",
        ("Richard", "Hale"),
    ),
)

NAME_SIGNATURE = (
    P(
        "name_signature",
        "The VPN profile is attached.\n\nDaniel Kowalski\nSenior Network Engineer\n"
        "Fabrikam Logistics",
        ("Daniel", "Kowalski"),
    ),
    P(
        "name_signature",
        "Printer 3 still jams.\n--\nMaria Gonzalez\nFinance Department\nExt. 4471",
        ("Maria", "Gonzalez"),
    ),
    P(
        "name_signature",
        "Bitte dringend prüfen.\n\nKatharina Vogel\nPersonalabteilung | Stadtwerke Ulm",
        ("Katharina", "Vogel"),
    ),
    P(
        "name_signature",
        "See the error below.\n\nLiam Murphy\nIT Operations\nContoso Ltd.",
        ("Liam", "Murphy"),
    ),
    P(
        "name_signature",
        "Screenshot attached.\n\nAmélie Dubois\nResponsable Comptabilité",
        ("Amélie", "Dubois"),
    ),
    P(
        "name_signature",
        "Thanks for the quick fix!\n\nArjun Mehta | Data Engineering\nGlobex Corp.",
        ("Arjun", "Mehta"),
    ),
    P(
        "name_signature",
        "No rush.\n\nIngrid Solberg\nHR Business Partner\nNordic Region",
        ("Ingrid", "Solberg"),
    ),
    P(
        "name_signature",
        "Same issue on both laptops.\n\nJAMES CARTER\nWarehouse Supervisor",
        ("JAMES", "CARTER"),
    ),
    P(
        "name_signature",
        "Saludos.\nAlejandro Ruiz\nDepartamento de Ventas\nMadrid",
        ("Alejandro", "Ruiz"),
    ),
    P(
        "name_signature",
        "Log attached.\n\nDr. Heike Zimmermann\nLeitung Labor-IT",
        ("Heike", "Zimmermann"),
    ),
    P(
        "name_signature",
        "Please escalate.\n\nChloe Nguyen, Office Manager\nNorthside Dental",
        ("Chloe", "Nguyen"),
    ),
    P(
        "name_signature",
        "It happens every morning at 9.\n\nMatteo Ricci\nUfficio Acquisti",
        ("Matteo", "Ricci"),
    ),
)

NAME_LOWERCASE = (
    P("name_lowercase", "ok that worked, thanks jane", ("jane",)),
    P("name_lowercase", "thx mike! closing from my side", ("mike",)),
    P("name_lowercase", "all good now, cheers sam", ("sam",)),
    P("name_lowercase", "ty priya, printer is back", ("priya",)),
    P("name_lowercase", "passt, danke sven", ("sven",)),
    P("name_lowercase", "ça marche, merci julie", ("julie",)),
    P("name_lowercase", "ya funciona, gracias pablo", ("pablo",)),
    P("name_lowercase", "thanks a lot, anna - you saved my day", ("anna",)),
    P("name_lowercase", "fixed. thanks - kevin", ("kevin",)),
    P("name_lowercase", "will test tomorrow\nthanks\nmarco", ("marco",)),
)

_ORG = ("Jane Doe", "Priya Raman", "Tomasz Kowalczyk")

NAME_KNOWN = (
    P(
        "name_known",
        "Priya's laptop does not boot after the BIOS update.",
        ("Priya",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Ticket raised on behalf of RAMAN, PRIYA (Finance).",
        ("RAMAN", "PRIYA"),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Can someone call jane back? She is at her desk until 4.",
        ("jane",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Doe reports that the scanner on floor 2 sends empty PDFs.",
        ("Doe",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Account lockout for CORP\\p.raman since 09:12 - Event 4740 on DC02.",
        ("raman",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Forwarding from Tomasz: the VPN drops every 20 minutes.",
        ("Tomasz",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Mr Kowalczyk needs the Visio licence moved to his new laptop.",
        ("Kowalczyk",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Jane and Priya both get the same Teams error since the update.",
        ("Jane", "Priya"),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "2025-11-04 09:13:02 login failed for user 'priya raman' (bad password)",
        ("priya", "raman"),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "Laptop for Ana Souza is not enrolled in Intune",
        ("Ana", "Souza"),
        known_names=("Ana Souza", "Jane Doe"),
        in_title=True,
    ),
    P(
        "name_known",
        "Frau Müller kann sich nicht am Drucker anmelden.",
        ("Müller",),
        known_names=("Zoë Müller", "Priya Raman"),
    ),
    P(
        "name_known",
        "Anne-Sophie can't open the shared calendar of the board.",
        ("Anne-Sophie",),
        known_names=("Anne-Sophie Martin",),
    ),
    P(
        "name_known",
        "Kowalczyk's second monitor flickers when docked.",
        ("Kowalczyk",),
        known_names=_ORG,
    ),
    P(
        "name_known",
        "On Tue, 4 Nov 2025 at 10:02, Jane Doe wrote:\n> still broken on my side",
        ("Jane", "Doe"),
        known_names=_ORG,
    ),
    P("name_known", "See you,\nTOMASZ", ("TOMASZ",), known_names=_ORG),
    P(
        "name_known",
        "souza is on leave, please send the replacement phone to reception",
        ("souza",),
        known_names=("Ana Souza", "Tomasz Kowalczyk"),
    ),
)

EXTRA_TERM = (
    P(
        "extra_term",
        "Project Falcon staging is down since the certificate rotation.",
        ("Project Falcon",),
        extra_terms=("Project Falcon",),
    ),
    P(
        "extra_term",
        "Northwind Traders' SFTP drop fails with 'permission denied'.",
        ("Northwind Traders",),
        extra_terms=("Northwind Traders",),
    ),
    P(
        "extra_term",
        "The BLUEBIRD tenant can't reach the licence server.",
        ("BLUEBIRD",),
        extra_terms=("Bluebird",),
    ),
    P(
        "extra_term",
        "Helios rollout for Kestrel Bank is blocked by the proxy.",
        ("Helios", "Kestrel Bank"),
        extra_terms=("Helios", "Kestrel Bank"),
    ),
    P(
        "extra_term",
        "Operation Tidewater laptops need BitLocker enforced",
        ("Operation Tidewater",),
        extra_terms=("Operation Tidewater",),
        in_title=True,
    ),
    P(
        "extra_term",
        "Der Kunde Meyer & Söhne KG meldet, dass das Portal langsam ist.",
        ("Meyer & Söhne KG",),
        extra_terms=("Meyer & Söhne KG",),
    ),
    P(
        "extra_term",
        "The Atlas merger data room must not be indexed by Copilot.",
        ("Atlas merger",),
        extra_terms=("Atlas merger",),
    ),
    P(
        "extra_term",
        "Share \\\\fs01\\Projects\\Quarry-7 is full; Quarry-7 needs 200 GB more.",
        ("Quarry-7",),
        extra_terms=("Quarry-7",),
    ),
    P(
        "extra_term",
        "Le client Boulangeries Lemaire n'arrive plus à se connecter au portail.",
        ("Boulangeries Lemaire",),
        extra_terms=("Boulangeries Lemaire",),
    ),
    P(
        "extra_term",
        "Dashboards for project nightjar show no data since 02:00.",
        ("nightjar",),
        extra_terms=("Nightjar",),
    ),
)

PLANTED: tuple[Planted, ...] = (
    EMAIL
    + OBFUSCATED_EMAIL
    + PHONE
    + IPV4
    + IPV6
    + MAC
    + IBAN
    + CARD
    + SSN
    + PASSPORT
    + ADDRESS
    + NATIONAL_ID
    + PASSWORD
    + WIFI_KEY
    + CREDENTIALS
    + AWS_KEY_ID
    + AWS_SECRET
    + API_TOKEN
    + WEBHOOK_URL
    + PRIVATE_KEY
    + CONNECTION_STRING
    + RECOVERY_KEY
    + NAME_GREETING
    + NAME_SIGNOFF
    + NAME_PROSE
    + NAME_SIGNATURE
    + NAME_LOWERCASE
    + NAME_KNOWN
    + EXTRA_TERM
)

# --- clean IT text: nothing to mask ------------------------------------------------------------

CLEAN_KNOWN_NAMES = ("Jane Doe", "Priya Raman", "Tomasz Kowalczyk")

CLEAN: tuple[str, ...] = (
    # error codes and messages
    "Windows Update fails with 0x80070005 when installing KB5034441 on Windows 10 22H2.",
    "Error 0x800f0922 during the cumulative update, rollback after reboot.",
    "HTTP 503 Service Unavailable from https://portal.contoso.com/api/v2/health since 07:40 UTC.",
    "ORA-12541: TNS:no listener on srv-db01.corp.local:1521",
    "ORA-01017: invalid username/password; logon denied",
    "AADSTS50076: Due to a configuration change made by your administrator, you must use MFA.",
    "AADSTS700016: Application with identifier 'api://expense' was not found in the directory.",
    "Event ID 4625: An account failed to log on. "
    "Failure Reason: Unknown user name or bad password.",
    "STATUS_ACCOUNT_LOCKED_OUT (0xC0000234) on DC02 at 09:12:44.",
    "550 5.7.1 Unable to relay for external recipients from the scanner.",
    "SMTP error 421 4.7.0 Temporary System Problem. Try again later.",
    "The trust relationship between this workstation and the primary domain failed.",
    "Outlook cannot connect to the server; error 0x8004010F after the profile was recreated.",
    "Teams shows error caa20004 on sign-in since the Conditional Access change.",
    "SAP GUI: 'Logon balancing error 88: Connection to message server failed'.",
    "SQL Server error 18456, severity 14, state 8 for login 'svc_reports'.",
    "PostgreSQL: FATAL: remaining connection slots are reserved for non-replication superuser",
    "nginx: [emerg] bind() to 0.0.0.0:443 failed (98: Address already in use)",
    "kernel: EXT4-fs error (device sda1): ext4_find_entry:1455: inode #2: comm systemd",
    "BSOD with stop code DRIVER_IRQL_NOT_LESS_OR_EQUAL (iaStorAC.sys) after docking.",
    "The certificate chain was issued by an authority that is not trusted.",
    "curl: (60) SSL certificate problem: unable to get local issuer certificate",
    "Error 1603: a fatal error occurred during installation of Adobe Acrobat Reader DC.",
    "Excel: 'We found a problem with some content in Budget_FY26.xlsx. Do you want us to recover?'",
    "docker: Error response from daemon: pull access denied for registry.internal:5000/app.",
    "HTTP 401 Unauthorized from the Graph API, WWW-Authenticate: Bearer error=invalid_token",
    "The reset token expired after 15 minutes, so the link in the e-mail no longer works.",
    "Your password has expired and must be changed.",
    "Forgot-password link on the portal returns HTTP 500.",
    "Password reset self-service (SSPR) is not offered to guests.",
    "The password policy requires 14 characters and a history of 24.",
    "User must change password at next logon is ticked but no prompt appears.",
    "my password is expired and the self-service portal doesn't load",
    "Password expiry notifications are sent 14 days in advance.",
    "The password is correct, but Outlook keeps prompting for credentials.",
    "We keep the service account credentials in the secret manager (HashiCorp Vault 1.15.4).",
    "Rotate the client secret in Entra ID before it expires on 2026-01-31.",
    "The API key was revoked yesterday; please generate a new one in the admin console.",
    "Token refresh fails with invalid_grant after 90 days of inactivity.",
    "The private key for the certificate is not exportable.",
    "Wi-Fi password prompt appears every time the laptop wakes from sleep.",
    "Enter the Wi-Fi password when prompted and select 'Connect automatically'.",
    # versions and products
    "Cisco AnyConnect 4.10.07073 fails with 'Login denied. Unauthorized connection mechanism'.",
    "Upgraded FortiClient from 7.0.9 to 7.2.3; split tunnelling stopped working.",
    "Outlook version 2410 (Build 18129.20158 Click-to-Run) crashes on startup.",
    "Windows 11 23H2, build 22631.4460, Dell Latitude 7440.",
    "macOS Sonoma 14.7.1 on a MacBook Pro M3, Jamf Pro 11.10.",
    "Chrome 130.0.6723.117 blocks the download as dangerous.",
    "Release v2.3.0-rc1 of the internal portal breaks SSO.",
    "Node.js 20.18.0 and npm 10.8.2 on the build agent.",
    "Python 3.11.9, Django 5.2, psycopg 3.2.3 in the container.",
    "Ubuntu 22.04.5 LTS, kernel 5.15.0-124-generic.",
    "SAP GUI 7.70 Patch 12 with transaction SU01.",
    "Microsoft Teams (new) 24295.605.3225.8804 on VDI.",
    "Veeam Backup & Replication 12.2 job 'Nightly-Fileserver' ended with warning.",
    "VMware ESXi 8.0 Update 3, vCenter 8.0.3.00300.",
    "HP LaserJet Pro M404dn with firmware 002.2149A.",
    "Jenkins build #4521 failed at stage 'integration-tests'.",
    "Grafana 11.3 dashboard 'Node Exporter Full' shows no data.",
    "Kubernetes 1.30.4 with containerd 1.7.22 and Calico 3.28.",
    "Terraform v1.9.8 with provider hashicorp/azurerm v4.8.0.",
    "Zoom client 6.2.5 on Windows fails to share the second monitor.",
    "Microsoft 365 Apps for enterprise, Current Channel, version 2410.",
    "Adobe Creative Cloud desktop app 6.4.0.361 will not update.",
    "Citrix Workspace app 2409 for Windows, StoreFront 2402 LTSR.",
    "Exchange Server 2019 CU14 with the November 2024 SU.",
    # network: ports, CIDR, host names
    "Allow 10.0.0.0/8 and 172.16.0.0/12 through the firewall on port 443.",
    "The VPN pool is 10.212.134.0/24; the office LAN is 192.168.10.0/23.",
    "RDP on port 3389 is blocked from the guest VLAN 120.",
    "Open TCP 1433 and UDP 1434 from the app subnet 10.20.0.0/16 to the SQL cluster.",
    "The ULA prefix fd12:3456:789a::/48 is announced by the core router.",
    "Health check on :8443/healthz returns 200, but the load balancer marks it down.",
    "vpn.example.com resolves to the old address after the migration.",
    "srv-db01.corp.local and srv-db02.corp.local replicate every 5 minutes.",
    "nslookup fs01.corp.local returns NXDOMAIN from the branch office DNS.",
    "Traceroute stops at hop 7 (core-rtr-02.dc1.corp.local).",
    "MTU 1500 on the LAN, 1400 on the IPsec tunnel; fragmentation suspected.",
    "BGP session to AS 64512 flaps every 30 seconds.",
    "Switch stack sw-core-01 reports a fan failure on member 2.",
    "DHCP scope 10.8.0.0/16 is 98% full on the Hamburg site.",
    "proxy.corp.local:8080 requires NTLM; the Linux agents can't authenticate.",
    "Set the DNS suffix search list to corp.local, eu.corp.local.",
    "The LDAPS listener on dc01.corp.local:636 presents an expired certificate.",
    "SPF record: v=spf1 include:spf.protection.outlook.com -all",
    "DMARC policy is p=quarantine; aggregate reports go to the security mailbox.",
    "Port-channel Po1 is suspended on the access switch after the firmware upgrade.",
    # paths
    "C:\\Program Files\\Microsoft Office\\root\\Office16\\OUTLOOK.EXE /safe starts fine.",
    "Logs are in C:\\ProgramData\\Microsoft\\IntuneManagementExtension\\Logs.",
    "/var/log/syslog fills up with 'martian source' messages.",
    "df -h shows /dev/sda1 at 97% on the build server.",
    "The share \\\\fs01\\Finance$ is read-only since the permission change.",
    "Deleted %LOCALAPPDATA%\\Microsoft\\Teams and restarted the client.",
    "HKLM\\SOFTWARE\\Policies\\Microsoft\\Windows\\WindowsUpdate\\AU has NoAutoUpdate=1.",
    "/etc/ssh/sshd_config has PasswordAuthentication no and PubkeyAuthentication yes.",
    "The cron job in /etc/cron.d/backup runs at 02:30 but /backup/daily stays empty.",
    "Config file: /opt/app/config/settings.yaml (line 42).",
    # identifiers: tickets, orders, serials, GUIDs, hashes
    "Related to INC0012345 and CHG0031877; problem record PRB0004521.",
    "Order PO-2025-00417 for 12 docking stations was delivered on 2025-11-03.",
    "Service tag 7XK9M23, warranty until 2027-06-30.",
    "Serial number C02ZK1ABMD6T, MacBook Air 13-inch 2020.",
    "Asset ASSET-004512 is assigned to the reception desk.",
    "Device class GUID {4d36e972-e325-11ce-bfc1-08002be10318} (network adapters).",
    "Correlation ID: 84c8fa42-fa8c-43ad-8e26-1e8f55b137bd, Timestamp: 2025-11-04 08:14:22Z",
    "Fixed in commit 3f9c2e1 on the release/2.3 branch.",
    "git revert 9d89c9b0e1afc2810995370f00b0e50d3cf3bc8c restores the old login page.",
    "Request ID b4de0776-fa6d-47fb-8dc4-40def795373f in the Azure activity log.",
    "Case number 2411040010001234 opened with Microsoft support.",
    "Invoice INV-2025-1187 from the hardware vendor is attached.",
    "Jira ticket OPS-2291 tracks the certificate renewal.",
    "Build 2025.11.04.3 deployed to staging at 14:05.",
    "The Intune device ID is f5396401-c46c-492d-9fd1-e6fe45ad06f5.",
    # dates and times
    "Outage window: Saturday 2025-11-08 22:00 to Sunday 02:00 CET.",
    "It started on 03.11.2025 around 08:15 and happens every hour.",
    "Nov 4, 2025 09:14:02 UTC: replication resumed.",
    "Last successful backup: Mon 3 Nov 2025, 23:47.",
    "The licence expires on 31/12/2025.",
    # code, commands, stack traces
    "SELECT TOP 100 * FROM dbo.Orders WHERE Status = 'Pending' ORDER BY CreatedAt DESC;",
    "UPDATE users SET is_active = false WHERE last_login < now() - interval '180 days';",
    "Get-ADUser -Filter 'Enabled -eq $false' -SearchBase 'OU=Sales,DC=corp,DC=local'",
    "Get-WinEvent -LogName System -MaxEvents 50 | Where-Object Id -eq 41",
    "Test-NetConnection -ComputerName srv-db01.corp.local -Port 1433",
    "gpupdate /force && gpresult /h C:\\Temp\\gp.html",
    "kubectl get pods -n payments -o wide | grep CrashLoopBackOff",
    "kubectl rollout restart deployment/api-gateway -n prod",
    "systemctl status nginx.service shows 'active (exited)'.",
    "journalctl -u docker --since '2025-11-04 08:00' --no-pager",
    "ansible-playbook -i inventory/prod site.yml --limit web --check",
    "robocopy D:\\Data \\\\nas01\\backup /MIR /R:2 /W:5 /LOG:C:\\Temp\\robo.log",
    "dism /online /cleanup-image /restorehealth completed successfully.",
    "sfc /scannow found corrupt files but was unable to fix some of them.",
    "ping -t fs01 shows 30% packet loss over Wi-Fi, none on cable.",
    "ipconfig /flushdns and ipconfig /registerdns did not help.",
    "at System.Data.SqlClient.SqlConnection.OnError"
    "(SqlException exception, Boolean breakConnection)",
    'File "/opt/app/venv/lib/python3.11/site-packages/requests/adapters.py", line 519, in send',
    "requests.exceptions.ConnectionError: HTTPSConnectionPool(host='api.internal', port=443)",
    "java.lang.OutOfMemoryError: Java heap space "
    "at com.acme.report.Exporter.write(Exporter.java:212)",
    "Caused by: java.net.SocketTimeoutException: Read timed out",
    "Traceback (most recent call last): KeyError: 'tenant_id'",
    'Exception in thread "main" java.lang.NullPointerException',
    "openssl s_client -connect mail.corp.example:993 -servername mail.corp.example",
    "certutil -verify -urlfetch server.cer reports the CRL as offline.",
    "Thumbprint of the new certificate: 5ACDFD490776EFB99042617373283E8F4B8A4486.",
    "az ad app credential reset --id 6014413c-7310-45cd-a7d2-a48147835e32 --years 1",
    'ssh-keygen -t ed25519 -C "build-agent" generated the new deploy key.',
    # prose from tickets
    "Printer on the 3rd floor shows 'Paper Jam' although the tray is empty.",
    "Restarted the Print Spooler service, no change.",
    "Since the update this morning, Outlook freezes when opening shared calendars.",
    "The laptop only connects to Wi-Fi after a reboot; Ethernet works fine.",
    "Monitor flickers when connected through the USB-C dock (Dell WD19TB).",
    "Users on the VPN cannot reach the intranet, but Teams and Outlook work.",
    "The backup job has failed three nights in a row with 'insufficient space'.",
    "OneDrive sync is stuck at 'Processing changes' for 2,341 files.",
    "Excel macros are blocked because the file comes from the internet.",
    "We need the BitLocker recovery key for the laptop in the warehouse.",
    "MFA prompts keep appearing every hour in the Outlook desktop client.",
    "The scanner saves PDFs to the wrong folder after the firmware update.",
    "Multiple users report slow logons in the morning between 8 and 9.",
    "Please extend the shared mailbox to 100 GB; it is 98% full.",
    "The new hire needs a laptop, a headset and access to the CRM by Monday.",
    "Thanks, that worked.",
    "Thanks in advance for looking into this.",
    "Hi team,",
    "Hello all, the Wi-Fi in meeting room B is down again.",
    "Dear Service Desk,",
    "Best regards,",
    "Kind regards and have a nice weekend.",
    "Sent from Outlook for iOS",
    # German, French, Spanish
    "Der Drucker im 2. OG zeigt Fehler 49.4C02 und startet neu.",
    "Seit dem Update auf Windows 11 24H2 funktioniert der Scanner nicht mehr.",
    "Bitte den Port 5060 für die Telefonanlage freischalten.",
    "Le VPN se déconnecte toutes les 10 minutes depuis la mise à jour 7.2.3.",
    "L'imprimante affiche l'erreur 0x61011bed après le redémarrage.",
    "La impresora de la segunda planta no imprime desde el lunes.",
    "El error 0x80070643 aparece al instalar la actualización KB5034439.",
    "Merci d'avance pour votre aide.",
    "Vielen Dank für die schnelle Hilfe!",
)


# --- scoring helpers shared by the test and the bench -------------------------------------------


def is_name_kind(kind: str) -> bool:
    return kind.startswith("name_")


def leaked_secrets(item: Planted, masked_text: str) -> list[str]:
    """The secrets of `item` still present in `masked_text`: a plain substring check, and for
    people's names also a case-insensitive whole-word check (a name must go in any case, but
    "Doe" inside "does" is not a leak)."""
    leaked = []
    for secret in item.secrets:
        if secret in masked_text:
            leaked.append(secret)
        elif is_name_kind(item.kind) and re.search(
            rf"(?<!\w){re.escape(secret)}(?!\w)", masked_text, re.IGNORECASE
        ):
            leaked.append(secret)
    return leaked


def kept_tokens(before: str, after: str) -> tuple[int, int]:
    """(kept, total): how many whitespace tokens of `before` survive in `after`, as multisets."""
    tokens_before = Counter(before.split())
    tokens_after = Counter(after.split())
    kept = sum(min(count, tokens_after[token]) for token, count in tokens_before.items())
    return kept, sum(tokens_before.values())
