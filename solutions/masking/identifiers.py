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
from stdnum.be import nn as be_nn
from stdnum.br import cpf as br_cpf
from stdnum.cn import ric as cn_ric
from stdnum.es import dni as es_dni
from stdnum.es import nie as es_nie
from stdnum.fi import hetu as fi_hetu
from stdnum.in_ import aadhaar as in_aadhaar
from stdnum.it import codicefiscale as it_codicefiscale
from stdnum.mx import curp as mx_curp
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
    # Chinese resident ID: 18 characters with the birth date inside and a check digit.
    (re.compile(r"[1-9](?<![\w.-].)[0-9]{16}[0-9X](?![\w-])"), cn_ric),
    # Mexican CURP: GOMC850712MDFRRR00.
    (re.compile(r"[A-Z](?<![\w].)[A-Z]{3}[0-9]{6}[HM][A-Z]{5}[0-9A-Z][0-9](?!\w)"), mx_curp),
    # Finnish HETU: 040693-416U.
    (re.compile(r"[0-9](?<![\w.-].)[0-9]{5}[-+AYXWVUBCDEF][0-9]{3}[0-9A-Y](?![\w-])"), fi_hetu),
    # Belgian national number as written on cards: 90.04.12-778.04.
    (re.compile(r"[0-9](?<![\w.-].)[0-9]\.[0-9]{2}\.[0-9]{2}-[0-9]{3}\.[0-9]{2}(?![\w.-])"), be_nn),
    # Brazilian CPF as written: 123.456.789-09.
    (re.compile(r"[0-9](?<![\w.-].)[0-9]{2}\.[0-9]{3}\.[0-9]{3}-[0-9]{2}(?![\w.-])"), br_cpf),
    # Indian Aadhaar as written: 2345 6789 0123 (Verhoeff check digit).
    (
        re.compile(r"[2-9](?<![\w.-].)[0-9]{3}[ -][0-9]{4}[ -][0-9]{4}(?![\w.-]|[ -][0-9])"),
        in_aadhaar,
    ),
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
        r"f(?:ø|o)dselsnummer",
        r"f(?:ö|o)delsenummer",
        r"henkil(?:ö|o)tunnus",
        r"rijksregister(?:nummer)?",
        r"id[ \t]+(?:number|no\.?|nr\.?|#)",
        r"identity[ \t]+number",
        r"identification[ \t]+number",
        r"personal[ \t]+(?:id|number|identity[ \t]+number)",
        r"employee[ \t]+(?:id|number)",
        r"curp",
        r"rfc",
        r"nin",
        r"nip",
        r"regon",
        r"ein",
        r"pan",
        r"tfn",
        r"ird[ \t]+number",
        r"c(?:é|e)dula",
        r"rut",
        r"documento[ \t]+(?:de[ \t]+identidad|nacional)",
        r"n(?:ú|u)mero[ \t]+de[ \t]+identificaci(?:ó|o)n",
        r"num(?:é|e)ro[ \t]+fiscal",
        r"identiteitskaart",
        r"carta[ \t]+d['’]identit(?:à|a)",
        r"dowód(?:[ \t]+osobisty)?",
        r"numer[ \t]+(?:pesel|dowodu)",
    ]
)
# The number follows the word at once ("SSN: 536-90-4399", "SSN ....... 244 35 5330") or a
# few words later ("social security number again (394175567)", "Reisepassnummer für die
# Anmeldung: CF8K3M7L1"); a value further away must look more like an identifier.
_ID_VALUE = re.compile(
    r"(?P<word>" + _ID_WORDS + r")"
    r"(?P<sep>[^\n0-9\[\]]{0,40}?)"
    # The value has a digit early on, so that a word in between ("für", "again") is skipped
    # by the search rather than taken and refused.
    r"(?P<value>(?<![\w])(?=[A-Za-z./-]{0,12}[0-9])[A-Za-z0-9](?:[A-Za-z0-9]|[ ./-](?=[A-Za-z0-9]))"
    r"{4,24}+)"
)
_TIGHT_SEP = re.compile(
    r"[ \t.:=#(\-]*(?:(?i:nr|no|num|number|nummer|is|was|ist|lautet|est|es)\.?[ \t.:=#(]*)?"
)
_ID_WORD_BEFORE = re.compile(_ID_WORDS)


def _id_word_before(match: re.Match[str], reach: int) -> bool:
    before = match.string[max(0, match.start() - reach) : match.start()]
    return _ID_WORD_BEFORE.search(before) is not None


