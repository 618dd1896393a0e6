"""A held-out masking corpus: realistic tickets nobody tuned the masker on.

Written independently of the masker and of tests/solutions/masking_corpus.py, so that it measures
how well masking generalizes. Every secret value below is invented: cards are Luhn-valid, IBANs
mod-97-valid and national IDs checksum-valid (python-stdnum) only so that they look real; none
belongs to anyone. Each planted item lists only the sensitive substrings that must not survive
masking (name parts one by one, particles such as "van der" left out); CLEAN holds lines that
contain nothing to mask, so every token of them should be kept.
"""

# ruff: noqa: E501
# Tickets are pasted configs, logs and tokens, whose lines are naturally longer than 100 characters.

import textwrap
from dataclasses import dataclass


@dataclass(frozen=True)
class Planted:
    kind: str
    text: str
    secrets: tuple[str, ...]  # exact substrings that must not survive
    known_names: tuple[str, ...] = ()
    extra_terms: tuple[str, ...] = ()


def _t(text: str) -> str:
    """A ticket written indented in this file, as the user pasted it (common indent removed)."""
    return textwrap.dedent(text).strip("\n").rstrip()


# --- e-mail addresses -------------------------------------------------------------------------

_EMAIL = [
    Planted(
        "email",
        _t(r"""
            ---------- Forwarded message ---------
            From: Chinonso Eze <chinonso.eze@lagosfreight.ng>
            Date: Mon, 3 Jun 2024 at 08:12
            Subject: Re: shared mailbox not showing
            To: IT Helpdesk <helpdesk@contoso.com>

            Hi, the shared mailbox "Imports" disappeared from my Outlook again after the restart.
        """),
        ("chinonso.eze@lagosfreight.ng",),
    ),
    Planted(
        "email",
        "Please add ravi.shankar.iyer@tatainfra.co.in to the distribution list DL-Projects-EMEA, he joined the Pune team on Monday.",
        ("ravi.shankar.iyer@tatainfra.co.in",),
    ),
    Planted(
        "email",
        _t(r"""
            <table><tr><td style="font-family:Calibri">
            <b>Kancelaria Prawna</b><br>
            <a href="mailto:m.wisniewska@kancelaria-wisniewska.pl">m.wisniewska@kancelaria-wisniewska.pl</a>
            </td></tr></table>
        """),
        ("m.wisniewska@kancelaria-wisniewska.pl",),
    ),
    Planted(
        "email",
        _t(r"""
            Delivery has failed to these recipients or groups:

            thanh.nguyen@saigonlogistics.vn
            The email address you entered couldn't be found. Please check the recipient's email address and try to resend the message.

            Diagnostic information for administrators:
            Generating server: AM6PR04MB5622.eurprd04.prod.outlook.com
            Remote Server returned '550 5.1.10 RESOLVER.ADR.RecipientNotFound; Recipient not found by SMTP address lookup'
        """),
        ("thanh.nguyen@saigonlogistics.vn",),
    ),
    Planted(
        "email",
        "Bitte richten Sie für mich eine Weiterleitung an meine private Adresse jens.kowalczyk1979@gmx.de ein, ich bin ab Juli in Elternzeit.",
        ("jens.kowalczyk1979@gmx.de",),
    ),
    Planted(
        "email",
        "the jira sign-up mails go to olu.adebayo+jira@gmail.com instead of my work address, can you fix the SSO mapping?",
        ("olu.adebayo+jira@gmail.com",),
    ),
    Planted(
        "email",
        _t(r"""
            Export from the licence report (first rows):
            user_principal_name,department,license,last_sign_in
            f.alhashimi@contoso.com,Finance,E5,2024-05-30
            o.hernandez@contoso.com,Sales,E3,2024-06-01
            shared.scanner@contoso.com,IT,None,2024-06-02
        """),
        ("f.alhashimi@contoso.com", "o.hernandez@contoso.com"),
    ),
    Planted(
        "email",
        "2024-06-03 10:22:11 smtp-out[4412]: 550 5.1.1 <lucia.fernandez@grupo-iberica.es>: Recipient address rejected: User unknown in virtual mailbox table",
        ("lucia.fernandez@grupo-iberica.es",),
    ),
    Planted(
        "email",
        _t(r"""
            Response body from /api/v2/users/4471:
            {"id": 4471, "user": {"email": "sven.lindqvist@nordhav.se", "role": "editor", "mfa": false}, "created": "2023-11-02T08:00:00Z"}
        """),
        ("sven.lindqvist@nordhav.se",),
    ),
    Planted(
        "email",
        "MY EMAIL IS KWAME.ASANTE@GHANAPORTS.COM.GH PLS CALL BACK ASAP THE PORTAL IS LOCKED",
        ("KWAME.ASANTE@GHANAPORTS.COM.GH",),
    ),
    Planted(
        "email",
        "Merci de répondre à mon adresse perso : amelie.durand-leroux@orange.fr car ma boîte pro est pleine.",
        ("amelie.durand-leroux@orange.fr",),
    ),
    Planted(
        "email",
        "Not a spoofed one — the phishing test mail really came from pieter.devries@mail.rotterdam-haven.nl, headers attached.",
        ("pieter.devries@mail.rotterdam-haven.nl",),
    ),
    Planted(
        "email",
        "Mi correo es mjose.gutierrez@unam.mx y no recibo los avisos de vencimiento de la contraseña.",
        ("mjose.gutierrez@unam.mx",),
    ),
    Planted(
        "email",
        _t(r"""
            laptop still wont connect to the printer, call me or write to aisha.bello@outlook.com

            Sent from my Galaxy
        """),
        ("aisha.bello@outlook.com",),
    ),
    Planted(
        "email",
        _t(r"""
            [10:41] Agent: which address should we send the reset link to?
            [10:42] User: tomasz_wojcik@wp.pl
            [10:42] User: the private one, the company one is blocked
        """),
        ("tomasz_wojcik@wp.pl",),
    ),
]

_EMAIL_OBFUSCATED = [
    Planted(
        "email_obfuscated",
        "Napište mi prosím na jan [dot] novak [at] seznam [dot] cz, firemní pošta nefunguje.",
        ("jan [dot] novak",),
    ),
    Planted(
        "email_obfuscated",
        "contact: ahmed.farouk AT cairo-tech DOT com (spam filter eats normal addresses)",
        ("ahmed.farouk",),
    ),
    Planted(
        "email_obfuscated",
        "you can reach me on k-obi {at} lagos-mail {dot} ng until the migration is done",
        ("k-obi",),
    ),
    Planted(
        "email_obfuscated",
        "my personal mail is lin.mei at 163 dot com, please send the VPN guide there",
        ("lin.mei",),
    ),
    Planted(
        "email_obfuscated",
        "pls send invoice to hoang_vu@@fpt.com.vn (sorry typo, one @)",
        ("hoang_vu",),
    ),
    Planted(
        "email_obfuscated",
        "Meu e-mail pessoal: fernanda.souza arroba uol.com.br",
        ("fernanda.souza",),
    ),
    Planted(
        "email_obfuscated",
        "Alternate contact r.kaur#gmail.com (replace # with @)",
        ("r.kaur",),
    ),
    Planted(
        "email_obfuscated",
        "Kontakt: eva.horakova (at) seznam (dot) cz",
        ("eva.horakova",),
    ),
    Planted(
        "email_obfuscated",
        "write to stefan dot berger at a1 dot net if the ticket portal is down again",
        ("stefan dot berger",),
    ),
    Planted(
        "email_obfuscated",
        '<span class="contact">mikkel.hansen&#64;tdc.dk</span>',
        ("mikkel.hansen",),
    ),
]

# --- phone numbers ----------------------------------------------------------------------------

_PHONE = [
    Planted(
        "phone",
        _t(r"""
            Mit freundlichen Grüßen

            Leitung Einkauf
            Brenner Maschinenbau GmbH
            Tel.: +49 (0)89 45 67 12-30
            Mobil: +49 172 8845103
            Fax: +49 (0)89 45 67 12-99
        """),
        ("+49 (0)89 45 67 12-30", "+49 172 8845103"),
    ),
    Planted(
        "phone",
        "If the callback fails again my mobile is +44 7700 900583, I'm in the London office all week.",
        ("+44 7700 900583",),
    ),
    Planted(
        "phone",
        "pls call me back on 0803 412 7765 the line in the office is down",
        ("0803 412 7765",),
    ),
    Planted(
        "phone",
        _t(r"""
            Regards,
            Infra Team Lead | Bengaluru
            M: +91 98450 12763 | Desk: +91 80 4719 2200
        """),
        ("+91 98450 12763", "+91 80 4719 2200"),
    ),
    Planted(
        "phone",
        "The courier needs a local contact, use +86 139 1024 5876 (Shanghai warehouse, day shift).",
        ("+86 139 1024 5876",),
    ),
    Planted(
        "phone",
        "Zalo/phone: +84 90 312 4478 — the site in Da Nang has no landline yet.",
        ("+84 90 312 4478",),
    ),
    Planted("phone", "Mobile (UAE): +971 55 218 6634, WhatsApp works too.", ("+971 55 218 6634",)),
    Planted(
        "phone",
        "Позвоните мне, пожалуйста: +7 (916) 482-17-39, с 9 до 18 по Москве.",
        ("+7 (916) 482-17-39",),
    ),
    Planted("phone", "Pode me ligar no (11) 98765-4321 depois das 14h?", ("(11) 98765-4321",)),
    Planted(
        "phone",
        "Celular: +52 1 55 4187 2290 — estoy en la planta de Querétaro esta semana.",
        ("+52 1 55 4187 2290",),
    ),
    Planted(
        "phone",
        "Ring mig på 070-412 38 55 när ni har tid, skrivaren på plan 3 är trasig igen.",
        ("070-412 38 55",),
    ),
    Planted("phone", "Mobilnummer: +47 926 41 387", ("+47 926 41 387",)),
    Planted(
        "phone", "Vous pouvez me joindre au 06 42 17 88 31 toute la matinée.", ("06 42 17 88 31",)
    ),
    Planted(
        "phone",
        "Mi móvil es el +34 622 418 907, llamadme cuando tengáis la nueva SIM.",
        ("+34 622 418 907",),
    ),
    Planted("phone", "cell +39 338 214 7761 — sono in ferie ma rispondo", ("+39 338 214 7761",)),
    Planted("phone", "Bel me even op 06-41873322, dan lopen we het samen door.", ("06-41873322",)),
    Planted(
        "phone", "Proszę o kontakt telefoniczny: +48 601 234 889 (po 15:00).", ("+48 601 234 889",)
    ),
    Planted("phone", "Telemóvel: +351 917 448 230", ("+351 917 448 230",)),
    Planted(
        "phone",
        _t(r"""
            Thanks!
            --
            VP Operations, Hudson Freight Inc.
            o: (646) 283-4471  c: 917.555.2038
        """),
        ("(646) 283-4471", "917.555.2038"),
    ),
    Planted("phone", "携帯: 090-4418-2276（平日のみ）", ("090-4418-2276",)),
    Planted(
        "phone",
        "Best number to reach me is 0412 887 301, I'm out on site in Parramatta most of the day.",
        ("0412 887 301",),
    ),
    Planted(
        "phone",
        "Contact the site manager on +27 83 441 2290 before the engineer arrives.",
        ("+27 83 441 2290",),
    ),
    Planted(
        "phone",
        "My number +20 100 482 7731 — the Cairo office has no working desk phones since Sunday.",
        ("+20 100 482 7731",),
    ),
    Planted(
        "phone",
        "Cep telefonum 0532 417 88 20, mesai saatlerinde arayabilirsiniz.",
        ("0532 417 88 20",),
    ),
    Planted(
        "phone",
        "Rückruf bitte unter 030 / 2 84 97-113 (Durchwahl Buchhaltung).",
        ("030 / 2 84 97-113",),
    ),
    Planted(
        "phone",
        _t(r"""
            BEGIN:VCARD
            VERSION:3.0
            ORG:Kowalski Logistics
            TEL;TYPE=CELL:+48512774193
            TEL;TYPE=WORK:+48223349100
            END:VCARD
        """),
        ("+48512774193", "+48223349100"),
    ),
    Planted(
        "phone", "just text me on whatsapp wa.me/2348034127765 its faster 🙏", ("2348034127765",)
    ),
]

# --- network addresses ------------------------------------------------------------------------

_IPV4 = [
    Planted(
        "ipv4",
        "2024-06-03T07:55:12Z auth-gw WARN login failed for account=finance-ro client_ip=85.214.132.117 reason=bad_credentials attempt=4",
        ("85.214.132.117",),
    ),
    Planted(
        "ipv4",
        _t(r"""
            Wireless LAN adapter Wi-Fi:

               Connection-specific DNS Suffix  . : corp.contoso.local
               IPv4 Address. . . . . . . . . . . : 192.168.178.34(Preferred)
               Subnet Mask . . . . . . . . . . . : 255.255.255.0
               Default Gateway . . . . . . . . . : 192.168.178.1
        """),
        ("192.168.178.34",),
    ),
    Planted(
        "ipv4",
        "PS C:\\> ssh admin@10.42.7.19 -p 2222\nssh: connect to host 10.42.7.19 port 2222: Connection timed out",
        ("10.42.7.19",),
    ),
    Planted(
        "ipv4",
        '91.64.118.203 - - [03/Jun/2024:09:14:22 +0200] "POST /wp-login.php HTTP/1.1" 401 512 "-" "Mozilla/5.0 (Windows NT 10.0; Win64; x64)"',
        ("91.64.118.203",),
    ),
    Planted(
        "ipv4",
        "ping 172.20.14.201 times out but the other laptop on the same switch (172.20.14.77) answers fine",
        ("172.20.14.201", "172.20.14.77"),
    ),
    Planted(
        "ipv4",
        "Jun  3 03:12:44 web01 sshd[22817]: Failed password for invalid user oracle from 45.155.205.99 port 51432 ssh2",
        ("45.155.205.99",),
    ),
    Planted(
        "ipv4",
        "Remote desktop: mstsc /v:10.10.5.23 /admin gives 'An internal error has occurred'",
        ("10.10.5.23",),
    ),
    Planted(
        "ipv4",
        "Der Drucker im 2. OG hat die IP 192.168.2.150 statisch bekommen, trotzdem findet ihn niemand.",
        ("192.168.2.150",),
    ),
    Planted(
        "ipv4",
        "sudo ufw allow from 88.198.41.7 to any port 22 proto tcp comment 'vendor jump host'",
        ("88.198.41.7",),
    ),
    Planted(
        "ipv4",
        "The NAS admin page only opens via http://192.168.1.254:8080/admin, the hostname doesn't resolve.",
        ("192.168.1.254",),
    ),
    Planted(
        "ipv4",
        '{"ts": "2024-06-03T11:02:09Z", "method": "GET", "path": "/api/v1/orders", "status": 403, "remote_addr": "77.22.154.9", "ua": "python-requests/2.31.0"}',
        ("77.22.154.9",),
    ),
    Planted(
        "ipv4",
        "An account failed to log on.\nLogon Type:\t\t\t3\nNetwork Information:\n"
        "\tWorkstation Name:\tWS-0412\n\tSource Network Address:\t10.0.3.88\n\tSource Port:\t\t50122",
        ("10.0.3.88",),
    ),
]

