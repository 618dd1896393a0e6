"""Numbers that identify a person or their money: IBANs and payment cards (checked by their
checksums), national identity, tax and passport numbers, and phone numbers.

Checksums come from python-stdnum (IBAN mod-97, Luhn, US SSN ranges, and the national ID
formats in `_NATIONAL_IDS`): a number that fails its check is a serial, an order or a
reference, and stays readable for the expert."""

from __future__ import annotations

import re
from types import ModuleType

from stdnum import iban as stdnum_iban
from stdnum import luhn
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.us import ssn as us_ssn

from .base import TOKEN, Rule, keywords, regex_rule

# --- IBANs ------------------------------------------------------------------------------------

# Two letters, two check digits, then 11 to 30 letters and digits, in groups or not, any case.
# The run may swallow a following word ("… 0130 00 and"); the longest prefix that passes
# mod-97 and the country's length is the IBAN.
_IBAN = re.compile(r"[A-Za-z](?<![\w].)[A-Za-z][0-9]{2}(?:[ \t-]?[A-Za-z0-9]){11,34}+")


def _iban_replace(match: re.Match[str]) -> str | None:
    whole = match.group()
    for end in range(len(whole), 14, -1):
        if end < len(whole) and whole[end].isalnum() and whole[end - 1].isalnum():
            continue  # a cut inside a group
        candidate = whole[:end].rstrip(" \t-")
        if len(candidate) != end:
            continue
        if stdnum_iban.is_valid(candidate):
            return TOKEN["iban"] + whole[end:]
    return None


# --- Payment cards ----------------------------------------------------------------------------

_CARD = re.compile(
    r"[0-9](?<![\w.-].)(?:[0-9]{3}(?P<sep>[ .-]?)[0-9]{4}(?P=sep)[0-9]{4}(?P=sep)[0-9]{4}"
    r"(?:(?P=sep)[0-9]{3})?|[0-9]{3}[ .-]?[0-9]{6}[ .-]?[0-9]{4,5}|[0-9]{12,18})"
    r"(?!\w|[.-][0-9])"
)


def _card_replace(match: re.Match[str]) -> str | None:
    digits = re.sub(r"[^0-9]", "", match.group())
    # Card networks start with 2 to 6; this also drops 0000… and 1111… filler.
    if digits[0] not in "23456" or not luhn.is_valid(digits):
        return None
    return TOKEN["card"]


# --- National identity, tax and passport numbers ----------------------------------------------

# US social security numbers written the usual way; the ranges (no 000, 666 or 9xx area, no
# 00 group, no 0000 serial) come from stdnum.
_SSN = re.compile(r"[0-9](?<![\w.-].)[0-9]{2}(?P<sep>[- ])[0-9]{2}(?P=sep)[0-9]{4}(?![\w-])")


def _ssn_replace(match: re.Match[str]) -> str | None:
    if match["sep"] == " " and not _id_word_before(match, 40):
        return None  # "123 45 6789" is three numbers unless the text says SSN
    return TOKEN["id"] if us_ssn.is_valid(match.group()) else None


# Formats distinctive enough, with a check character, to mask without a word before them.
_NATIONAL_IDS: tuple[tuple[re.Pattern[str], ModuleType], ...] = (
    # Italian codice fiscale: RSSMRA85T10A562S.
    (
        re.compile(
            r"[A-Z](?<![\w].)[A-Z]{5}[0-9LMNPQRSTUV]{2}[A-EHLMPRST][0-9LMNPQRSTUV]{2}"
            r"[A-Z][0-9LMNPQRSTUV]{3}[A-Z](?!\w)"
        ),
        it_codicefiscale,
    ),
    # Spanish DNI and NIE: 12345678Z, X1234567L.
    (re.compile(r"[0-9](?<![\w.-].)[0-9]{7}-?[A-Z](?!\w)"), es_dni),
    (re.compile(r"[XYZ](?<![\w].)-?[0-9]{7}-?[A-Z](?!\w)"), es_nie),
)


def _national_id_rule(pattern: re.Pattern[str], module: ModuleType) -> Rule:
    def replace(match: re.Match[str]) -> str | None:
        return TOKEN["id"] if module.is_valid(match.group()) else None

    return regex_rule(pattern, replace)