# Short words that are also ordinary words ("sin", "tin", "nie" in German): only in capitals
# or with a separator ("SIN 046 454 286", "nie: X1234567L").
_SHORT_ID_WORDS = frozenset(
    "sin tin nie nif nir dni cpf bsn cpr pan card curp rfc nin nip ein tfn rut".split()
)


def _id_value_replace(match: re.Match[str]) -> str | None:
    word = match["word"]
    sep = match["sep"]
    tight = _TIGHT_SEP.fullmatch(sep) is not None
    if word.casefold() in _SHORT_ID_WORDS and not word.isupper() and not (tight and sep.strip()):
        return None
    if not tight and (len(sep) > 40 or re.search(r"[.!?;][ \t]", sep)):
        return None  # another sentence
    value = match["value"]
    # The value may run into the next word ("L898902C3 expires"); cut it at the last piece
    # that has a digit.
    pieces = re.split(r"([ ./-])", value)
    keep = len(pieces)
    while keep > 0 and not any(ch.isdigit() for ch in pieces[keep - 1]):
        keep -= 2 if keep > 1 else 1
    core = "".join(pieces[:keep])
    digits = sum(ch.isdigit() for ch in core)
    if digits < 3 or len(core) < 5:
        return None
    if not tight:
        compact = re.sub(r"[ ./-]", "", core)
        # Words away from the word: a long number, or capitals mixed with digits.
        if not (digits >= 6 or (compact.isupper() and digits >= 3 and len(compact) >= 7)):
            return None
    start = match.start("value") - match.start()
    whole = match.group()
    return whole[:start] + TOKEN["id"] + whole[start + len(core) :]


# Chinese, Japanese and Korean labels need no word boundary (the characters around them are
# letters too): 身份证号 110105198112196634, 护照号码 E82736451.
_CJK_ID = re.compile(
    r"(?P<word>身份证号码|身份证号|身份证|护照号码|护照号|护照|社会保障号|旅券番号|パスポート番号"
    r"|マイナンバー|個人番号|주민등록번호|여권번호)[^\n0-9A-Za-z]{0,10}"
    r"(?P<value>[A-Z0-9][A-Z0-9-]{4,24}[A-Z0-9])"
)


def _cjk_id(match: re.Match[str]) -> str | None:
    if sum(ch.isdigit() for ch in match["value"]) < 3:
        return None
    start = match.start("value") - match.start()
    return match.group()[:start] + TOKEN["id"]


_MONTHS = (
    r"jan(?:uary|uar|vier|eiro)?|feb(?:ruary|ruar)?|f(?:é|e)vr(?:ier)?|fev(?:ereiro)?|mar(?:ch)?"
    r"|m(?:ä|a)rz|mars|mar(?:zo|ço)|apr(?:il)?|abr(?:il)?|avr(?:il)?|may|mai|mayo|maio|maggio"
    r"|jun(?:e|i|io|ho)?|juin|giugno|jul(?:y|i|io|ho)?|juil(?:let)?|luglio|aug(?:ust)?|ago(?:sto)?"
    r"|ao(?:û|u)t|sep(?:t|tember|tiembre|tembro)?|set(?:embro|tembre)?|oct(?:ober|obre|ubre)?"
    r"|okt(?:ober)?|out(?:ubro)?|ott(?:obre)?|nov(?:ember|embre|embro)?|dec(?:ember)?"
    r"|d(?:é|e)c(?:embre)?|dez(?:ember|embro)?|dic(?:iembre|embre)?"
)
_DATE = (
    r"(?:[0-9]{1,2}[./-][0-9]{1,2}[./-](?:19|20)?[0-9]{2}|(?:19|20)[0-9]{2}-[0-9]{2}-[0-9]{2}"
    rf"|[0-9]{{1,2}}(?:st|nd|rd|th|\.|º)?[ \t]+(?:de[ \t]+)?(?i:{_MONTHS})\.?,?[ \t]+(?:de[ \t]+)?"
    rf"(?:19|20)[0-9]{{2}}|(?i:{_MONTHS})\.?[ \t]+[0-9]{{1,2}}(?:st|nd|rd|th)?,?[ \t]+"
    r"(?:19|20)[0-9]{2})"
)
# A date of birth, after the words that announce one, or before "geboren" / "born" ("Ich bin
# am 03.11.1979 geboren").
_DOB_WORDS = keywords(
    [
        r"date[ \t]+of[ \t]+birth",
        r"d\.?o\.?b\.?",
        r"birth[ \t-]?date",
        r"birthday",
        "born",
        r"geburtsdatum",
        r"geburtstag",
        "geboren",
        r"date[ \t]+de[ \t]+naissance",
        r"n(?:é|e)e?[ \t]+le",
        r"fecha[ \t]+de[ \t]+nacimiento",
        r"nacid[oa][ \t]+el",
        "geboortedatum",
        r"data[ \t]+di[ \t]+nascita",
        r"nat[oa][ \t]+il",
        r"data[ \t]+de[ \t]+nascimento",
        r"data[ \t]+urodzenia",
        r"urodzon[ya]",
        r"f(?:ö|o)delsedatum",
        r"f(?:ø|o)dselsdato",
    ]
)
_DOB = re.compile(
    rf"(?P<word>{_DOB_WORDS})(?P<sep>[^\n0-9\[\]]{{0,30}}?)(?P<value>(?<![\w.]){_DATE})(?![\w.])"
)
_DOB_AFTER = re.compile(
    rf"(?P<value>[0-9](?<![\w.].)(?:{_DATE[3:]})(?P<gap>[ \t]+(?:[^\W\d_]+[ \t]+)?)"
    r"(?=(?i:geboren|born|n(?:é|e)e?|nacid[oa]|nat[oa])(?![^\W_]))"
)