_IPV6 = [
    Planted(
        "ipv6",
        "   IPv6 Address. . . . . . . . . . . : 2a02:8108:1c0:3a40:9d12:4f1e:b7c3:1a22(Preferred)",
        ("2a02:8108:1c0:3a40:9d12:4f1e:b7c3:1a22",),
    ),
    Planted(
        "ipv6",
        "   Link-local IPv6 Address . . . . . : fe80::8c4d:12ff:fe3a:7b91%14(Preferred)",
        ("fe80::8c4d:12ff:fe3a:7b91",),
    ),
    Planted(
        "ipv6",
        '2001:16b8:4c2a:9e00:d1f3:22ab:71c0:5e19 - - [03/Jun/2024:10:01:55 +0000] "GET /owa/ HTTP/2.0" 302 0',
        ("2001:16b8:4c2a:9e00:d1f3:22ab:71c0:5e19",),
    ),
    Planted(
        "ipv6",
        "traceroute6 stops after 2a01:4f8:c17:3b9d::1, the hosting provider says it's on our side",
        ("2a01:4f8:c17:3b9d::1",),
    ),
    Planted(
        "ipv6",
        "AAAA record for vpn.contoso.com points to 2604:a880:400:d1::7c3:6001 which is the old droplet",
        ("2604:a880:400:d1::7c3:6001",),
    ),
    Planted(
        "ipv6",
        "Browser shows the router UI only at http://[2a02:810d:4bc0:1f00::2b7]:8443/ — is that normal?",
        ("2a02:810d:4bc0:1f00::2b7",),
    ),
    Planted(
        "ipv6",
        "[UFW BLOCK] IN=eth0 OUT= MAC= SRC=2a02:908:1a2:5e60:3c1d:8f42:99e1:d307 DST=2a01:4f8:c17:3b9d::2 LEN=80 PROTO=TCP SPT=51834 DPT=3389",
        ("2a02:908:1a2:5e60:3c1d:8f42:99e1:d307", "2a01:4f8:c17:3b9d::2"),
    ),
    Planted(
        "ipv6",
        "Kestrel logs the client as ::ffff:81.169.145.94 for every request behind the proxy",
        ("::ffff:81.169.145.94",),
    ),
]

_MAC = [
    Planted(
        "mac", "   Physical Address. . . . . . . . . : 3C-52-82-A1-7F-09", ("3C-52-82-A1-7F-09",)
    ),
    Planted(
        "mac",
        _t(r"""
            2: wlp2s0: <BROADCAST,MULTICAST,UP,LOWER_UP> mtu 1500 qdisc noqueue state UP mode DORMANT group default qlen 1000
                link/ether 00:1e:c9:4b:7a:2d brd ff:ff:ff:ff:ff:ff
        """),
        ("00:1e:c9:4b:7a:2d",),
    ),
    Planted(
        "mac",
        _t(r"""
            sw-core01#show mac address-table interface Gi1/0/14
                      Mac Address Table
            -------------------------------------------
            Vlan    Mac Address       Type        Ports
            ----    -----------       --------    -----
              20    0050.56a3.9e1f    DYNAMIC     Gi1/0/14
        """),
        ("0050.56a3.9e1f",),
    ),
    Planted(
        "mac",
        "Jun  3 08:00:01 dhcpd: DHCPACK on 192.168.1.57 to b8:27:eb:4c:91:d2 (raspberrypi) via eth0",
        ("b8:27:eb:4c:91:d2",),
    ),
    Planted(
        "mac",
        "MAC-Adresse vom Laptop: F4-8E-38-12-AB-CD, bitte für das Gäste-WLAN freischalten.",
        ("F4-8E-38-12-AB-CD",),
    ),
    Planted(
        "mac",
        "please whitelist a4:83:e7:19:22:6b for the iPad in meeting room 4",
        ("a4:83:e7:19:22:6b",),
    ),
    Planted(
        "mac",
        "Intune hardware info: Wi-Fi MAC 9c:b6:d0:e2:41:7f, Ethernet MAC not reported",
        ("9c:b6:d0:e2:41:7f",),
    ),
    Planted(
        "mac",
        "Label on the back of the camera says MAC 001A2B3C4D5E S/N QV2241-88",
        ("001A2B3C4D5E",),
    ),
]

# --- bank and card data -----------------------------------------------------------------------

_IBAN = [
    Planted(
        "iban",
        "Bitte die Erstattung der Reisekosten auf mein Konto überweisen: IBAN DE89 9542 5550 3491 0654 91, BIC COBADEFFXXX.",
        ("DE89 9542 5550 3491 0654 91",),
    ),
    Planted(
        "iban",
        _t(r"""
            Bonjour,
            le fournisseur demande le RIB pour le remboursement :
            Titulaire : voir pièce jointe
            IBAN : FR61 2103 5034 4663 7956 3M09 454
            BIC : BNPAFRPPXXX
        """),
        ("FR61 2103 5034 4663 7956 3M09 454",),
    ),
    Planted(
        "iban",
        "Mi cuenta para la nómina: ES5511781551661605344688 (el portal de RRHH no me deja cambiarla).",
        ("ES5511781551661605344688",),
    ),
    Planted(
        "iban",
        "Het rekeningnummer NL80ABNA9204538058 staat verkeerd in het HR-systeem, kunnen jullie dat aanpassen?",
        ("NL80ABNA9204538058",),
    ),
    Planted(
        "iban",
        "Coordinate bancarie per il rimborso: IT43 X033 5586 0821 4409 7499 213",
        ("IT43 X033 5586 0821 4409 7499 213",),
    ),
    Planted(
        "iban",
        "NIB/IBAN para o reembolso: PT87 5577 6014 3279 6224 9080 7",
        ("PT87 5577 6014 3279 6224 9080 7",),
    ),
    Planted(
        "iban",
        "Numer konta do zwrotu: PL50 5165 6140 5323 5269 1595 6419",
        ("PL50 5165 6140 5323 5269 1595 6419",),
    ),
    Planted("iban", "Rekening voor de onkostennota: BE59 5239 9481 7426", ("BE59 5239 9481 7426",)),
    Planted(
        "iban",
        _t(r"""
            | Feld     | Wert                 |
            |----------|----------------------|
            | IBAN     | AT624483266536703015 |
            | Zweck    | Reisekosten 05/2024  |
        """),
        ("AT624483266536703015",),
    ),
    Planted(
        "iban",
        "Neue Bankverbindung ab Juli: CH65 7484 8968 8667 5095 7",
        ("CH65 7484 8968 8667 5095 7",),
    ),
    Planted(
        "iban",
        "payroll keeps paying into my old account, new one is GB76NWBK00840643074224",
        ("GB76NWBK00840643074224",),
    ),
    Planted(
        "iban",
        "Kontonummer (IBAN): SE77 6029 1052 4185 7554 5326",
        ("SE77 6029 1052 4185 7554 5326",),
    ),
    Planted(
        "iban",
        '{"payee": "supplier-2231", "iban": "NO8359353600049", "currency": "NOK"}',
        ("NO8359353600049",),
    ),
    Planted(
        "iban",
        "IBAN DK95 6644 4278 7795 58 — please update before the next payment run",
        ("DK95 6644 4278 7795 58",),
    ),
    Planted(
        "iban", "IBAN: IE89 AIBK 9409 1102 0860 46 BIC: AIBKIE2D", ("IE89 AIBK 9409 1102 0860 46",)
    ),
    Planted("iban", "tilinumero FI3492844120170152", ("FI3492844120170152",)),
]

_CARD = [
    Planted(
        "card",
        "The booking tool rejected my corporate card 4397 5921 7416 7881 exp 09/27, is it blocked?",
        ("4397 5921 7416 7881",),
    ),
    Planted(
        "card",
        "Card: 4587-1775-7819-9795 CVV 318 — sorry, I know I shouldn't send this by mail",
        ("4587-1775-7819-9795", "CVV 318"),
    ),
    Planted(
        "card",
        '{"payment": {"pan": "5283756237224039", "exp": "11/26", "holder": "ACCOUNTS PAYABLE"}}',
        ("5283756237224039",),
    ),
    Planted(
        "card",
        "Die neue Firmenkreditkarte 2221 2809 9707 0138 wird beim Adobe-Abo abgelehnt.",
        ("2221 2809 9707 0138",),
    ),
    Planted(
        "card",
        "Amex 3443 067145 87132 for the conference tickets, exp 03/26",
        ("3443 067145 87132",),
    ),
    Planted(
        "card",
        "carte bancaire 372318645983657 refusée sur le portail fournisseur",
        ("372318645983657",),
    ),
    Planted(
        "card",
        _t(r"""
            [15:20] Agent: I can't take card details in chat, please use the payment form.
            [15:21] User: ok but its 6011 9128 5281 5422 just in case
        """),
        ("6011 9128 5281 5422",),
    ),
    Planted("card", "JCB 3537518078375232 のカードで決済できません", ("3537518078375232",)),
    Planted(
        "card",
        "TARJETA 4463 2026 8749 6517 CADUCA 08/25 POR FAVOR CAMBIARLA EN EL PORTAL",
        ("4463 2026 8749 6517",),
    ),
    Planted(
        "card",
        "Stripe test mode is off, so the charge on 5400 7906 8808 6058 was real. Refund please.",
        ("5400 7906 8808 6058",),
    ),
]

# --- government identifiers -------------------------------------------------------------------

_SSN = [
    Planted(
        "ssn",
        "HR portal shows someone else's W-2. Mine has SSN 425-15-4322, the one displayed is different.",
        ("425-15-4322",),
    ),
    Planted(
        "ssn",
        _t(r"""
            Employee onboarding form (scanned, OCR):
            Last name ......... see attachment
            SSN ............... 244 35 5330
            Start date ........ 06/17/2024
        """),
        ("244 35 5330",),
    ),
    Planted(
        "ssn",
        "the benefits site wants my social security number again (394175567) and then times out",
        ("394175567",),
    ),
    Planted(
        "ssn",
        "SSN# 277-74-2110 — please remove it from ticket #58812, I pasted it by mistake",
        ("277-74-2110",),
    ),
    Planted(
        "ssn",
        '<employee id="E-20931"><ssn>505-37-7711</ssn><dept>Warehouse</dept></employee>',
        ("505-37-7711",),
    ),
    Planted(
        "ssn",
        "ADP import error row 14: invalid field 'ssn' value '547-65-7466' (duplicate)",
        ("547-65-7466",),
    ),
]

_NATIONAL_ID = [
    Planted(
        "national_id",
        "Numéro de sécurité sociale : 1 73 01 08 985 145 40 — la mutuelle ne reçoit pas mes attestations.",
        ("1 73 01 08 985 145 40",),
    ),
    Planted(
        "national_id",
        "Para el alta en el portal necesitan mi DNI 52342641T, pero da error de formato.",
        ("52342641T",),
    ),
    Planted(
        "national_id", "NIE: Z0714631A (el sistema solo acepta DNI con 8 cifras)", ("Z0714631A",)
    ),
    Planted(
        "national_id",
        "Mijn BSN is 609664086, het salarisportaal toont dat van een collega.",
        ("609664086",),
    ),
    Planted(
        "national_id",
        "Codice fiscale: RSSMRA85T10A562S — il gestionale presenze non lo accetta.",
        ("RSSMRA85T10A562S",),
    ),
    Planted(
        "national_id",
        "W systemie kadrowym mój PESEL to 90051224122, a na pasku widnieje inny.",
        ("90051224122",),
    ),
    Planted(
        "national_id",
        "CPF 292.872.233-51 aparece duplicado no cadastro do fornecedor",
        ("292.872.233-51",),
    ),
    Planted(
        "national_id",
        "Aadhaar no. 3944 9465 4061 uploaded in the HRMS is visible to all managers, please restrict",
        ("3944 9465 4061",),
    ),
    Planted(
        "national_id",
        "员工身份证号 110105198112196634 在考勤系统里显示给了所有人",
        ("110105198112196634",),
    ),
    Planted(
        "national_id",
        "Lönesystemet visar fel personnummer: 970310-1452 är mitt, inte det som står där.",
        ("970310-1452",),
    ),
    Planted(
        "national_id",
        "Fødselsnummer 18079010010 ligger i klartekst i eksportfilen fra HR.",
        ("18079010010",),
    ),
    Planted(
        "national_id",
        "CPR-nr. 230192-5206 står i emnefeltet på lønsedlen, det burde ikke være der",
        ("230192-5206",),
    ),
    Planted(
        "national_id",
        "Henkilötunnus 040693-416U näkyy väärälle käyttäjälle palkkajärjestelmässä.",
        ("040693-416U",),
    ),
    Planted(
        "national_id",
        "Rijksregisternummer: 90.04.12-778.04 (staat op de badge-aanvraag)",
        ("90.04.12-778.04",),
    ),
    Planted(
        "national_id",
        "SA ID number 9309159851076 is required by the payroll vendor, can IT add the field?",
        ("9309159851076",),
    ),
    Planted("national_id", "My SIN is 464 349 646, the T4 upload keeps failing.", ("464 349 646",)),
    Planted(
        "national_id",
        "CURP: GOMC850712MDFRRR00 — el portal del SAT no la reconoce",
        ("GOMC850712MDFRRR00",),
    ),
    Planted(
        "national_id",
        "National Insurance number PX 47 91 36 C is wrong on my payslip",
        ("PX 47 91 36 C",),
    ),
    Planted(
        "national_id",
        "Kindly update my NIN 41857203396 on the staff portal, the old one has a typo",
        ("41857203396",),
    ),
    Planted(
        "national_id", "DNI argentino 32.418.775, lo pide el sistema de viáticos", ("32.418.775",)
    ),
]

_TAX_ID = [
    Planted(
        "tax_id",
        "Steuer-ID 50841575923 wird in der Lohnabrechnung falsch angezeigt.",
        ("50841575923",),
    ),
    Planted("tax_id", "Steuerliche Identifikationsnummer: 72 186 310 515", ("72 186 310 515",)),
    Planted(
        "tax_id", "NIP 119-804-76-24 do faktury, proszę poprawić w systemie", ("119-804-76-24",)
    ),
    Planted("tax_id", "NIF 266925359 para a fatura da formação", ("266925359",)),
    Planted(
        "tax_id",
        "Contractor W-9: EIN 43-7980562, please attach to the vendor record",
        ("43-7980562",),
    ),
    Planted(
        "tax_id",
        "My ITIN is 972-80-9723 and the tax form generator rejects it as an SSN",
        ("972-80-9723",),
    ),
    Planted("tax_id", "PAN: MPDPN2425A (needed for the Form 16 download)", ("MPDPN2425A",)),
    Planted(
        "tax_id",
        "TFN 703 388 033 shows on the onboarding summary page, is that visible to managers?",
        ("703 388 033",),
    ),
]