# Words that announce an identity document or number; what follows them (a number with at
# least three digits) is masked whatever its format: passports have no checksum.
_ID_WORDS = keywords(
    [
        r"ssn",
        r"social[ \t]+security(?:[ \t]+(?:number|no\.?|nr\.?|#))?",
        r"sozialversicherungs(?:nummer|nr\.?)",
        r"sv[ -]?(?:nummer|nr\.?)",
        r"versicherungsnummer",
        r"steuer[ -]?(?:id|identifikationsnummer|nummer|nr\.?)",
        r"steuerliche[ \t]+(?:id|identifikationsnummer)",
        r"identifikationsnummer",
        r"id[ -]?nr\.?",
        r"tax[ \t]+(?:id|identification[ \t]+number|number|no\.?)",
        r"tin",
        r"itin",
        r"national[ \t]+(?:id|identity[ \t]+number|insurance(?:[ \t]+number)?)",
        r"ni[ \t]+(?:number|no\.?)",
        r"nino",
        r"passport(?:[ \t]+(?:number|no\.?|nr\.?|#|id))?",
        r"reisepass(?:nummer|[ \t]+(?:nr\.?|nummer))?",
        r"passnummer",
        r"passeport",
        r"pasaporte",
        r"passaporto",
        r"paspoort(?:nummer)?",
        r"id[ \t-]+card(?:[ \t]+(?:number|no\.?))?",
        r"identity[ \t]+card(?:[ \t]+(?:number|no\.?))?",
        r"personalausweis(?:nummer)?",
        r"ausweis(?:nummer|nr\.?)?",
        r"carte[ \t]+d['’]identit[ée]",
        r"num[ée]ro[ \t]+de[ \t]+s[ée]curit[ée][ \t]+sociale",
        r"dni",
        r"nie",
        r"nif",
        r"nir",
        r"bsn",
        r"burgerservicenummer",
        r"codice[ \t]+fiscale",
        r"pesel",
        r"personnummer",
        r"cpr(?:[ -]?nummer)?",
        r"hetu",
        r"aadhaar",
        r"aadhar",
        r"pan[ \t]+card",
        r"cpf",
        r"sin",
        r"ahv(?:[ -]?(?:nummer|nr\.?))?",
        r"driver['’]?s[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?))?",
        r"driving[ \t]+licen[cs]e(?:[ \t]+(?:number|no\.?))?",
        r"f(?:ü|ue)hrerschein(?:nummer)?",
        r"date[ \t]+of[ \t]+birth",
        r"dob",
        r"geburtsdatum",
        r"birth[ \t]*date",
    ]
)
_ID_VALUE = re.compile(
    r"(?P<word>" + _ID_WORDS + r")"
    r"(?P<sep>(?:[ \t-]?(?i:nr|no|num|number|nummer)\.?)?[ \t]*(?:\((?i:[a-z ]{1,20})\))?"
    r"[ \t]*(?:[:=#]|(?i:is|was|ist|lautet|est|es|no\.?|nr\.?|number|nummer)(?![^\W_]))?"
    r"[ \t]*(?:[:=#][ \t]*)?)"
    r"(?P<value>[A-Za-z0-9](?:[A-Za-z0-9]|[ ./-](?=[A-Za-z0-9])){4,24}+)"
)
_ID_WORD_BEFORE = re.compile(_ID_WORDS)


def _id_word_before(match: re.Match[str], reach: int) -> bool:
    before = match.string[max(0, match.start() - reach) : match.start()]
    return _ID_WORD_BEFORE.search(before) is not None


# Short words that are also ordinary words ("sin", "tin", "nie" in German): only in capitals
# or with a separator ("SIN 046 454 286", "nie: X1234567L").
_SHORT_ID_WORDS = frozenset("sin tin nie nif nir dni cpf bsn cpr dob pan card".split())


def _id_value_replace(match: re.Match[str]) -> str | None:
    word = match["word"]
    if word.casefold() in _SHORT_ID_WORDS and not word.isupper() and not match["sep"].strip():
        return None
    value = match["value"]
    # The value may run into the next word ("L898902C3 expires"); cut it at the last piece
    # that has a digit.
    pieces = re.split(r"([ ./-])", value)
    keep = len(pieces)
    while keep > 0 and not any(ch.isdigit() for ch in pieces[keep - 1]):
        keep -= 2 if keep > 1 else 1
    core = "".join(pieces[:keep])
    if sum(ch.isdigit() for ch in core) < 3 or len(core) < 5:
        return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + TOKEN["id"] + whole[start + len(core) :]


# --- Phone numbers ----------------------------------------------------------------------------