def _dob(match: re.Match[str]) -> str | None:
    if re.search(r"[.!?;][ \t]", match["sep"]):
        return None
    start, end = match.span("value")
    whole = match.group()
    return whole[: start - match.start()] + TOKEN["id"] + whole[end - match.start() :]


def _dob_after(match: re.Match[str]) -> str:
    return TOKEN["id"] + match["gap"]


# A card's security code.
_CVV = re.compile(
    r"(?P<head>[CcSsPp](?<![\w-].)(?i:vv2?|vc2?|sc|ecurity[ \t]+code|r(?:ü|ue)fnummer"
    r"|r(?:ü|ue)fziffer))[ \t]*[:=#]?[ \t]*(?P<value>[0-9]{3,4})(?![\w-])"
)


def _cvv(match: re.Match[str]) -> str:
    return (
        match["head"]
        + match.group()[len(match["head"]) : match.start("value") - match.start()]
        + TOKEN["card"]
    )


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
        " reach text dial ext extension landline direct contact m t p f teléfono telefono"
        " téléphone telefone telefon móvil movil celular portable mobil cellulare numer numero"
        " número numéro tél telf tfno rufnummer festnetz anrufen llamar appeler ligar"
        " telefonnummer".split()
    )
    + r"(?:[ \t]*(?i:no|nr|number|num|\#))?\.?(?:[ \t]+(?i:me|us|him|her|them))?"
    r"(?:[ \t]+(?i:is|es|est|ist|é|è|era|was|lautet|number))?"
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


# Numbers after these words are references, not phone numbers, unless "phone" is said too.
_REFERENCE_CONTEXT = re.compile(
    r"(?<![^\W_])(?i:tracking|sendungs(?:nummer)?|shipment|order|invoice|rechnung|serial|s/n"
    r"|asset|ticket|case|incident|ref(?:erence)?|po|sku|part|model|imei|iccid|build|version|kb)"
    r"(?![^\W_])"
    r"(?:[ \t]*(?i:no|nr|number|num|\#))?\.?[ \t]*[:#=-]?[ \t]*(?:[^\s]+[ \t]+){0,3}\Z"
)


def _after_reference_word(match: re.Match[str]) -> bool:
    before = match.string[max(0, match.start() - 40) : match.start()]
    return _REFERENCE_CONTEXT.search(before) is not None


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
            if not context and _after_reference_word(match):
                return None  # "tracking 1Z 999 AA1 01 2345 6784" is a parcel, not a phone
            if tail:
                return number[:start] + TOKEN["phone"] + number[end:] + (match["ext"] or "")
            return number[:start] + TOKEN["phone"]
    return None


RULES: tuple[Rule, ...] = (
    regex_rule(_IBAN, _iban_replace),
    # Cards first: a card number's first twelve digits can pass another number's check.
    regex_rule(_CARD, _card_replace),
    regex_rule(_DOB, _dob),
    regex_rule(_DOB_AFTER, _dob_after),
    regex_rule(_CJK_ID, _cjk_id),
    regex_rule(_ID_VALUE, _id_value_replace),
    regex_rule(_SSN, _ssn_replace),
    *(_national_id_rule(pattern, module) for pattern, module in _NATIONAL_IDS),
    regex_rule(_CVV, _cvv),
    regex_rule(_PHONE, _phone_replace),
)