_PASSPORT = [
    Planted(
        "passport",
        _t(r"""
            Visa invitation letter — details for the travel agency:
            Nationality: German
            Passport No.: C4J7R2X95
            Valid until: 2031-04-30
        """),
        ("C4J7R2X95",),
    ),
    Planted(
        "passport",
        "Passport number 573918264 (USA) for the Singapore trip, booking ref ZX4Q2L",
        ("573918264",),
    ),
    Planted(
        "passport",
        "The travel portal rejects my passport no J8369854, says format invalid for India",
        ("J8369854",),
    ),
    Planted("passport", "Numéro de passeport : 19FV42871, délivré à Nantes", ("19FV42871",)),
    Planted(
        "passport",
        "Int'l passport A08293746 expires next month, please update it in the HR system",
        ("A08293746",),
    ),
    Planted("passport", "护照号码 E82736451 需要更新到出差系统", ("E82736451",)),
    Planted(
        "passport", "Paspoortnummer NW4K71P92 graag aanpassen in het reisprofiel", ("NW4K71P92",)
    ),
    Planted("passport", "Reisepassnummer für die Konferenzanmeldung: CF8K3M7L1", ("CF8K3M7L1",)),
]

_DOB = [
    Planted(
        "dob",
        "Patient record migrated wrong: DOB 1984-07-22 shows as 1984-22-07 in the new system.",
        ("1984-07-22",),
    ),
    Planted(
        "dob",
        "Ich bin am 03.11.1979 geboren, das HR-Portal zeigt aber den 11.03.1979 an.",
        ("03.11.1979",),
    ),
    Planted(
        "dob", "Date de naissance : 12/05/1990 (le formulaire refuse ce format)", ("12/05/1990",)
    ),
    Planted("dob", "Fecha de nacimiento: 23/09/1988", ("23/09/1988",)),
    Planted(
        "dob",
        "Password hint asks for my date of birth, which is March 4, 1975 — why is that stored?",
        ("March 4, 1975",),
    ),
    Planted("dob", "geboortedatum 17-02-1992 klopt niet in AFAS", ("17-02-1992",)),
    Planted("dob", "data di nascita 08/08/1986", ("08/08/1986",)),
    Planted("dob", "Data de nascimento: 30/01/1983, consta 1938 no sistema", ("30/01/1983",)),
    Planted("dob", "Data urodzenia: 15.06.1991 — w profilu jest błąd", ("15.06.1991",)),
    Planted(
        "dob",
        "born 2 Feb 1968, so the age check in the benefits portal should pass",
        ("2 Feb 1968",),
    ),
]

_ADDRESS = [
    Planted(
        "address",
        "Lieferadresse für den Ersatzlaptop: Lindenstraße 47, 50674 Köln (Homeoffice).",
        ("Lindenstraße 47",),
    ),
    Planted(
        "address",
        "I moved, please ship the docking station to 2218 Willow Creek Road, Apt 4B, Austin, TX 78745 instead.",
        ("2218 Willow Creek Road",),
    ),
    Planted(
        "address", "Adresse de livraison : 12 rue des Lilas, 69003 Lyon", ("12 rue des Lilas",)
    ),
    Planted(
        "address",
        "Enviad el portátil a Calle de Alcalá 214, 3º B, 28028 Madrid, por favor.",
        ("Calle de Alcalá 214",),
    ),
    Planted(
        "address",
        "Thuisadres voor de monitor: Prinsengracht 263-2, 1016 GV Amsterdam",
        ("Prinsengracht 263-2",),
    ),
    Planted(
        "address",
        "Indirizzo di spedizione: Via Giuseppe Garibaldi 18, 10122 Torino",
        ("Via Giuseppe Garibaldi 18",),
    ),
    Planted("address", "Morada: Rua Augusta 112, 2.º Esq., 1100-053 Lisboa", ("Rua Augusta 112",)),
    Planted(
        "address",
        "Adres do wysyłki: ul. Marszałkowska 84/92 m. 17, 00-514 Warszawa",
        ("ul. Marszałkowska 84/92",),
    ),
    Planted(
        "address",
        _t(r"""
            Home address for the VPN token courier:
            Flat 3, 27 Kingsley Gardens
            Leeds LS6 2AB
        """),
        ("27 Kingsley Gardens",),
    ),
    Planted(
        "address",
        "Deliver the router to Plot 14, Adeola Odeku Street, Victoria Island, Lagos — ask for reception.",
        ("Adeola Odeku Street",),
    ),
    Planted(
        "address",
        "Address: Flat 402, Sai Krupa Apartments, 14th Cross, Indiranagar, Bengaluru 560038",
        ("Sai Krupa Apartments",),
    ),
    Planted(
        "address",
        _t(r"""
            SHIP TO:
            RECEIVING DEPT
            4417 N Kedzie Ave Apt 2
            Chicago, IL 60625
        """),
        ("4417 N Kedzie Ave",),
    ),
    Planted("address", "Hemadress: Storgatan 12B, 114 51 Stockholm", ("Storgatan 12B",)),
]

# --- passwords, in every phrasing -------------------------------------------------------------

_PASSWORD = [
    Planted(
        "password",
        _t(r"""
            # config/database.yml (production)
            database:
              host: db01.internal
              port: 5432
              user: app
              password: "Tr0ub4dor&3x"
              pool: 20
        """),
        ("Tr0ub4dor&3x",),
    ),
    Planted(
        "password",
        _t(r"""
            APP_ENV=production
            APP_DEBUG=false
            DB_HOST=mysql.internal
            DB_USERNAME=shop
            DB_PASSWORD=K9#vLq2!mZ8p
            CACHE_DRIVER=redis
        """),
        ("K9#vLq2!mZ8p",),
    ),
    Planted(
        "password",
        '{"service": "sftp-export", "username": "exporter", "password": "Zebra!Crossing42", "port": 22, "retries": 3}',
        ("Zebra!Crossing42",),
    ),
    Planted(
        "password",
        _t(r"""
            <UserAccounts>
              <AdministratorPassword>
                <Value>Adm1n!Unattend24</Value>
                <PlainText>true</PlainText>
              </AdministratorPassword>
            </UserAccounts>
        """),
        ("Adm1n!Unattend24",),
    ),
    Planted(
        "password",
        _t(r"""
            $user = "CORP\svc-reports"
            $pw = ConvertTo-SecureString "Sp1ceW0rld!77" -AsPlainText -Force
            $cred = New-Object System.Management.Automation.PSCredential($user, $pw)
            Invoke-Command -ComputerName RPT01 -Credential $cred -ScriptBlock { Restart-Service SSRS }
        """),
        ("Sp1ceW0rld!77",),
    ),
    Planted(
        "password",
        r"C:\> net user svc_scan Scan2Folder! /add /domain"
        + "\nThe command completed successfully.",
        ("Scan2Folder!",),
    ),
    Planted(
        "password",
        "mysql -u root -pR00t_Mysql#9 -h db02.internal shop < dump.sql\nERROR 1045 (28000): Access denied",
        ("R00t_Mysql#9",),
    ),
    Planted(
        "password",
        "curl -u admin:Gr4f4n4!Adm https://grafana.internal/api/health returns 401 since the upgrade",
        ("Gr4f4n4!Adm",),
    ),
    Planted(
        "password",
        "crontab: 0 2 * * * sshpass -p 'Backup#2024!' rsync -av /data/ backup@nas01:/volume1/data/",
        ("Backup#2024!",),
    ),
    Planted(
        "password",
        "Hallo, mein neues Passwort ist Sonnenblume!2024, geht aber trotzdem nicht beim VPN. Grüße aus Bremen",
        ("Sonnenblume!2024",),
    ),
    Planted(
        "password",
        "Bonjour, voici mon mot de passe : Chaton-Gris-88 — impossible de me connecter à Teams.",
        ("Chaton-Gris-88",),
    ),
    Planted(
        "password",
        "Buenos días, la contraseña es Tortilla.Patata7 y el portal dice que es incorrecta.",
        ("Tortilla.Patata7",),
    ),
    Planted(
        "password",
        "Goedemorgen, mijn wachtwoord: Stroopwafel#21 werkt niet meer sinds vanochtend.",
        ("Stroopwafel#21",),
    ),
    Planted(
        "password",
        "Ciao, la password è Pizzaiolo_2023 ma il gestionale mi blocca dopo tre tentativi.",
        ("Pizzaiolo_2023",),
    ),
    Planted(
        "password", "Olá, minha senha: Saudade@1977 não funciona no webmail.", ("Saudade@1977",)
    ),
    Planted(
        "password",
        "Dzień dobry, hasło: Pierogi!Ruskie5 — system twierdzi, że wygasło.",
        ("Pierogi!Ruskie5",),
    ),
    Planted(
        "password",
        _t(r"""
            [14:01] user: still locked out
            [14:02] user: pw is qwerty!234 if that helps
            [14:03] agent: please never share passwords here, I'll send you a reset link
        """),
        ("qwerty!234",),
    ),
    Planted(
        "password",
        "MY PASSWORD IS SUMMER2024 AND IT SAYS WRONG PASSWORD EVERY TIME",
        ("SUMMER2024",),
    ),
    Planted(
        "password",
        "my pasword is now Welkom01 but outlook still asks for the old one",
        ("Welkom01",),
    ),
    Planted(
        "password",
        "docker run -d --name pg -e POSTGRES_USER=app -e POSTGRES_PASSWORD=pg_Sup3rS3cret -p 5432:5432 postgres:16",
        ("pg_Sup3rS3cret",),
    ),
    Planted(
        "password",
        _t(r"""
            apiVersion: v1
            kind: Secret
            metadata:
              name: ldap-bind
              namespace: auth
            type: Opaque
            stringData:
              username: cn=bind,ou=svc,dc=corp,dc=local
              password: "kubeAdm!n-2024"
        """),
        ("kubeAdm!n-2024",),
    ),
    Planted(
        "password",
        _t(r"""
            [webservers]
            web01.internal ansible_user=deploy
            [webservers:vars]
            ansible_become_password="B3come!Root"
        """),
        ("B3come!Root",),
    ),
    Planted(
        "password",
        "git clone https://deploy:Dpl0y%21Token@git.internal/ops/infra.git fails with 403",
        ("Dpl0y%21Token",),
    ),
    Planted(
        "password", "sudo htpasswd -b /etc/nginx/.htpasswd monitor M0nit0r!ng", ("M0nit0r!ng",)
    ),
    Planted(
        "password",
        "openssl pkcs12 -export -in cert.pem -inkey key.pem -out wildcard.pfx -passout pass:Pfx!Export99",
        ("Pfx!Export99",),
    ),
    Planted(
        "password",
        'ldapsearch -x -H ldaps://dc01.corp.local -D "cn=admin,dc=corp,dc=local" -w \'Ld@pAdm1n\' -b "dc=corp,dc=local" "(sAMAccountName=jdoe)"',
        ("Ld@pAdm1n",),
    ),
    Planted(
        "password",
        "smbclient //fs01/scans -U scanner%Sc@nner2024 -c 'ls' -> NT_STATUS_LOGON_FAILURE",
        ("Sc@nner2024",),
    ),
    Planted(
        "password",
        r"psexec \\ws-114 -u CORP\admin -p Ps3x3c!Adm cmd /c gpupdate /force",
        ("Ps3x3c!Adm",),
    ),
    Planted(
        "password",
        _t(r"""
            import psycopg2
            conn = psycopg2.connect(host="dwh.internal", dbname="sales", user="etl", password="etl_Pa55!")
            cur = conn.cursor()
        """),
        ("etl_Pa55!",),
    ),
    Planted(
        "password",
        "The temporary password I was given (Temp-4471-Xq) doesn't work on the first login screen.",
        ("Temp-4471-Xq",),
    ),
    Planted(
        "password",
        _t(r"""
            Hi,
            new starter account is ready:
            Username: j.kowalski
            Password: Marzec#2024
            Please change it at first logon.
        """),
        ("Marzec#2024",),
    ),
    Planted(
        "password",
        "Router login is admin / Rout3r#Admin, the firmware page hangs at 80%",
        ("Rout3r#Admin",),
    ),
    Planted(
        "password",
        "ok changed it, new password 👉 Palmtree#88 🙏 still same error",
        ("Palmtree#88",),
    ),
    Planted(
        "password",
        "the passphrase is correct-horse-battery-staple-91, I typed it three times",
        ("correct-horse-battery-staple-91",),
    ),
    Planted(
        "password",
        "CREATE USER report WITH PASSWORD 'R3p0rt!ng_2024';\nGRANT SELECT ON ALL TABLES IN SCHEMA public TO report;",
        ("R3p0rt!ng_2024",),
    ),
    Planted(
        "password",
        "ALTER LOGIN sa WITH PASSWORD = 'Sa!Passw0rd2019' ; -- run on SQL01 after the audit",
        ("Sa!Passw0rd2019",),
    ),
    Planted(
        "password",
        r"cmdkey /add:fs01.corp.local /user:CORP\scan /pass:Sc4nn3r!Key",
        ("Sc4nn3r!Key",),
    ),
    Planted(
        "password", "~/.pgpass contains: db01.internal:5432:*:etl:EtlPgpass#7", ("EtlPgpass#7",)
    ),
    Planted(
        "password",
        "define( 'DB_PASSWORD', 'wp_Xk29!lmQ' );  // wp-config.php on the marketing site",
        ("wp_Xk29!lmQ",),
    ),
    Planted(
        "password",
        _t(r"""
            DATABASES = {
                "default": {
                    "ENGINE": "django.db.backends.postgresql",
                    "NAME": "crm",
                    "USER": "crm",
                    "PASSWORD": "dj4ngo-Pg-Pw!",
                    "HOST": "pg-crm.internal",
                }
            }
        """),
        ("dj4ngo-Pg-Pw!",),
    ),
    Planted(
        "password",
        "Kennwort für den Admin-Account der Telefonanlage: Telef0n!Anlage",
        ("Telef0n!Anlage",),
    ),
    Planted(
        "password",
        "LAPS password for WS-0412 is 7fQ#m2Lp9vX!  — expires tomorrow",
        ("7fQ#m2Lp9vX!",),
    ),
]