# The first character is the shape: "+49 …", "(030) …" or a digit. Units are digit runs or a
# parenthesised area code, joined by at most one separator; `_phone_replace` decides.
_PHONE = re.compile(
    r"(?P<number>[+(0-9](?<![\w+@=#/\\-].)(?<![0-9][.:].)"
    r"(?:(?<=\+)[ \t]?(?:\(\+?[0-9]{1,5}\)|[0-9]++)|(?<=\()\+?[0-9]{1,5}\)|(?<=[0-9])[0-9]*+)"
    r"(?:(?:[ \t]?[./-][ \t]?|[ \t])?(?:\([0-9]{1,5}\)|[0-9]++)){0,7}+)"
    r"(?P<ext>[ \t]*,?[ \t]*(?i:ext\.?|extension|x|\#)[ \t]*[0-9]{1,6})?"
    r"(?!\w|[.:/][0-9])"
)
_PHONE_UNIT = re.compile(r"\(\+?[0-9]{1,5}\)|\+?[0-9]+")
_PHONE_CONTEXT = re.compile(
    keywords(
        "phone tel telephone mobile mob cell cellphone handy fax whatsapp sms hotline call ring"
        " reach text dial ext extension landline direct contact m t p f".split()
    )
    + r"(?:[ \t]*(?i:no|nr|number|num|\#))?\.?(?:[ \t]+(?i:me|us|him|her|them))?"
    r"(?:[ \t]+(?i:at|on|via|under|using))?[ \t]*[:.#=-]?[ \t]*\Z"
)
_DATE_LIKE = re.compile(
    r"[0-9](?<![0-9].)(?:[0-9]{3}[-./][0-9]{1,2}[-./][0-9]{1,2}"
    r"|[0-9]?[-./][0-9]{1,2}[-./](?:[0-9]{4}|[0-9]{2}))(?![0-9])"
)
_NANP = re.compile(
    r"(?:1[ .-]?)?(?:\([0-9]{3}\)[ \t]?|[0-9]{3}[ .-])[0-9]{3}[ .-][0-9]{4}|[0-9]{3}[.-][0-9]{4}"
)
_INTERNATIONAL = ("+", "(+", "00")


def _after_phone_word(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 40) : match.start()]
    return _PHONE_CONTEXT.search(before) is not None


def _is_phone(number: str, unit_digits: list[int], context: bool) -> bool:
    if _DATE_LIKE.search(number):
        return False
    if number.startswith(_INTERNATIONAL):
        return True
    # A trunk prefix (0171 2345678, (030) 123456) or the North American 3-3-4 shape; amounts
    # with thousands separators (1 234 567) have neither.
    if len(unit_digits) > 1 and (
        number.startswith(("(", "0")) or (unit_digits[-1] == 4 and _NANP.fullmatch(number))
    ):
        return True
    # Otherwise a bare run of digits is an order number, a serial or an amount more often than
    # a phone number, unless the text says "phone".
    return context


def _phone_replace(match: re.Match[str]) -> str | None:
    number = match["number"]
    units = list(_PHONE_UNIT.finditer(number))
    digits = [len(unit.group().strip("+()")) for unit in units]
    if sum(digits) < 7:
        return None
    context = _after_phone_word(match)
    shaped = number.startswith(_INTERNATIONAL) or 4 in digits
    if not (context or shaped or any(unit.group()[0] in "(0" for unit in units[:3])):
        return None
    # Numbers separated by spaces can hold a phone number among other numbers ("room 12 0171
    # 2345678"), so narrower windows are tried too, cut at spaces only, widest first; a window
    # shaped like a phone number wins over one that only follows "phone:".
    windows = ((0, 0), (1, 0), (0, 1), (2, 0), (1, 1), (0, 2))
    tries = [(head, tail, False) for head, tail in windows] + ([(0, 0, True)] if context else [])
    for head, tail, by_context in tries:
        last = len(units) - 1 - tail
        if last < head:
            continue
        window_digits = digits[head : last + 1]
        international = head == 0 and number.startswith(_INTERNATIONAL)
        if not (8 if international else 7) <= sum(window_digits) <= 15:
            continue
        if window_digits.count(1) > 2:
            continue  # "1 2 3 4 5 6 7" is a list, not a number
        first_unit, last_unit = units[head], units[last]
        if head and not number[units[head - 1].end() : first_unit.start()].isspace():
            continue
        if tail and not number[last_unit.end() : units[last + 1].start()].isspace():
            continue
        start, end = (first_unit.start() if head else 0), last_unit.end()
        if _is_phone(number[start:end], window_digits, by_context):
            if tail:
                return number[:start] + TOKEN["phone"] + number[end:] + (match["ext"] or "")
            return number[:start] + TOKEN["phone"]
    return None


RULES: tuple[Rule, ...] = (
    regex_rule(_IBAN, _iban_replace),
    regex_rule(_ID_VALUE, _id_value_replace),
    regex_rule(_SSN, _ssn_replace),
    *(_national_id_rule(pattern, module) for pattern, module in _NATIONAL_IDS),
    regex_rule(_CARD, _card_replace),
    regex_rule(_PHONE, _phone_replace),
)