_WIFI_KEY = [
    Planted(
        "wifi_key",
        _t(r"""
            network={
                ssid="Buero-5G"
                psk="Kaffeemaschine2024!"
                key_mgmt=WPA-PSK
            }
        """),
        ("Kaffeemaschine2024!",),
    ),
    Planted(
        "wifi_key",
        _t(r"""
            PS C:\> netsh wlan show profile name="Contoso-Staff" key=clear
            Security settings
            -----------------
                Authentication         : WPA2-Personal
                Cipher                 : CCMP
                Security key           : Present
                Key Content            : Gr33nT3a-Staff!
        """),
        ("Gr33nT3a-Staff!",),
    ),
    Planted(
        "wifi_key",
        "QR code on the lobby poster decodes to WIFI:T:WPA;S:Guest-Lobby;P:WelcomeGuest#55;;",
        ("WelcomeGuest#55",),
    ),
    Planted(
        "wifi_key",
        "WLAN für Patienten: Praxis-Gast, Schlüssel: Zahnarzt2024Gast — funktioniert am iPad nicht",
        ("Zahnarzt2024Gast",),
    ),
    Planted(
        "wifi_key",
        "/etc/hostapd/hostapd.conf:\ninterface=wlan0\nssid=Warehouse-AP\nwpa=2\nwpa_passphrase=Warehouse-AP-7731",
        ("Warehouse-AP-7731",),
    ),
    Planted(
        "wifi_key", "Le code Wi-Fi de la salle de réunion est : Croissant2024", ("Croissant2024",)
    ),
    Planted(
        "wifi_key",
        "clave wifi de la oficina: Oficina_Madrid_2024 (la de invitados no va)",
        ("Oficina_Madrid_2024",),
    ),
    Planted(
        "wifi_key",
        "wifi pw for the lab is labnet4ever, the iot devices cant join",
        ("labnet4ever",),
    ),
    Planted(
        "wifi_key",
        "/interface wireless security-profiles set default wpa2-pre-shared-key=M1kr0t1k!PSK",
        ("M1kr0t1k!PSK",),
    ),
]

# --- API keys, tokens, keys -------------------------------------------------------------------

_API_KEY = [
    Planted(
        "api_key",
        _t(r"""
            $ cat ~/.aws/credentials
            [default]
            aws_access_key_id = AKIA2IBYYURL7B6KJ6HB
            aws_secret_access_key = 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
            region = eu-central-1
        """),
        ("AKIA2IBYYURL7B6KJ6HB", "tyzpnVs+i4K9gVVk9jKMw378d/cN511cfubwKnHb"),
    ),
    Planted(
        "api_key",
        _t(r"""
            export AWS_ACCESS_KEY_ID=ASIAIJLVHKPO4DRVAUKV
            export AWS_SECRET_ACCESS_KEY=M2BD2ag2+b2tfU2AwO+c7vlOTDDXG7QacpvSoNa6
            aws s3 ls s3://backup-eu-prod/  -> An error occurred (ExpiredToken)
        """),
        ("ASIAIJLVHKPO4DRVAUKV", "M2BD2ag2+b2tfU2AwO+c7vlOTDDXG7QacpvSoNa6"),
    ),
    Planted(
        "api_key",
        "git remote set-url origin https://ghp_d57nB5SRPs9WG1qLrrlIIrEJEkX0GBvc3LRa@github.com/contoso/infra.git",
        ("ghp_d57nB5SRPs9WG1qLrrlIIrEJEkX0GBvc3LRa",),
    ),
    Planted(
        "api_key",
        _t(r"""
            - name: Checkout private submodule
              uses: actions/checkout@v4
              with:
                token: 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
                submodules: recursive
        """),
        (
            "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",
        ),
    ),
    Planted(
        "api_key",
        "SLACK_BOT_TOKEN=xoxb-284809787102-7344436648034-bpHlerw0cBVAqQRPXccDUfXf  # bot stopped posting to #alerts",
        ("xoxb-284809787102-7344436648034-bpHlerw0cBVAqQRPXccDUfXf",),
    ),
    Planted(
        "api_key",
        "the old user token xoxp-52214947004-916124829211-2484018771803-o3o93rzte7m8gp3mjwnxvaqml24lvugo still works after offboarding?!",
        ("xoxp-52214947004-916124829211-2484018771803-o3o93rzte7m8gp3mjwnxvaqml24lvugo",),
    ),
    Planted(
        "api_key",
        _t(r"""
            Stripe::InvalidRequestError: No such customer: 'cus_Q2x8'
              from /app/vendor/bundle/ruby/3.3.0/gems/stripe-10.15.0/lib/stripe/stripe_client.rb:812
            (config/initializers/stripe.rb) Stripe.api_key = "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"
        """),
        (
            "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",
        ),
    ),
    Planted(
        "api_key",
        "Restricted key for the BI export: rk_live_51vzNr6dQFetvD5J1n7EwpfLrx0C0kaDj1l46ZH3p9zB9c2itVRHQlKSaV4fuZ",
        ("rk_live_51vzNr6dQFetvD5J1n7EwpfLrx0C0kaDj1l46ZH3p9zB9c2itVRHQlKSaV4fuZ",),
    ),
    Planted(
        "api_key",
        "STRIPE_WEBHOOK_SECRET=whsec_wCpdXng0rAlGGAACRHQ32OHadLP7utGc — signature verification fails on every event",
        ("whsec_wCpdXng0rAlGGAACRHQ32OHadLP7utGc",),
    ),
    Planted(
        "api_key",
        '<script src="https://maps.googleapis.com/maps/api/js?key=AIzaxr2AYvClcRr9qcRFlMNCSigV44lGS_GRn8g&callback=initMap"></script>',
        ("AIzaxr2AYvClcRr9qcRFlMNCSigV44lGS_GRn8g",),
    ),
    Planted(
        "api_key",
        'firebase config: apiKey: "AIzaOvXr7Ci6m38CvN8HOCUItqFNGUIX8pLcrao", authDomain: "crm-prod.firebaseapp.com"',
        ("AIzaOvXr7Ci6m38CvN8HOCUItqFNGUIX8pLcrao",),
    ),
    Planted(
        "api_key",
        "OPENAI_API_KEY=sk-proj-t05NkFEolVhnH_zocbrk6Iit6y2ytiICPdIyMFB9ATDSAannT3BlbkFJ-BwYC0n38gkp-fAfvF06eS8E9fHSTpaJZLpkmfcAKYXI-JuL",
        (
            "sk-proj-t05NkFEolVhnH_zocbrk6Iit6y2ytiICPdIyMFB9ATDSAannT3BlbkFJ-BwYC0n38gkp-fAfvF06eS8E9fHSTpaJZLpkmfcAKYXI-JuL",
        ),
    ),
    Planted(
        "api_key",
        "smtp relay for the newsletter: user apikey, pass 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",
        ("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",),
    ),
    Planted(
        "api_key",
        _t(r"""
            TWILIO_ACCOUNT_SID=ACdf09a5d7347a5a675c17bab6a01898f9
            TWILIO_AUTH_TOKEN=7ac27a8ebfff1c03bb48ea359a444503
            TWILIO_FROM=+15005550006
        """),
        ("7ac27a8ebfff1c03bb48ea359a444503",),
    ),
    Planted(
        "api_key",
        "glab auth login --hostname gitlab.internal --token glpat-3UIF23efw3z8BJPRcxH-",
        ("glpat-3UIF23efw3z8BJPRcxH-",),
    ),
    Planted(
        "api_key",
        _t(r"""
            # .npmrc in the repo root (committed by accident?)
            @contoso:registry=https://npm.pkg.github.com
            //registry.npmjs.org/:_authToken=npm_LTeewkIPSBJqLbiZ6oDYVsPHm1sxus2hDcpJ
        """),
        ("npm_LTeewkIPSBJqLbiZ6oDYVsPHm1sxus2hDcpJ",),
    ),
    Planted(
        "api_key",
        "curl -s --user 'api:key-4dd703db3280e59f722493741e69ec5c' https://api.eu.mailgun.net/v3/mg.contoso.com/events",
        ("key-4dd703db3280e59f722493741e69ec5c",),
    ),
    Planted(
        "api_key",
        "X-Shopify-Access-Token: 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 gets 401 after the app reinstall",
        ("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",),
    ),
    Planted(
        "api_key",
        _t(r"""
            [pypi]
              username = __token__
              password = pypi-AgEIcHlwaS5vcmc8IN4CaMWbcTFrXu91a0RSg7MS6Z8-TBQ2oWVRMFpZlLqsVwBAfe5y41rIEM_
        """),
        ("pypi-AgEIcHlwaS5vcmc8IN4CaMWbcTFrXu91a0RSg7MS6Z8-TBQ2oWVRMFpZlLqsVwBAfe5y41rIEM_",),
    ),
    Planted(
        "api_key",
        "huggingface-cli login --token hf_Re06K4G0Kvq4zH6hSeJ2T2zCCUL7lF5hxb fails behind the proxy",
        ("hf_Re06K4G0Kvq4zH6hSeJ2T2zCCUL7lF5hxb",),
    ),
    Planted(
        "api_key",
        "doctl auth init --access-token dop_v1_1c6e746ac360d6eeeec4ab0a2d6a5397f597b9386c3f00a6b04de029675fe9d8",
        ("dop_v1_1c6e746ac360d6eeeec4ab0a2d6a5397f597b9386c3f00a6b04de029675fe9d8",),
    ),
    Planted(
        "api_key",
        _t(r"""
            # /etc/datadog-agent/datadog.yaml
            api_key: e5a8fb0d54602bb8d7c925f47fae3463
            site: datadoghq.eu
            logs_enabled: true
        """),
        ("e5a8fb0d54602bb8d7c925f47fae3463",),
    ),
    Planted(
        "api_key",
        "Authorization: SSWS 00qsh27DZ6uy-3eqS021CYlvChzBnSd3qyuBuj4tCF (Okta API, user import script)",
        ("00qsh27DZ6uy-3eqS021CYlvChzBnSd3qyuBuj4tCF",),
    ),
    Planted(
        "api_key",
        "CLOUDFLARE_API_TOKEN=cwnKGKovHjbG8A3x-kLvLwX4AClP5Hqnk0WT8RR2 terraform plan",
        ("cwnKGKovHjbG8A3x-kLvLwX4AClP5Hqnk0WT8RR2",),
    ),
    Planted(
        "api_key",
        "alert bot: https://api.telegram.org/bot2753572603:AAv-xQ9b6fWtyxAVv9HUmqd52bhXNaaitBo/sendMessage returns 404",
        ("2753572603:AAv-xQ9b6fWtyxAVv9HUmqd52bhXNaaitBo",),
    ),
    Planted(
        "api_key",
        "jira-cli config: token: ATATT3xFfGF04pQG8Xw7pqVYfQsEGHSgTHQ1iyp9jwva6gF-NWCoTuxTVexuvScujQeM_hhu04UMgPJWyRWYomlIDVkd4w97WFJf4yHrCkkLBUVcRq0YDzpgMAj9PrJ0Wvfk3RnPB6kFiqpGg4-Oj0VZ1Zl--YQDjTynl4AG77hy484CZehX18=9B925437",
        (
            "ATATT3xFfGF04pQG8Xw7pqVYfQsEGHSgTHQ1iyp9jwva6gF-NWCoTuxTVexuvScujQeM_hhu04UMgPJWyRWYomlIDVkd4w97WFJf4yHrCkkLBUVcRq0YDzpgMAj9PrJ0Wvfk3RnPB6kFiqpGg4-Oj0VZ1Zl--YQDjTynl4AG77hy484CZehX18=9B925437",
        ),
    ),
    Planted(
        "api_key",
        "newman run collection.json --env-var apiKey=PMAK-f3d08a74a6aabd1a338fe97f-8b9f8dea2ee5503674e4931753791d2690",
        ("PMAK-f3d08a74a6aabd1a338fe97f-8b9f8dea2ee5503674e4931753791d2690",),
    ),
]

_JWT = [
    Planted(
        "jwt",
        _t(r"""
            GET /api/v1/me HTTP/1.1
            Host: api.contoso.com
            Authorization: Bearer eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI4ZjNjMmEiLCJuYW1lIjoieCIsImlhdCI6MTcxNzQwMDAwMCwiZXhwIjoxNzE3NDAzNjAwLCJhdWQiOiJhcGkifQ.5GQM9cvzv9OMGKYTRhQUQ1CW58NAN1IuMcImPNeknCw
            Accept: application/json
        """),
        (
            "eyJzdWIiOiI4ZjNjMmEiLCJuYW1lIjoieCIsImlhdCI6MTcxNzQwMDAwMCwiZXhwIjoxNzE3NDAzNjAwLCJhdWQiOiJhcGkifQ",
            "5GQM9cvzv9OMGKYTRhQUQ1CW58NAN1IuMcImPNeknCw",
        ),
    ),
    Planted(
        "jwt",
        "After login the redirect is https://app.contoso.com/callback#id_token=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5jb20vdGVuYW50L3YyLjAiLCJvaWQiOiIxYTJiIiwic2NwIjoiTWFpbC5SZWFkIiwiZXhwIjoxNzE3NTAwMDAwfQ.4Eary6c9SkiL3Nrj7mW-sQ-Li26G9lIiX3iJ9tq2p6U&state=xyz and then a blank page",
        (
            "eyJpc3MiOiJodHRwczovL2xvZ2luLm1pY3Jvc29mdG9ubGluZS5jb20vdGVuYW50L3YyLjAiLCJvaWQiOiIxYTJiIiwic2NwIjoiTWFpbC5SZWFkIiwiZXhwIjoxNzE3NTAwMDAwfQ",
            "4Eary6c9SkiL3Nrj7mW-sQ-Li26G9lIiX3iJ9tq2p6U",
        ),
    ),
    Planted(
        "jwt",
        "Cookie: session=eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJ1c2VyX2lkIjo0NDcxLCJyb2xlIjoiYWRtaW4iLCJleHAiOjE3MTc2MDAwMDB9.lewPCqsFFI-BaJZYL-L2_lm9CGSCByIl1GrvkpzjT4I; theme=dark",
        (
            "eyJ1c2VyX2lkIjo0NDcxLCJyb2xlIjoiYWRtaW4iLCJleHAiOjE3MTc2MDAwMDB9",
            "lewPCqsFFI-BaJZYL-L2_lm9CGSCByIl1GrvkpzjT4I",
        ),
    ),
    Planted(
        "jwt",
        '{"token_type": "Bearer", "expires_in": 3599, "access_token": "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiI4ZjNjMmEiLCJuYW1lIjoieCIsImlhdCI6MTcxNzQwMDAwMCwiZXhwIjoxNzE3NDAzNjAwLCJhdWQiOiJhcGkifQ.Xk2v9QpL7mRt3WcY8nBf1sHj6dGa0uZe4TqVyNoKiM8"}',
        ("Xk2v9QpL7mRt3WcY8nBf1sHj6dGa0uZe4TqVyNoKiM8",),
    ),
]

_BEARER_TOKEN = [
    Planted(
        "bearer_token",
        'curl -H "Authorization: Bearer iQgX45xDUjSt568fWjwdkSu3bx04GjCzwNSjZ0gIvoT" https://api.vendor.io/v2/devices?page=2',
        ("iQgX45xDUjSt568fWjwdkSu3bx04GjCzwNSjZ0gIvoT",),
    ),
    Planted(
        "bearer_token",
        '{"access_token":"dd4D8_hTTUhln9Sol4GJ3uTN0GAww22065ouV2~iCI.BYUtrCZpOkCgFiteALDD1","token_type":"bearer","expires_in":7200,"scope":"read write"}',
        ("dd4D8_hTTUhln9Sol4GJ3uTN0GAww22065ouV2~iCI.BYUtrCZpOkCgFiteALDD1",),
    ),
    Planted(
        "bearer_token",
        "X-Auth-Token: 0fce0a8d231af4b2533201be204ef808de68d559\nX-Request-ID: 7b1c5e0a-2f4d-4c6b-9a8e-1d3f5b7c9e2a",
        ("0fce0a8d231af4b2533201be204ef808de68d559",),
    ),
    Planted(
        "bearer_token",
        _t(r"""
            $headers = @{
                Authorization = "Bearer Qm9vdHN0cmFwVG9rZW4tNDQ3MS1wcm9kLWtleQ7hZ2"
                "Content-Type" = "application/json"
            }
            Invoke-RestMethod -Uri https://api.contoso.com/v1/sync -Headers $headers -Method Post
        """),
        ("Qm9vdHN0cmFwVG9rZW4tNDQ3MS1wcm9kLWtleQ7hZ2",),
    ),
    Planted(
        "bearer_token",
        "refresh_token=1//09kTq3Vd8XzLpCgYIARAAGAkSNwF-L9IrW3u5t7y8oPqZxCv2Bn4Mk6Js0Gh1Df in the logs of the sync service",
        ("1//09kTq3Vd8XzLpCgYIARAAGAkSNwF-L9IrW3u5t7y8oPqZxCv2Bn4Mk6Js0Gh1Df",),
    ),
]

_WEBHOOK_URL = [
    Planted(
        "webhook_url",
        "The Jenkins notifier posts to https://hooks.slack.com/services/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 but nothing arrives",
        ("Re7NhQYB1DQQ8jDNl6peyAXt",),
    ),
    Planted(
        "webhook_url",
        "DISCORD_WEBHOOK=https://discord.com/api/webhooks/3926994220668960685/pfATHp7MNqo--fEEIfGmZH4HP5hAE2MSApxzI8Au7JAfy_WYzaNRt5GbvO21GrrCUqdD",
        ("pfATHp7MNqo--fEEIfGmZH4HP5hAE2MSApxzI8Au7JAfy_WYzaNRt5GbvO21GrrCUqdD",),
    ),
    Planted(
        "webhook_url",
        _t(r"""
            Invoke-RestMethod -Method Post -ContentType 'application/json' `
              -Uri 'https://contoso.webhook.office.com/webhookb2/0c32dcf5-01fb-2b1d-52a4-0d459d382fb9@479041ae-aaaa/IncomingWebhook/9588de867f5721089dda25505afa7352/f22c2836' `
              -Body '{"text":"Backup finished"}'
        """),
        ("9588de867f5721089dda25505afa7352",),
    ),
    Planted(
        "webhook_url",
        "Zapier hook https://hooks.zapier.com/hooks/catch/8841207/3k9xq2v/ fires twice for every form submission",
        ("8841207/3k9xq2v",),
    ),
    Planted(
        "webhook_url",
        "Mattermost incoming webhook https://chat.corp.local/hooks/xn7k3p9qw1bz5tmh8dyc4fr6ea returns 403 since the upgrade",
        ("xn7k3p9qw1bz5tmh8dyc4fr6ea",),
    ),
    Planted(
        "webhook_url",
        "Our ERP calls https://erp-bridge.contoso.com/webhook/orders?secret=Wh9Lk2Qp7Xr4Tz8Vn1Bc once per order",
        ("Wh9Lk2Qp7Xr4Tz8Vn1Bc",),
    ),
]

_SIGNED_URL = [
    Planted(
        "signed_url",
        "Download link from the vendor: https://contosobackup.blob.core.windows.net/exports/db-2024-06-02.bak?sv=2022-11-02&ss=b&srt=o&sp=r&se=2024-06-10T18:00:00Z&st=2024-06-03T10:00:00Z&spr=https&sig=uIP%2FQxmWtlV0OCsTF%2FXPsyr2viLV1qX4WyR8WVg8J9M%3D",
        ("uIP%2FQxmWtlV0OCsTF%2FXPsyr2viLV1qX4WyR8WVg8J9M%3D",),
    ),
    Planted(
        "signed_url",
        "https://invoices-eu.s3.eu-central-1.amazonaws.com/2024/06/INV-0091.pdf?X-Amz-Algorithm=AWS4-HMAC-SHA256&X-Amz-Credential=AKIA2IBYYURL7B6KJ6HB%2F20240603%2Feu-central-1%2Fs3%2Faws4_request&X-Amz-Date=20240603T101500Z&X-Amz-Expires=604800&X-Amz-SignedHeaders=host&X-Amz-Signature=8b858c6bf05b1ecd86ec75da34e62dfdce6db4920bed4277eda4e10e35a7765b",
        ("8b858c6bf05b1ecd86ec75da34e62dfdce6db4920bed4277eda4e10e35a7765b",),
    ),
    Planted(
        "signed_url",
        "https://storage.googleapis.com/crm-exports/contacts.csv?X-Goog-Algorithm=GOOG4-RSA-SHA256&X-Goog-Credential=exporter%40crm-prod.iam.gserviceaccount.com%2F20240603%2Fauto%2Fstorage%2Fgoog4_request&X-Goog-Date=20240603T101500Z&X-Goog-Expires=3600&X-Goog-SignedHeaders=host&X-Goog-Signature=ca964e1026440ef9d07967e0bb661a83014e878bd873358666e3fef450a2e2cfd0c8b2ddbb192036c13d9271ce2c668575063c94fd1cda2f869cd2d129fbc23a",
        (
            "ca964e1026440ef9d07967e0bb661a83014e878bd873358666e3fef450a2e2cfd0c8b2ddbb192036c13d9271ce2c668575063c94fd1cda2f869cd2d129fbc23a",
        ),
    ),
    Planted(
        "signed_url",
        "Video training link expired: https://d3k9x0q2example.cloudfront.net/onboarding/week1.mp4?Expires=1717500000&Signature=Tq3nW8~kLp2Xv-Rz7Bc4Ym1Hd9Fg6Js0Ua5Ei~Ko8Nl3Pq7Wr2Zt4Xv6Yb1Cd9Mf0Gh3Jk5Lm7Np9Qr2St4Uv6Wx8&Key-Pair-Id=K2JCJMDEHXQW5F",
        (
            "Tq3nW8~kLp2Xv-Rz7Bc4Ym1Hd9Fg6Js0Ua5Ei~Ko8Nl3Pq7Wr2Zt4Xv6Yb1Cd9Mf0Gh3Jk5Lm7Np9Qr2St4Uv6Wx8",
        ),
    ),
    Planted(
        "signed_url",
        "Shared via the portal: https://files.contoso.com/d/8f2a/payroll-may.xlsx?token=4c9e1b7a2d6f3e8c0b5a9d4f7e2c1a6b&expires=1717650000",
        ("4c9e1b7a2d6f3e8c0b5a9d4f7e2c1a6b",),
    ),
]

_PRIVATE_KEY = [
    Planted(
        "private_key",
        _t(r"""
            the cert renewal script prints this, is that normal??
            -----BEGIN RSA PRIVATE KEY-----
            MIIEpAIBAAKCAQEAm7chBf9HPdJzfq9u420xWxu2iLlMikD3eZGOeFjnBqln3BaP
            NgGDdcBNtMgxTyhLW/dCxJLtPJ8C0M61rkN+qAzlnwCQRjbmSyCDLMacGi4U9vYI
            CasKlzrwMRv1eHq81EuXa3R2XtIAEpGFaU+B2k2CK5OXDNoRhKIvYyD0VixiXFT3
            kw1H7GhU3ZxiGoHyS5W0zwK4S8BnSWzRxAB3xhNuGyzhdfYmH8EIuLG3hGtaJTZ8
            -----END RSA PRIVATE KEY-----
        """),
        (
            "NgGDdcBNtMgxTyhLW/dCxJLtPJ8C0M61rkN+qAzlnwCQRjbmSyCDLMacGi4U9vYI",
            "kw1H7GhU3ZxiGoHyS5W0zwK4S8BnSWzRxAB3xhNuGyzhdfYmH8EIuLG3hGtaJTZ8",
        ),
    ),
    Planted(
        "private_key",
        _t(r"""
            $ cat ~/.ssh/id_ed25519
            -----BEGIN OPENSSH PRIVATE KEY-----
            b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW
            TSbFogq8okqkvqKp9/HaoYsbB20gQhqdlVJjaCgP6n6D3nn5cq9+Hmh7yx9V2ZFY
            PjzOraW6PFudIvjs9lJY7dMU4EFiL3pXmIJ2LiXLQPA/nloR/LXlwlZP7V4hBJPQ
            -----END OPENSSH PRIVATE KEY-----
        """),
        (
            "TSbFogq8okqkvqKp9/HaoYsbB20gQhqdlVJjaCgP6n6D3nn5cq9+Hmh7yx9V2ZFY",
            "PjzOraW6PFudIvjs9lJY7dMU4EFiL3pXmIJ2LiXLQPA/nloR/LXlwlZP7V4hBJPQ",
        ),
    ),
    Planted(
        "private_key",
        _t(r"""
            ssl_certificate_key contents (nginx won't start):
            -----BEGIN EC PRIVATE KEY-----
            MHcCAQEEIL9vbeXIT+t94GcZ27c002sG9mldAr8ejgSPbT/yevWhoAoGCCqGSM49
            AwEHoUQDQgAEnXTXJHNewz5SEA8p0nSWt7SD+nso8dNX7ETzAQFBkBWFGOt24u9f
            FdNFAce/aAaQztIH4jL/WEHo9YVgPnAUk7ZMm6ueizk6YSB4rBE48W6lc1x3jds2
            -----END EC PRIVATE KEY-----
        """),
        (
            "MHcCAQEEIL9vbeXIT+t94GcZ27c002sG9mldAr8ejgSPbT/yevWhoAoGCCqGSM49",
            "AwEHoUQDQgAEnXTXJHNewz5SEA8p0nSWt7SD+nso8dNX7ETzAQFBkBWFGOt24u9f",
        ),
    ),
    Planted(
        "private_key",
        _t(r"""
            PuTTY-User-Key-File-3: ssh-rsa
            Encryption: none
            Comment: rsa-key-20240603
            Public-Lines: 1
            AAAAB3NzaC1yc2EAAAADAQABAAABAQCim9a7Phfc8vShYjBl6thO3kxTPSH8RH4K
            Private-Lines: 2
            AAABAQCHjCu66dOZ3t7GetF8650z6QXLM7fRCykh81ZJi0dIUfhEaSmxagoLqFTm
            6p4NBaDu0+qHfgwTLEkNAoWBPRi8UmmA50CRucHjL9vbeXIT+t94GcZ27c002sG9
            Private-MAC: 0d7f3c2a91b84e5f6a7c8d9e0f1a2b3c4d5e6f708192a3b4c5d6e7f8091a2b3c
        """),
        (
            "AAABAQCHjCu66dOZ3t7GetF8650z6QXLM7fRCykh81ZJi0dIUfhEaSmxagoLqFTm",
            "6p4NBaDu0+qHfgwTLEkNAoWBPRi8UmmA50CRucHjL9vbeXIT+t94GcZ27c002sG9",
        ),
    ),
]

_CONNECTION_STRING = [
    Planted(
        "connection_string",
        _t(r"""
            <connectionStrings>
              <add name="Erp" connectionString="Server=sql01.corp.local,1433;Database=ERP_PROD;User Id=erp_app;Password=Erp#Pr0d!2024;TrustServerCertificate=True" providerName="System.Data.SqlClient" />
            </connectionStrings>
        """),
        ("Erp#Pr0d!2024",),
    ),
    Planted(
        "connection_string",
        "DATABASE_URL=postgres://billing:Bill1ng-Pg-77@pg-billing.internal:5432/billing?sslmode=require",
        ("Bill1ng-Pg-77",),
    ),
    Planted(
        "connection_string",
        'MongoServerSelectionError for uri "mongodb+srv://analytics:M0ng0Atl4s!@cluster0.x7k2p.mongodb.net/events?retryWrites=true&w=majority"',
        ("M0ng0Atl4s!",),
    ),
    Planted(
        "connection_string",
        "CELERY_BROKER_URL=redis://:R3d1sCache#9@cache01.internal:6379/2",
        ("R3d1sCache#9",),
    ),
    Planted(
        "connection_string",
        "amqp://orders:Rabb1tMQ!orders@mq01.internal:5672/prod -> ACCESS_REFUSED",
        ("Rabb1tMQ!orders",),
    ),
    Planted(
        "connection_string",
        "spring.datasource.url=jdbc:mysql://mysql01.internal:3306/hr?user=hr_app&password=HrApp2024!x&useSSL=true",
        ("HrApp2024!x",),
    ),
    Planted(
        "connection_string",
        "DSN-less: Driver={ODBC Driver 18 for SQL Server};Server=tcp:sql-bi.database.windows.net,1433;Uid=bi_reader;Pwd={B1r3ad3r!x};Encrypt=yes;",
        ("B1r3ad3r!x",),
    ),
    Planted(
        "connection_string",
        "Endpoint=sb://contoso-orders.servicebus.windows.net/;SharedAccessKeyName=RootManageSharedAccessKey;SharedAccessKey=5My2Yc8olEKth0+WJGLXCijkeqzW3xMdaZOzgl3ARno=",
        ("5My2Yc8olEKth0+WJGLXCijkeqzW3xMdaZOzgl3ARno=",),
    ),
    Planted(
        "connection_string",
        "AZURE_STORAGE_CONNECTION_STRING=DefaultEndpointsProtocol=https;AccountName=contosodocs;AccountKey=3DEtyD7GmjDoFTpGbyu+67iWd9c8is9U1cIwZc2x7l4tkIr8p94vxmfVTfGDwxVAmol9jZTkp6usGKQuYGZNBQ==;EndpointSuffix=core.windows.net",
        (
            "3DEtyD7GmjDoFTpGbyu+67iWd9c8is9U1cIwZc2x7l4tkIr8p94vxmfVTfGDwxVAmol9jZTkp6usGKQuYGZNBQ==",
        ),
    ),
    Planted(
        "connection_string",
        _t(r"""
            [alembic]
            script_location = migrations
            sqlalchemy.url = mysql+pymysql://inventory:Inv3nt0ry!db@mariadb01.internal/inventory
        """),
        ("Inv3nt0ry!db",),
    ),
    Planted(
        "connection_string",
        'dsn := "reporting:G0lang-Rep0rt@tcp(mysql02.internal:3306)/reports?parseTime=true"',
        ("G0lang-Rep0rt",),
    ),
]

_RECOVERY_KEY = [
    Planted(
        "recovery_key",
        _t(r"""
            BitLocker recovery screen on LT-2231, the user read me the key:
            Recovery key ID: 4F8A2C1B
            Recovery key: 412302-556214-098765-317251-661452-009174-223301-548812
        """),
        ("412302-556214-098765-317251-661452-009174-223301-548812",),
    ),
    Planted(
        "recovery_key",
        "my 2FA backup codes in case you need them: 8841-2207 5530-1196 7720-4418 — the authenticator app was on the old phone",
        ("8841-2207", "5530-1196", "7720-4418"),
    ),
    Planted(
        "recovery_key",
        "The enrollment QR decodes to otpauth://totp/Contoso:vpn?secret=K7QW3XLPZ4MVB2RN6YTJ5HCA&issuer=Contoso",
        ("K7QW3XLPZ4MVB2RN6YTJ5HCA",),
    ),
]

# --- people's names ---------------------------------------------------------------------------

_NAME_GREETING = [
    Planted(
        "name_greeting",
        _t(r"""
            Hi Oluwaseun,

            the scanner on floor 2 sends empty PDFs again. It started after the firmware update on Friday.

            Thanks
        """),
        ("Oluwaseun",),
    ),
    Planted(
        "name_greeting",
        _t(r"""
            Hallo Frau Schmidt-Lehmann,

            anbei wie besprochen die Fehlermeldung aus dem DATEV-Arbeitsplatz. Der Fehler tritt nur an Ihrem Rechner auf.

            Viele Grüße
            Ihr IT-Service
        """),
        ("Schmidt-Lehmann",),
    ),
    Planted(
        "name_greeting",
        "Bonjour Mme de la Fontaine,\n\nsuite à votre appel, nous avons réinitialisé votre profil Outlook. Merci de redémarrer le poste.",
        ("Fontaine",),
    ),
    Planted(
        "name_greeting",
        "Dear Dr. Anneliese Vogt-Kühn,\nthank you for your patience; the PACS viewer has been reinstalled on both workstations.",
        ("Anneliese", "Vogt-Kühn"),
    ),
    Planted(
        "name_greeting",
        "Hola María José:\n\nel portátil ya está listo, puedes pasar a recogerlo por la planta 4.",
        ("María", "José"),
    ),
    Planted(
        "name_greeting",
        "Beste Jan-Willem,\n\nje nieuwe telefoon is ingericht. Je kunt hem vanaf morgen ophalen bij de servicebalie.",
        ("Jan-Willem",),
    ),
    Planted(
        "name_greeting",
        "Cześć Małgosia, drukarka już działa, daj znać, gdyby znowu był problem.",
        ("Małgosia",),
    ),
    Planted(
        "name_greeting",
        "Ciao Giulia,\nho aggiornato il driver della stampante, prova adesso.",
        ("Giulia",),
    ),
    Planted(
        "name_greeting", "Olá João Pedro,\n\no seu acesso ao SAP foi reativado.", ("João", "Pedro")
    ),
    Planted("name_greeting", "hey nguyen, quick one: is the vpn down for you too??", ("nguyen",)),
    Planted(
        "name_greeting",
        "Good morning Mrs. Okonkwo,\nyour replacement badge is ready at the security desk.",
        ("Okonkwo",),
    ),
    Planted("name_greeting", "HI PRIYA\nTHE PRINTER IS STILL NOT WORKING ON 3RD FLOOR", ("PRIYA",)),
    Planted(
        "name_greeting", "Dear Grace,\n\nwe have extended your mailbox quota to 100 GB.", ("Grace",)
    ),
    Planted("name_greeting", "Hej Åsa! Skärmen i konferensrummet fungerar igen.", ("Åsa",)),
    Planted(
        "name_greeting",
        "Salam Fatima, the new SIM card has been sent to the Riyadh office.",
        ("Fatima",),
    ),
]

_NAME_SIGNOFF = [
    Planted(
        "name_signoff",
        _t(r"""
            The shared drive mapping disappears after every reboot since Monday.

            Best regards,
            Nguyễn Thị Thu Hà
        """),
        ("Nguyễn", "Thị", "Thu", "Hà"),
    ),
    Planted(
        "name_signoff",
        _t(r"""
            Das Update hat leider nichts geändert, der Fehler 0x80070005 kommt weiterhin.

            Mit freundlichen Grüßen
            Hans-Peter Müller-Lüdenscheidt
        """),
        ("Hans-Peter", "Müller-Lüdenscheidt"),
    ),
    Planted(
        "name_signoff",
        "Le poste redémarre en boucle depuis ce matin.\n\nCordialement,\nAmélie Durand-Leroux",
        ("Amélie", "Durand-Leroux"),
    ),
    Planted(
        "name_signoff",
        "Sigue sin funcionar el escáner.\n\nSaludos,\nAlejandro Gutiérrez Ruiz",
        ("Alejandro", "Gutiérrez", "Ruiz"),
    ),
    Planted(
        "name_signoff",
        "Bedankt voor de snelle hulp!\n\nMet vriendelijke groet,\nPieter de Vries",
        ("Pieter", "Vries"),
    ),
    Planted(
        "name_signoff",
        "Il problema si ripresenta ogni lunedì.\n\nCordiali saluti,\nFrancesca Bianchi",
        ("Francesca", "Bianchi"),
    ),
    Planted(
        "name_signoff",
        "O computador não liga desde ontem.\n\nAtenciosamente,\nAna Paula da Silva",
        ("Ana", "Paula", "Silva"),
    ),
    Planted(
        "name_signoff",
        "Proszę o pilną pomoc.\n\nPozdrawiam,\nKrzysztof Wiśniewski",
        ("Krzysztof", "Wiśniewski"),
    ),
    Planted("name_signoff", "will try again after lunch\n\nThanks,\nChukwuemeka", ("Chukwuemeka",)),
    Planted("name_signoff", "works now, you can close the ticket. Cheers, Bjørn", ("Bjørn",)),
    Planted(
        "name_signoff",
        "Kindly do the needful at the earliest.\n\nRegards\nVenkata Subramanian Iyer",
        ("Venkata", "Subramanian", "Iyer"),
    ),
    Planted(
        "name_signoff",
        "Many thanks for sorting the laptop so quickly.\n\nSiobhán O'Sullivan",
        ("Siobhán", "O'Sullivan"),
    ),
    Planted("name_signoff", "still broken. thx -- dmitri", ("dmitri",)),
    Planted("name_signoff", "Danke euch!\n\nLiebe Grüße\nLena", ("Lena",)),
    Planted(
        "name_signoff",
        "Please advise.\n\nBest,\nZhang Wei\n\nSent from my iPhone",
        ("Zhang", "Wei"),
    ),
]

_NAME_SIGNATURE = [
    Planted(
        "name_signature",
        _t(r"""
            Outlook freezes when I open the shared calendar.

            --
            Mohammed bin Rashid Al-Mansouri
            Senior Network Engineer | Gulf Logistics LLC
            Dubai, UAE
        """),
        ("Mohammed", "Rashid", "Al-Mansouri"),
    ),
    Planted(
        "name_signature",
        _t(r"""
            Der Befundungsmonitor flackert seit gestern.
            __________________________________
            Dr. med. Katharina von Hohenberg
            Chefärztin Radiologie
            Klinikum Süd
        """),
        ("Katharina", "Hohenberg"),
    ),
    Planted(
        "name_signature",
        _t(r"""
            No puedo acceder a la carpeta compartida de logística.

            Isabel de la Cruz | IT Coordinator
            [cid:image001.png@01DAB5C3.7F2E1A40]
            IberTrans S.L. | www.ibertrans.es
            Este mensaje es confidencial.
        """),
        ("Isabel", "Cruz"),
    ),
    Planted(
        "name_signature",
        "The purchase order tool shows a blank page.\n\nAhmad bin Ismail\nProcurement Executive\nPetraTek Sdn Bhd, Kuala Lumpur",
        ("Ahmad", "Ismail"),
    ),
    Planted(
        "name_signature",
        "ERP 登录失败，错误代码 E-1042。\n\nWANG Xiaoming 王晓明\nIT Manager, Shenzhen Plant",
        ("WANG", "Xiaoming", "王晓明"),
    ),
    Planted(
        "name_signature",
        "Máy in ở tầng 2 không in được.\n\nTrần Văn Minh\nKỹ sư hệ thống | Công ty TNHH Sài Gòn Logistics",
        ("Trần", "Văn", "Minh"),
    ),
    Planted(
        "name_signature",
        "Can someone reset the HRIS integration?\n\nEmma Thompson-Okafor (she/her)\nHead of People\n[LinkedIn] [Instagram]",
        ("Emma", "Thompson-Okafor"),
    ),
    Planted(
        "name_signature",
        "Prentarinn virkar ekki.\n\nSigríður Jónsdóttir\nVerkefnastjóri\nReykjavík",
        ("Sigríður", "Jónsdóttir"),
    ),
    Planted(
        "name_signature",
        "Server za backup ne odgovara od jutros.\n\nDragan Petrović, dipl. ing.\nSistem administrator",
        ("Dragan", "Petrović"),
    ),
    Planted(
        "name_signature",
        "VPN disconnects every 10 minutes.\n\nKIM Min-jun\nSeoul Branch | Ext. 4471",
        ("KIM", "Min-jun"),
    ),
    Planted(
        "name_signature",
        "Payslips for May are not visible in the portal.\n\nHarpreet Kaur Sandhu\nPayroll Lead",
        ("Harpreet", "Kaur", "Sandhu"),
    ),
]

_NAME_PROSE = [
    Planted(
        "name_prose",
        "I spoke with Bjørn Halvorsen yesterday and he said the switch in rack 4 was replaced, but the link LED is still amber.",
        ("Bjørn", "Halvorsen"),
    ),
    Planted(
        "name_prose",
        "Ngozi's laptop (LT-0098) is the only one on the floor that can't print.",
        ("Ngozi",),
    ),
    Planted(
        "name_prose",
        "Kannst du bitte Herrn Özdemir Zugriff auf den Ordner Projekte/2024 geben?",
        ("Özdemir",),
    ),
    Planted(
        "name_prose",
        "Rafael Oliveira Santos da área financeira não consegue abrir o SAP desde a atualização.",
        ("Rafael", "Oliveira", "Santos"),
    ),
    Planted(
        "name_prose",
        "yesterday yusuf and fatma from accounting both got the same phishing mail",
        ("yusuf", "fatma"),
    ),
    Planted(
        "name_prose",
        "The new hire, Aleksandra Nowak-Zielińska, starts on Monday and needs a laptop and a badge.",
        ("Aleksandra", "Nowak-Zielińska"),
    ),
    Planted(
        "name_prose",
        "Ask Konstantinos Papadopoulos for the firewall change approval before Friday.",
        ("Konstantinos", "Papadopoulos"),
    ),
    Planted(
        "name_prose",
        "Je transfère la demande de Jean-Baptiste Lefèvre concernant son accès VPN.",
        ("Jean-Baptiste", "Lefèvre"),
    ),
    Planted(
        "name_prose", "Ayşe Yılmaz'ın bilgisayarı her sabah mavi ekran veriyor.", ("Ayşe", "Yılmaz")
    ),
    Planted(
        "name_prose",
        "Hamid Karimi's mailbox is full again, can we archive everything before 2021?",
        ("Hamid", "Karimi"),
    ),
    Planted(
        "name_prose",
        "Our CFO Abena Owusu-Ansah cannot approve invoices in the mobile app.",
        ("Abena", "Owusu-Ansah"),
    ),
    Planted(
        "name_prose",
        "Lars-Erik Söderström und Mette Kjærgaard brauchen beide eine Teams-Telefonie-Lizenz.",
        ("Lars-Erik", "Söderström", "Mette", "Kjærgaard"),
    ),
    Planted(
        "name_prose",
        "Sato Haruka-san asked whether the VPN client supports the Japanese IME.",
        ("Sato", "Haruka"),
    ),
    Planted(
        "name_prose",
        "luis miguel fernández can't log in, he's at the airport and needs the deck",
        ("luis", "miguel", "fernández"),
    ),
]

_NAME_HEADER = [
    Planted(
        "name_header",
        _t(r"""
            From: Priya Raghunathan <p.raghunathan@infosol.in>
            Sent: Tuesday, June 4, 2024 9:02 AM
            To: Service Desk <servicedesk@contoso.com>
            Subject: FW: Outlook crash on startup
        """),
        ("Priya", "Raghunathan"),
    ),
    Planted(
        "name_header",
        _t(r"""
            Von: Weber, Matthias <matthias.weber@stadtwerke-nord.de>
            Gesendet: Montag, 3. Juni 2024 14:11
            An: IT-Support
            Betreff: Drucker im EG druckt nur leere Seiten
        """),
        ("Weber", "Matthias"),
    ),
    Planted(
        "name_header",
        "De : Camille Rousseau\nEnvoyé : lundi 3 juin 2024 10:45\nÀ : Support IT\nObjet : Imprimante hors ligne",
        ("Camille", "Rousseau"),
    ),
    Planted(
        "name_header",
        "On Wed, 5 Jun 2024 at 11:03, Oluwadamilare Ogunleye <dami.o@techhub.ng> wrote:\n> the portal keeps logging me out every few minutes",
        ("Oluwadamilare", "Ogunleye"),
    ),
    Planted(
        "name_header",
        "Cc: Sophie van den Berg; Thomas Janssens\nSubject: RE: licentie Visio",
        ("Sophie", "Berg", "Thomas", "Janssens"),
    ),
    Planted(
        "name_header",
        "De: Javier Morales Peña [mailto:jmorales@construmex.mx]\nEnviado el: martes, 4 de junio de 2024 8:15\nPara: Soporte",
        ("Javier", "Morales", "Peña"),
    ),
    Planted(
        "name_header",
        "Od: Agnieszka Kamińska\nWysłano: wtorek, 4 czerwca 2024 09:30\nDo: Helpdesk\nTemat: Brak dostępu",
        ("Agnieszka", "Kamińska"),
    ),
    Planted(
        "name_header",
        "Da: Lorenzo Esposito <l.esposito@portonapoli.it>\nInviato: martedì 4 giugno 2024 16:20\nA: Assistenza IT",
        ("Lorenzo", "Esposito"),
    ),
    Planted(
        "name_header",
        'Reply-To: "Adebayo, Tunde" <tunde.adebayo@lagosfreight.ng>\nX-Mailer: Microsoft Outlook 16.0',
        ("Adebayo", "Tunde"),
    ),
]

_NAME_REPORTED_BY = [
    Planted(
        "name_reported_by",
        "Reported by: Tomasz Wójcik\nCategory: Hardware\nPriority: P3\nDescription: docking station not charging",
        ("Tomasz", "Wójcik"),
    ),
    Planted(
        "name_reported_by",
        "Gemeldet von: Gülşen Aydın (Buchhaltung)\nKategorie: Software",
        ("Gülşen", "Aydın"),
    ),
    Planted(
        "name_reported_by",
        "Signalé par : Thi Lan Pham — écran noir au démarrage",
        ("Thi", "Lan", "Pham"),
    ),
    Planted(
        "name_reported_by",
        "Requester: Chiamaka Nwachukwu | Location: Abuja HQ | Asset: LT-7781",
        ("Chiamaka", "Nwachukwu"),
    ),
    Planted(
        "name_reported_by",
        "Ticket opened on behalf of Rajesh Kumar Venkataraman by the front desk.",
        ("Rajesh", "Kumar", "Venkataraman"),
    ),
    Planted(
        "name_reported_by",
        "Aangemeld door: Sanne Bakker-de Graaf (Inkoop)",
        ("Sanne", "Bakker", "Graaf"),
    ),
    Planted(
        "name_reported_by",
        "Caller: Magdalena Horváthová, callback requested after 2 pm",
        ("Magdalena", "Horváthová"),
    ),
]

_NAME_MENTION = [
    Planted(
        "name_mention", "@kwame.mensah can you check the VPN logs for this one?", ("kwame.mensah",)
    ),
    Planted(
        "name_mention",
        "cc @Siddharth @Anika — same issue as last week on the build agents",
        ("Siddharth", "Anika"),
    ),
    Planted(
        "name_mention",
        "Teams notification: @Nguyen Van Long mentioned you in 'Server room access'",
        ("Nguyen", "Van", "Long"),
    ),
    Planted(
        "name_mention",
        "<at>Fernanda Costa</at> please approve the change request CR-2231",
        ("Fernanda", "Costa"),
    ),
    Planted(
        "name_mention",
        "ping @olga_kuznetsova about the licence, she owns the budget",
        ("olga_kuznetsova",),
    ),
    Planted(
        "name_mention",
        "Slack: <@U04ABCD12|ifeoma.chukwu> reacted with :eyes: to the incident post",
        ("ifeoma.chukwu",),
    ),
]

_NAME_CHAT = [
    Planted(
        "name_chat",
        _t(r"""
            [09:14] Emeka Nwosu: hi, outlook keeps crashing
            [09:15] Service Desk: can you send a screenshot of the error?
            [09:17] Emeka Nwosu: sent
        """),
        ("Emeka", "Nwosu"),
    ),
    Planted(
        "name_chat",
        "04/06/2024, 08:12 - Yasmin Haddad: printer again 😩\n04/06/2024, 08:13 - IT Support: on my way",
        ("Yasmin", "Haddad"),
    ),
    Planted(
        "name_chat",
        _t(r"""
            Dimitrios Alexiou 10:02
            the share is read-only for me
            Dimitrios Alexiou 10:03
            other folders work fine
        """),
        ("Dimitrios", "Alexiou"),
    ),
    Planted(
        "name_chat",
        "<Mateus Ferreira> alguém mais sem internet no 3º andar?",
        ("Mateus", "Ferreira"),
    ),
    Planted(
        "name_chat",
        "Jorge Luis Castillo Ríos: bueno días, no me carga el ERP",
        ("Jorge", "Luis", "Castillo", "Ríos"),
    ),
    Planted(
        "name_chat",
        "[2024-06-04 11:20:03] <svetlana.ivanova> the VM is frozen again",
        ("svetlana.ivanova",),
    ),
]

# --- names the organization knows, and owner-chosen terms -------------------------------------

_KNOWN_NAME = [
    Planted(
        "known_name",
        "aisha's mailbox still shows the old signature, and BELLO is misspelt in the GAL too.",
        ("aisha", "BELLO"),
        known_names=("Aisha Bello",),
    ),
    Planted(
        "known_name",
        "Please give chidi the same rights as the rest of the finance team.",
        ("chidi",),
        known_names=("Chidi Okeke",),
    ),
    Planted(
        "known_name",
        "Mwangi approved the purchase, see the thread below.",
        ("Mwangi",),
        known_names=("Grace Mwangi",),
    ),
    Planted(
        "known_name",
        "Hope called twice about her VPN token; it was never delivered.",
        ("Hope",),
        known_names=("Hope Adebayo",),
    ),
    Planted(
        "known_name",
        "Could Mark get access to the board folder before Thursday?",
        ("Mark",),
        known_names=("Mark Lewis",),
    ),
    Planted(
        "known_name",
        "Minh nói máy in tầng 3 lại hỏng.",
        ("Minh",),
        known_names=("Nguyễn Văn Minh",),
    ),
    Planted(
        "known_name",
        "OLGA KUZNETSOVA — LICENCE RENEWAL FOR ADOBE",
        ("OLGA", "KUZNETSOVA"),
        known_names=("Olga Kuznetsova",),
    ),
    Planted(
        "known_name",
        "Van der Meer wil graag een tweede scherm op de werkplek.",
        ("Meer",),
        known_names=("Jan-Willem van der Meer",),
    ),
    Planted(
        "known_name",
        "Ramírez's laptop needs a new battery, it dies after 40 minutes.",
        ("Ramírez",),
        known_names=("Sofía Ramírez",),
    ),
    Planted(
        "known_name",
        "Dr. Sharma asked for the projector in room 2 to be fixed.",
        ("Sharma",),
        known_names=("Rahul Sharma",),
    ),
    Planted(
        "known_name",
        "Martin says the scanner works now. Thanks!",
        ("Martin",),
        known_names=("Lucas Martin",),
    ),
    Planted(
        "known_name",
        "chen wei (we write it family name first internally) cannot access Jira",
        ("chen", "wei"),
        known_names=("Wei Chen",),
    ),
    Planted(
        "known_name",
        "A Ana Lúcia pediu acesso à pasta de RH.",
        ("Ana", "Lúcia"),
        known_names=("Ana Lúcia Ferreira",),
    ),
    Planted(
        "known_name",
        "björn andersson's account expired overnight",
        ("björn", "andersson"),
        known_names=("Björn Andersson",),
    ),
    Planted(
        "known_name",
        "El escáner ya funciona, gracias.\n\nSaludos,\nPatricia",
        ("Patricia",),
        known_names=("Patricia Gómez",),
    ),
    Planted(
        "known_name",
        "Will asked whether the new laptops ship with Windows 11.",
        ("Will",),
        known_names=("Will Foster",),
    ),
]

_EXTRA_TERM = [
    Planted(
        "extra_term",
        "The Project Falcon share is not visible for the new contractors.",
        ("Falcon",),
        extra_terms=("Project Falcon",),
    ),
    Planted(
        "extra_term",
        "Die Migration Nordlicht startet am Freitag, bitte die VPN-Gruppe anlegen.",
        ("Nordlicht",),
        extra_terms=("Nordlicht",),
    ),
    Planted(
        "extra_term",
        "Blue Harbor acquisition data room — access request for two external lawyers",
        ("Harbor",),
        extra_terms=("Blue Harbor",),
    ),
    Planted(
        "extra_term",
        r"the folder \\fs01\legal\ACME-Merger is readable by everyone",
        ("ACME-Merger",),
        extra_terms=("ACME-Merger",),
    ),
    Planted(
        "extra_term",
        "our contract with Orion Health renews in July and the licence count is wrong",
        ("Orion",),
        extra_terms=("Orion Health",),
    ),
]

PLANTED: tuple[Planted, ...] = (
    *_EMAIL,
    *_EMAIL_OBFUSCATED,
    *_PHONE,
    *_IPV4,
    *_IPV6,
    *_MAC,
    *_IBAN,
    *_CARD,
    *_SSN,
    *_NATIONAL_ID,
    *_TAX_ID,
    *_PASSPORT,
    *_DOB,
    *_ADDRESS,
    *_PASSWORD,
    *_WIFI_KEY,
    *_API_KEY,
    *_JWT,
    *_BEARER_TOKEN,
    *_WEBHOOK_URL,
    *_SIGNED_URL,
    *_PRIVATE_KEY,
    *_CONNECTION_STRING,
    *_RECOVERY_KEY,
    *_NAME_GREETING,
    *_NAME_SIGNOFF,
    *_NAME_SIGNATURE,
    *_NAME_PROSE,
    *_NAME_HEADER,
    *_NAME_REPORTED_BY,
    *_NAME_MENTION,
    *_NAME_CHAT,
    *_KNOWN_NAME,
    *_EXTRA_TERM,
)

# --- clean text: nothing here may be masked ---------------------------------------------------

_CLEAN_PRODUCTS = [
    "Microsoft Teams Rooms on the boardroom console shows 'Sign-in failed' after the May update.",
    "Grant Access is greyed out in the SharePoint admin center for the Finance site.",
    "Max Connections is set to 200 in the pool settings; raise it to 500 and restart the service.",
    "Will Outlook sync the shared calendar if the mailbox is in cached mode?",
    "Mark as Read does not sync between Outlook for Mac and Outlook on the web.",
    "Jenkins build #1432 failed at stage 'Deploy' with exit code 137 (out of memory).",
    "Windows Hello for Business enrollment fails with 0x801c03ed on hybrid joined devices.",
    "Power Automate flow 'Approve Invoice' stops at the Start and wait for an approval step.",
    "Azure Virtual Desktop session hosts in West Europe are stuck in 'Upgrading' state.",
    "Citrix Workspace 2402 cannot launch published apps, Receiver logs show SSL error 61.",
    "Palo Alto GlobalProtect 6.2.3 drops the tunnel when the laptop wakes from sleep.",
    "Cisco AnyConnect says 'The VPN client agent was unable to create the interprocess communication depot.'",
    "Dell Command Update 5.2 wants to install BIOS 1.18.0 but BitLocker is not suspended.",
    "Lenovo Vantage keeps re-enabling the conservation mode after each reboot.",
    "Microsoft Defender for Endpoint flags the in-house tool as Trojan:Win32/Wacatac.B!ml.",
    "Jamf Pro smart group 'Missing FileVault' contains 14 Macs that are actually encrypted.",
    "Jira Service Management automation rule 'Auto-close after 5 days' also closes waiting tickets.",
    "Veeam Backup & Replication job 'Nightly-FS01' finished with warning: 2 of 31 VMs skipped.",
    "Adobe Acrobat Reader crashes when opening PDFs from the Teams files tab.",
    "Zoom Rooms controller on the iPad loses pairing every Monday morning.",
    "Keycloak realm 'internal' rejects the SAML assertion: Invalid signature on document.",
    "Nextcloud desktop client 3.13 shows a sync conflict for every Excel file.",
    "Sage 50 cannot reach the company file on the server since the Windows update.",
    "Rocket.Chat and Mattermost both show the same TLS error, so it is probably the proxy.",
    "The Austin and Charlotte offices lost Wi-Fi at 14:05 local time, Madison is unaffected.",
    "Remote Desktop Gateway in Victoria is slower than the one in Sydney by about 80 ms.",
    "Grafana alert 'Disk usage > 90%' fired for srv-log02 at 03:12 and resolved at 03:40.",
    "Sophos Central shows 12 endpoints with 'Tamper protection disabled'.",
    "Self-service Reset Password button does nothing in the portal, the console shows a CORS error.",
    "Password Never Expires is ticked for the service account svc-backup; the policy says it should not be.",
]

_CLEAN_HEADINGS = [
    "Steps To Reproduce",
    "Expected Behaviour",
    "Actual Behaviour",
    "Root Cause Analysis",
    "Windows Hello For Business Enrollment Fails On New Laptops",
    "Quarterly Patch Window — Servers In Frankfurt And Amsterdam",
    "Known Issues And Workarounds",
    "Change Request: Upgrade Core Switches To IOS XE 17.9.5",
    "Incident Summary",
    "Lessons Learned",
    "Kind regards,\nIT Service Desk",
    "Best regards,\nThe Network Team",
    "Hi team,\n\nthe nightly backup failed again, details below.",
    "Hallo zusammen,\n\nder Drucker im 3. OG ist wieder offline.",
    "Bonjour à tous,\n\nla maintenance du serveur de fichiers est prévue samedi.",
    "Dear Sir or Madam,\n\nplease find the error log attached.",
    "Sent from my iPhone",
    "Von meinem iPhone gesendet",
    "Envoyé de mon iPhone",
    "Enviado desde mi Galaxy",
    "Get Outlook for Android",
    "[cid:image001.png@01DAB5C3.7F2E1A40]",
    "This e-mail and any attachments are confidential and intended solely for the addressee.",
]

_CLEAN_PROSE = [
    "Please restart the print spooler and try again.",
    "Could you check the VPN profile on the new laptops?",
    "Thanks for the quick fix!",
    "Maybe the cache is stale after the migration.",
    "Hope this helps!",
    "Grace period for the expired licences ends on 30.06.2024.",
    "Mark the ticket as resolved once the user confirms.",
    "Max 5 attempts, then the account is locked for 30 minutes.",
    "Will the new Surface Laptop 7 support Autopilot out of the box?",
    "Grant Full Control to the group GG-Finance-RW on D:\\Shares\\Finance.",
    "Bill of materials for the new meeting room: 1 display, 2 cameras, 1 speakerbar.",
    "Frank feedback from the pilot group: the new VPN client is slower.",
    "Rich Text Editor in the ticket form strips tables when pasting from Excel.",
    "Page Setup in Word resets to Letter instead of A4 for all users.",
    "Minimum password length is 14 characters and the history keeps 24 passwords.",
    "Password spraying detected: 412 failed sign-ins from 37 countries in 2 hours.",
    "The password reset link expired before the user opened it.",
    "User reports that the token expired; a new one was issued through the normal enrolment flow.",
    "The SSID 'Contoso-Guest' uses a captive portal, so no key is needed.",
    "Change the Wi-Fi profile from WPA2-Personal to WPA3-Enterprise on all floors.",
    "We rotated all API keys after the incident; no key is stored in the repository anymore.",
    "Private keys are kept in the HSM; the certificate itself is attached as PEM.",
    "The connection string is read from Key Vault at startup, not from the config file.",
    "Nobody shared credentials in this ticket; the user just could not find the reset page.",
    "The outage started on Monday 3 June 2024 at 07:45 CEST and ended at 09:10.",
    "Maintenance window: Saturday 15.06.2024, 22:00–02:00.",
    "Last successful sync: 2024-06-02 23:59:58 UTC.",
    "The certificate expires on 2024-09-30, renewal is planned for mid-September.",
    "Meeting with the vendor moved to Thursday 10:30.",
    "URGENT!!! SHAREPOINT IS DOWN FOR THE WHOLE SALES TEAM",
    "VPN works again 🎉 thanks!!",
    "outlok keeps asking for credentails evry 5 min since the update",
    "cant open teams it just shows the purple screen and nothing happens",
    "Printer on 2nd floor jams every 20 pages 😡",
    "NO INTERNET IN BUILDING B SINCE 8AM",
    "same problem as yesterday, nothing changed",
    "ok",
    "Thank you, it works now. You can close the ticket.",
    "Which version of the agent should we roll out to the pilot ring?",
    "Is there a workaround until the vendor releases the fix?",
]

_CLEAN_GERMAN_AND_OTHERS = [
    "Der Drucker im Besprechungsraum zeigt den Fehler 0x8007000D beim Scannen an.",
    "Die Kostenstelle für die neue Lizenz ist 4711, Bestellnummer PO-2024-00873.",
    "Die Anmeldung am Terminalserver schlägt seit dem Update fehl; Fehlermeldung: 'Zugriff verweigert'.",
    "Bitte die Gruppenrichtlinie 'Kennwortrichtlinie' nicht ändern, bevor die Freigabe erteilt ist.",
    "Nach dem Neustart fehlen die Netzlaufwerke, die Anmeldeskripte laufen aber durch.",
    "Die Zeiterfassung zeigt bei allen Mitarbeitern im Lager falsche Stunden an.",
    "Der Lieferschein wird im Warenwirtschaftssystem nicht gedruckt, die Rechnung schon.",
    "Wartungsfenster für die Firewall: Samstag ab 18 Uhr, Dauer ca. 2 Stunden.",
    "Seit Dienstag bricht die Synchronisation mit Fehler 0x80072EE2 ab.",
    "Le partage réseau \\\\fs01\\compta n'est plus accessible depuis ce matin.",
    "L'imprimante du deuxième étage affiche « Bourrage papier » alors qu'il n'y a rien.",
    "La mise à jour de Windows bloque à 73 % depuis deux heures.",
    "La impresora de la planta 2 no imprime en color desde la actualización.",
    "El ERP tarda más de un minuto en abrir cualquier pedido.",
    "No funciona la videollamada en la sala Picasso, la cámara no aparece.",
    "De VPN-verbinding valt elke 20 minuten weg op de laptops van de afdeling Inkoop.",
    "Graag de licentie voor Visio Plan 2 verlengen, kostenplaats 3120.",
    "Het scherm in vergaderruimte 4.12 geeft geen beeld via HDMI.",
    "Il server di posta risponde con errore 550 5.7.1 quando inviamo a domini esterni.",
    "Buongiorno, il PC non si avvia dopo l'aggiornamento del BIOS alla versione 1.18.0.",
    "La stampante della sala riunioni stampa solo in bianco e nero.",
    "O backup noturno falhou com o código 0x80042306 no servidor de ficheiros.",
    "A impressora do 3º andar não aparece na lista de dispositivos.",
    "O Teams fecha sozinho quando partilho o ecrã.",
    "Drukarka w sali konferencyjnej nie drukuje dwustronnie od wtorku.",
    "Po aktualizacji systemu nie działa skaner w księgowości.",
    "Outlook nie synchronizuje kalendarza współdzielonego z działem sprzedaży.",
    "Skrivaren på plan 3 skriver bara ut tomma sidor.",
    "VPN-klienten kobler fra hver gang maskinen går i dvale.",
    "Máy chủ in không phản hồi sau khi cập nhật.",
]

_CLEAN_TECH = [
    "2024-06-03T09:14:22.118Z WARN [pool-3-thread-7] c.e.sync.Worker - retry 3/5 after 1500 ms (HTTP 503)",
    '2024-06-03 09:14:22,481 INFO  [main] o.a.c.h.Http11NioProtocol - Starting ProtocolHandler ["http-nio-8080"]',
    "Event ID 4625, Logon Type 3, Status 0xC000006D, Sub Status 0xC000006A",
    "Event 7031: The Print Spooler service terminated unexpectedly. It has done this 3 time(s).",
    "KB5034441 fails with 0x80070643 on Windows 10 22H2 build 19045.3930.",
    "Build 10.0.22631.3737 still shows the bug; 10.0.22631.3880 fixes it.",
    "Chrome 125.0.6422.142 and Edge 125.0.2535.67 both crash on the intranet page.",
    "Upgraded Zabbix from 6.4.12 to 7.0.0; agent 2 still reports 6.4.12.",
    "Allow 10.0.0.0/8 and 172.16.0.0/12 on TCP 443 and 8443 through the edge firewall.",
    "Route 192.168.0.0/16 via the site-to-site tunnel, metric 20.",
    "The DHCP scope 10.20.0.0/22 is 97% full.",
    "Subnet mask 255.255.255.0, lease time 8 days.",
    "Open ports: 22, 80, 443, 3389, 5985, 8080; range 49152-65535 is dynamic.",
    "Tenant ID 3f2b8c1e-9a7d-4e5f-b6a1-0c9d8e7f6a5b, app registration 'Expertdesk Sync'.",
    "Network adapter class {4D36E972-E325-11CE-BFC1-08002BE10318} has an upper filter left behind.",
    "SHA256 of the installer: 4b1f0c6e2a9d8e7f3c5b1a0d9e8f7c6b5a4d3e2f1c0b9a8d7e6f5c4b3a2d1e0f",
    "Commit 9c4e1f2 introduced the regression; reverting to a71b3d0 fixes the build.",
    "MD5 mismatch: expected 5d41402abc4b2a76b9719d911017c592, got 7d793037a0760186574b0282f2f435e7",
    "Order #A-58213-77 shipped on 12.03.2024, tracking 1Z 999 AA1 01 2345 6784.",
    "Asset INV-004512, serial 5CD2345XYZ, Dell Latitude 5440.",
    "Ticket #48213 was merged into #48190.",
    "Invoice INV-0049-2231-77 is still open, due 2024-06-30.",
    "Case 250611-000482 opened with the vendor, severity B.",
    "Order 2024-0612-3384 contains 12 docking stations and 12 power supplies.",
    "Error code 0x800CCC0E when sending through smtp.office365.com:587.",
    "RAID stripe size 65536 bytes, 6 disks, 2 hot spares.",
    "df -h: /dev/sda1  98G  91G  2.1G  98% /",
    "ID 5 Reallocated_Sector_Ct 0x0033 100 100 010 Pre-fail Always - 1024",
    "Timestamps in the export are Unix epoch seconds, e.g. 1717400000.",
    'Traceback (most recent call last):\n  File "/opt/app/sync.py", line 214, in run\n    result = client.fetch(batch, timeout=30)\nTimeoutError: timed out after 30.0 s',
    "java.lang.NullPointerException\n\tat com.contoso.erp.OrderService.save(OrderService.java:118)\n\tat com.contoso.erp.OrderController.post(OrderController.java:57)",
    "System.InvalidOperationException: Sequence contains no elements\n   at System.Linq.ThrowHelper.ThrowNoElementsException()\n   at Contoso.Billing.InvoiceJob.Run() in C:\\src\\Billing\\InvoiceJob.cs:line 88",
    "Get-ADUser -Filter * -SearchBase 'OU=Sales,DC=corp,DC=contoso,DC=com' | Measure-Object",
    "Get-WinEvent -LogName System -MaxEvents 50 | Where-Object { $_.Level -le 2 }",
    "docker run -d -p 8080:80 --name web nginx:1.27-alpine",
    "kubectl rollout restart deployment/api -n production",
    "kubectl get pods -n monitoring -o wide | grep -v Running",
    "ssh -i ~/.ssh/id_ed25519 -p 2222 deploy@build-runner-03",
    "sudo systemctl restart nginx && sudo journalctl -u nginx -n 100 --no-pager",
    "robocopy D:\\Data \\\\nas01\\archive /MIR /R:2 /W:5 /LOG:C:\\Temp\\robocopy.log",
    "gpupdate /force && gpresult /h C:\\Temp\\gp.html",
    "Test-NetConnection -ComputerName sql01.corp.local -Port 1433",
    "nslookup -type=mx contoso.com",
    "The file is at \\\\fs01\\it\\drivers\\HP\\UPD_7.1.0.25570\\install.exe.",
    "Logs are in /var/log/expertdesk/worker-2024-06-03.log and C:\\ProgramData\\Agent\\logs.",
    "Hostnames: srv-dc01.corp.contoso.local, srv-dc02.corp.contoso.local, srv-fs01.corp.contoso.local",
    '{"status": "error", "code": 4031, "message": "Token expired", "retry_after": 30}',
    "replicas: 3\nimage: registry.internal/api:2.14.1\nresources:\n  limits:\n    memory: 512Mi\n    cpu: 500m",
    '<add key="MaxPoolSize" value="200" />\n<add key="CommandTimeout" value="120" />',
    "APP_ENV=production\nLOG_LEVEL=info\nDB_HOST=db01.internal\nDB_PORT=5432\nDB_NAME=shop",
    "password: ${DB_PASSWORD}",
    "Password: ********",
    "api_key: <redacted>",
    "| Host     | Port | Status |\n|----------|------|--------|\n| srv-db02 | 5432 | DOWN   |\n| srv-db03 | 5432 | UP     |",
    "| Site      | Users | Tickets | SLA met |\n| Frankfurt | 412   | 88      | 97.7%   |\n| Lisbon    | 133   | 21      | 100%    |",
    "CPU 93%, RAM 14.2/16 GB, disk queue 4.7, uptime 41 days 03:12:55",
    "ping statistics: 100 packets transmitted, 87 received, 13% packet loss, time 99123ms",
    "rtt min/avg/max/mdev = 11.204/48.771/312.006/40.120 ms",
    "HTTP/1.1 429 Too Many Requests\nRetry-After: 120\nX-RateLimit-Limit: 1000",
    "Stripe event evt_1PNcD2Lk8vQ1aB7x delivered with status 500, retried 3 times.",
    "SMTP 421 4.7.0 Try again later, closing connection.",
    "TLS handshake failed: certificate has expired (notAfter=Jun  2 23:59:59 2024 GMT)",
    "Switch port Gi1/0/24 is err-disabled (bpduguard), VLAN 20, speed 1000, duplex full.",
    "BIOS 1.18.0, TPM 2.0 firmware 7.2.3.1, Secure Boot on.",
    "The laptop has 16 GB RAM, a 512 GB NVMe SSD and an Intel Core i7-1365U.",
    "Printer model HP LaserJet Pro MFP M428fdw, firmware 002_2306A.",
    "Exchange Online message trace: status 'Failed', detail '550 5.7.708 Service unavailable'.",
    "Cron: 0 2 * * * /opt/backup/run.sh >> /var/log/backup.log 2>&1",
    "Intune compliance policy 'Win11-Baseline' v14 assigned to 1,284 devices, 37 non-compliant.",
    "The Autopilot profile 'Standard Laptop' is assigned; OOBE fails with 0x80190001.",
    "Conditional Access policy 'Require MFA for admins' blocked 3 sign-ins this week.",
    "Charge ch_3PNcD2Lk8vQ1aB7x0ZyW4eRt failed with card_declined (insufficient_funds).",
    "Latency from Frankfurt to Singapore averaged 162 ms between 08:00 and 09:00.",
    "SELECT count(*) FROM orders WHERE created_at >= '2024-06-01' AND status = 'open';",
    "git log --oneline -5 shows nothing unusual since tag v3.8.2.",
]

_CLEAN_TICKETS = [
    _t(r"""
        Hi team,

        Since this morning the Microsoft Teams Rooms device in Boardroom 3 shows "Sign-in failed" and
        a red banner "Resource account disabled". Nothing was changed on our side. The device is a
        Logitech Tap with Rally Bar, firmware 1.12.143, Teams Rooms app 5.0.111.0.

        Steps tried:
        1. Restarted the device (twice).
        2. Checked the resource account in the admin center — it is enabled and licensed.
        3. Cleared the Teams cache via the Settings > Troubleshooting page.

        Could you have a look? The board meets there on Thursday at 10:00.

        Thanks,
        Facilities Team
    """),
    _t(r"""
        Hallo zusammen,

        seit dem Update auf Version 24.3 startet die Warenwirtschaft nicht mehr. Die Fehlermeldung lautet
        "Die Datenbank konnte nicht geöffnet werden (Code 17)". Betroffen sind alle Arbeitsplätze im Lager,
        in der Verwaltung läuft es. Die Dienste auf dem Server sind gestartet.

        Viele Grüße
        Ihr Team Lager & Versand
    """),
    _t(r"""
        # config/app.yml
        server:
          port: 8443
          max_connections: 500
          timeout_seconds: 30
        logging:
          level: INFO
          file: /var/log/app/app.log
        features:
          grant_access_button: true
          will_sync_calendar: false
    """),
    _t(r"""
        PS C:\> Get-Service -Name Spooler, BITS, wuauserv | Format-Table -AutoSize

        Status  Name     DisplayName
        ------  ----     -----------
        Stopped Spooler  Print Spooler
        Running BITS     Background Intelligent Transfer Service
        Running wuauserv Windows Update
    """),
    _t(r"""
        <?xml version="1.0" encoding="utf-8"?>
        <configuration>
          <appSettings>
            <add key="Environment" value="Production" />
            <add key="MaxRetries" value="5" />
            <add key="FeatureFlags" value="NewInvoiceLayout,FastExport" />
          </appSettings>
        </configuration>
    """),
    _t(r"""
        Bonjour,

        depuis la mise à jour de Windows 11 23H2 (KB5037771), l'imprimante du service Comptabilité
        n'apparaît plus. Le pilote « HP Universal Printing PCL 6 » est toujours installé. Nous avons
        redémarré le spouleur sans succès.

        Merci d'avance,
        Service Comptabilité
    """),
    _t(r"""
        Incident Summary
        ================
        Start: 2024-06-03 07:45 CEST
        End:   2024-06-03 09:10 CEST
        Impact: VPN unavailable for ~1,200 users in EMEA
        Root Cause: expired intermediate certificate on vpn-gw01 and vpn-gw02
        Fix: certificate chain replaced, services restarted at 09:05
        Follow-up: add certificate expiry monitoring in Zabbix (CHG-2024-118)
    """),
    _t(r"""
        Buenos días,

        la sala de reuniones Goya no tiene imagen en la pantalla desde el lunes. Hemos probado con
        dos portátiles y con otro cable HDMI. El mando a distancia tampoco responde.

        Un saludo,
        Recepción
    """),
    _t(r"""
        {
          "ticket": 48213,
          "category": "Network",
          "priority": "P2",
          "affected_hosts": ["sw-core01", "sw-core02", "fw-edge01"],
          "networks": ["10.10.0.0/16", "10.20.0.0/22"],
          "opened": "2024-06-03T08:02:11Z",
          "status": "In Progress"
        }
    """),
    _t(r"""
        Goedemiddag,

        bij het openen van Exact Online krijgen we de melding "Sessie verlopen", ook direct na het
        inloggen. Dit gebeurt in Edge en in Chrome. Cookies wissen helpt niet.

        Met vriendelijke groet,
        Afdeling Financiën
    """),
]

CLEAN: tuple[str, ...] = (
    *_CLEAN_PRODUCTS,
    *_CLEAN_HEADINGS,
    *_CLEAN_PROSE,
    *_CLEAN_GERMAN_AND_OTHERS,
    *_CLEAN_TECH,
    *_CLEAN_TICKETS,
)
