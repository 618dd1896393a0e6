"""Postal addresses: a street with its number (English, German, Dutch, French and Spanish
forms), the postcode and town that follow it, US "City, ST 12345" lines, UK postcodes and
post-office boxes. An address says where a person lives or works; the expert never needs it.

Written here rather than with a library: pyap (the address finder on PyPI) covers only US,
Canadian and British addresses and took seconds on a megabyte of log lines; usaddress parses
a string it is told is an address and finds none in prose. Each pattern starts with a digit or
a capital letter and reads at most a few words before it must see a street word, so it stays
linear on any input (see the package docstring)."""

from __future__ import annotations

import re

from .base import TOKEN, Rule, regex_rule

_WORD = r"(?:[A-Z][\w'’.-]*+|[0-9]{1,3}(?:st|nd|rd|th))"  # a capitalised word or an ordinal
# Street words that name nothing else in an IT ticket, and those that do ("2 Hard Drive",
# "Access Point", "Grid View"): the second kind counts only with a town, a postcode, a flat
# number or a word such as "address" or "ship to" around it.
_EN_STREET_TYPES = (
    r"Street|St|Avenue|Ave|Road|Rd|Boulevard|Blvd|Lane|Ln|Terrace|Parkway|Pkwy|Highway|Hwy"
    r"|Crescent|Cres|Grove|Gardens|Gdns|Mews|Plaza|Alley|Embankment|Expressway|Freeway|Turnpike"
)
_EN_AMBIGUOUS_TYPES = (
    r"Drive|Dr|Court|Ct|Way|Place|Pl|Circle|Cir|Square|Sq|Close|Hill|Walk|Trail|Trl|Park|Green"
    r"|Rise|Wharf|Quay|Pike|Ridge|Heights|Hts|Row|View|Point"
)
_ADDRESS_WORDS = re.compile(
    r"(?i:address|adresse|direcci[oó]n|live[sd]?[ \t]+at|located[ \t]+at|ship(?:ped)?[ \t]+to"
    r"|deliver(?:ed|y)?[ \t]+to|send[ \t]+(?:it[ \t]+)?to|mail[ \t]+(?:it[ \t]+)?to"
    r"|office[ \t]+(?:is[ \t]+)?(?:at|in)|moved[ \t]+to|home[ \t]+(?:is[ \t]+)?at"
    r"|courier[ \t]+to|post(?:ed)?[ \t]+to|residence|wohne?[ \t]+in|anschrift|adres"
    r"|lieferung[ \t]+an|versand[ \t]+an|domicile|domicilio|envoyer[ \t]+à)"
)
_UNIT = (
    r"(?:,?[ \t]*(?i:apt|apartment|suite|ste|unit|floor|fl|room|rm|flat|#)\.?[ \t]*#?[\w-]{1,6})?"
)
_US_STATES = (
    "AL|AK|AZ|AR|CA|CO|CT|DE|DC|FL|GA|HI|ID|IL|IN|IA|KS|KY|LA|ME|MD|MA|MI|MN|MS|MO|MT|NE|NV|NH"
    "|NJ|NM|NY|NC|ND|OH|OK|OR|PA|RI|SC|SD|TN|TX|UT|VT|VA|WA|WV|WI|WY|PR|GU|VI"
)
_UK_POSTCODE = r"[A-Z]{1,2}[0-9][A-Z0-9]?[ \t]+[0-9][ABD-HJLNP-UW-Z]{2}"
_TOWN = r"[A-Z][\w'’.-]*+(?:[ \t-]+[A-Z][\w'’.-]*+){0,3}"
# What may follow a street on the same line or the next: town, state and ZIP, or a postcode.
_EN_TAIL = (
    rf"(?:,?[ \t]*(?:\r?\n[ \t]*)?(?:{_TOWN},?[ \t]+)?(?:(?:{_US_STATES})[ \t]+[0-9]{{5}}"
    rf"(?:-[0-9]{{4}})?|{_UK_POSTCODE})(?![\w-]))?"
)
_EN_STREET = re.compile(
    r"[0-9](?<![\w.,:/#-].)[0-9]{0,5}[A-Za-z]?(?:[-/][0-9]{1,4}[A-Za-z]?)?,?[ \t]+"
    rf"(?:(?:[NSEW]|North|South|East|West)\.?[ \t]+)?(?:{_WORD}[ \t]+){{1,4}}"
    rf"(?:(?P<plain>{_EN_STREET_TYPES})|(?P<ambiguous>{_EN_AMBIGUOUS_TYPES}))\.?(?![\w-])"
    rf"(?P<unit>{_UNIT})(?P<tail>{_EN_TAIL})"
)
_BROADWAY = re.compile(r"[0-9](?<![\w.,:/#-].)[0-9]{0,5}[ \t]+Broadway(?![\w-])" + _UNIT + _EN_TAIL)

_DE_TYPES = r"stra(?:ß|ss)e|str\.|weg|gasse|platz|allee|ring|damm|ufer|chaussee|markt"
# "Weg", "Platz", "Ring" and "Markt" are also ordinary nouns ("Der Weg 2 …", "Token Ring
# 16"): written apart they need a postcode, or "Adresse" on the line, to count.
_DE_SEPARATE = r"Stra(?:ß|ss)e|Str\.|Gasse|Allee|Damm|Ufer|Chaussee|(?P<noun>Weg|Platz|Ring|Markt)"
# House numbers: "12", "12a", "12-14", "221-II" (the floor, in Dutch addresses), "3 bis".
_HOUSE_NUMBER = r"[0-9]{1,4}[ \t]?[a-zA-Z]?(?:[-/](?:[0-9]{1,4}[a-z]?|[IVX]{1,4}|[A-Za-z]{1,3}))?"
_DE_NUMBER = rf"[ \t]+{_HOUSE_NUMBER}(?![\w-])"
# Postcode and town after the street: "10115 Berlin", "A-1010 Wien", "CH-8001 Zürich".
_DE_TAIL = (
    r"(?:,?[ \t]*(?:\r?\n[ \t]*)?(?:(?:D|A|CH)-)?[0-9]{4,5}[ \t]+[A-ZÄÖÜ][\wäöüß.-]*+"
    r"(?:[ \t](?:am|an[ \t]der|im|bei|ob[ \t]der)[ \t][A-ZÄÖÜ][\wäöüß-]*+)?)?"
)
_DE_STREET = re.compile(
    rf"[A-ZÄÖÜ](?<![\w-].)(?:[a-zäöüß]{{2,}}(?:-[A-ZÄÖÜ]?[a-zäöüß]+)*(?:{_DE_TYPES})"
    rf"|[\wäöüß.-]*+[ \t-](?:[A-ZÄÖÜ][\wäöüß.-]*+[ \t-]){{0,2}}(?:{_DE_SEPARATE}))"
    rf"(?:[ \t]+(?:des|der|am)[ \t]+[0-9A-ZÄÖÜ][\wäöüß.]*+)?"
    + _DE_NUMBER
    + rf"(?P<tail>{_DE_TAIL})"
)
# "Am Markt 5, 12345 Stadt", "An der Alster 12", "Unter den Linden 77": only with the postcode
# and town, since "Am Montag 12 Uhr" and "In Windows 11" have the same shape.
_DE_PREPOSITION_STREET = re.compile(
    r"[AU](?<![\w-].)(?:(?<=A)(?:m|n(?:[ \t]+de[rmn])?)|(?<=U)nter[ \t]+de[nm])[ \t]+"
    r"[A-ZÄÖÜ][\wäöüß-]*+"
    + _DE_NUMBER
    + r",?[ \t]*(?:\r?\n[ \t]*)?(?:(?:D|A|CH)-)?[0-9]{4,5}[ \t]+[A-ZÄÖÜ][\wäöüß.-]*+"
)
_NL_STREET = re.compile(
    r"[A-Z](?<![\w-].)[a-z]{2,}(?:straat|laan|weg|plein|gracht|kade|dijk|singel|steeg|markt)"
    rf"[ \t]+{_HOUSE_NUMBER}(?![\w-])"
    r"(?:,?[ \t]*(?:\r?\n[ \t]*)?[0-9]{4}[ \t]?[A-Z]{2}[ \t]+[A-Z][\w'-]*+)?"
)

_FR_PARTICLE = r"(?:de|du|des|la|le|les|l['’]|d['’]|aux|au|sur|en)"
_FR_STREET = re.compile(
    r"[0-9](?<![\w.,:/#-].)[0-9]{0,3}(?:[ \t]?(?i:bis|ter))?,?[ \t]+"
    r"(?i:rue|avenue|av\.|boulevard|bd|place|chemin|all[ée]e|impasse|quai|route|cours|square"
    r"|passage|faubourg)[ \t]+"
    rf"(?:{_FR_PARTICLE}[ \t]*)*[A-ZÉÈÊÀÂÎÔÛÇ0-9][\w'’.-]*+"
    rf"(?:[ \t]+(?:{_FR_PARTICLE}|[A-ZÉÈÊÀÂÎÔÛÇ][\w'’.-]*+)){{0,4}}+"
    r"(?:,?[ \t]*(?:\r?\n[ \t]*)?[0-9]{5}[ \t]+[A-ZÉÈ][\w'’-]*+(?:[ \t-]+[A-ZÉÈ][\w'’-]*+){0,2})?"
)
_ES_STREET = re.compile(
    r"[ACPRT](?<![\w-].)(?:alle|/|venida|vda\.?|v\.|laza|za\.?|aseo|amino|arrer|arretera|onda"
    r"|ravesía)[ \t]*+"
    r"(?:(?:de|del|la|las|los|el|d['’])[ \t]+)*[A-ZÁÉÍÓÚÑ0-9][\w'’.-]*+"
    r"(?:[ \t]+(?:de|del|la|las|los|el|y|[A-ZÁÉÍÓÚÑ][\w'’.-]*+)){0,4}+"
    r",?[ \t]*(?:n[º°o]\.?[ \t]*)?[0-9]{1,4}(?![\w-])(?:[ \t,]*[0-9]+º?[ \t]?[A-Z]?)?"
    r"(?:,?[ \t]*(?:\r?\n[ \t]*)?[0-9]{5}[ \t]+[A-ZÁÉÍÓÚ][\w'’-]*+)?"
)
# Street type first, then the name and the number: Portuguese, Italian, Polish, Romanian and
# Spanish forms ("Rua Augusta 112", "Via Roma 12", "ul. Marszałkowska 84/92").
_PREFIX_STREET = re.compile(
    r"(?P<type>[RAVTPLECSBuUaApP](?<![\w-].)(?:(?<=R)ua|(?<=A)(?:venida|lameda|v\.)|(?<=T)ravessa"
    r"|(?<=P)(?:raça|raca|iazza|iazzale|iac)|(?<=L)argo|(?<=E)strada|(?<=V)(?:ia|iale|icolo)"
    r"|(?<=C)(?:orso|alea)|(?<=S)(?:trada|tr\.)|(?<=B)(?:ulevardul|d\.)|(?<=[uU])l(?:\.|ica)"
    r"|(?<=[aA])l(?:\.|eja)|(?<=[pP])l(?:\.|ac)))[ \t]+"
    r"(?:(?:de|da|do|dos|das|di|del|della|dei|degli|delle)[ \t]+)?[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ0-9][\w'’.-]*+"
    r"(?:[ \t]+(?:de|da|do|dos|das|di|del|della|dei|e|[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’.-]*+)){0,4}+"
    rf",?[ \t]*(?:n\.?[º°o]?\.?[ \t]*)?{_HOUSE_NUMBER}(?![\w-])"
    r"(?:[ \t]*(?:m\.|lok\.|apt\.?|int\.?|[0-9]{1,2}\.?[º°ª])[ \t]*[\w.]{0,6})?"
    r"(?:,?[ \t]*(?:[\w.º°ª]{1,6}[ \t]*){0,2},?[ \t]*(?:\r?\n[ \t]*)?"
    r"(?:[0-9]{4}-[0-9]{3}|[0-9]{2}-[0-9]{3}|[0-9]{5}|[0-9]{4})[ \t]+[A-ZÀ-ÖØ-ÞŁŚŻŹĆŃ][\w'’-]*+)?"
)
# Nordic compounds: "Storgatan 12B, 114 51 Stockholm", "Nørregade 7", "Karl Johans gate 1".
_NORDIC_STREET = re.compile(
    r"[A-ZÅÄÖÆØ](?<![\w-].)[a-zåäöæøé]{2,}(?:gatan|gata|vägen|väg|gränd|torget|gade|vej|veien"
    r"|vegen|vei|gate|gaten|plads|torv|stræde|tie|katu|kuja)"
    rf"[ \t]+{_HOUSE_NUMBER}(?![\w-])"
    r"(?:,?[ \t]*(?:\r?\n[ \t]*)?(?:[0-9]{3}[ \t]?[0-9]{2}|[0-9]{4,5})[ \t]+[A-ZÅÄÖÆØ][\w-]*+)?"
)


def _prefix_street(match: re.Match[str]) -> str | None:
    kind = match["type"]
    # "Via" and "Av." also start ordinary phrases ("via VPN 2"): only with a capitalised name.
    return TOKEN["address"] if kind not in ("Via", "via") or match.group()[4:5].isupper() else None


# US "Mountain View, CA 94043" on a line of its own, and UK postcodes wherever they stand.
_US_TOWN_LINE = re.compile(
    rf"[A-Z](?<![\w-].)[\w'’.-]*+(?:[ \t]+[A-Z][\w'’.-]*+){{0,3}},[ \t]*(?:{_US_STATES})"
    r"[ \t]+[0-9]{5}(?:-[0-9]{4})?(?![\w-])"
)
_UK_POSTCODE_ALONE = re.compile(
    r"[A-Z](?<![\w-].)[A-Z]?[0-9][A-Z0-9]?[ \t]+[0-9][ABD-HJLNP-UW-Z]{2}(?![\w-])"
)
_PO_BOX = re.compile(
    r"[PBAp](?<![\w-].)(?:\.?[ \t]?O\.?[ \t]?(?i:box)|ostfach|partado(?:[ \t]+de[ \t]+correos)?"
    r"|o(?:î|i)te[ \t]+postale)[ \t]+[0-9]{1,6}(?![\w-])"
)


def _address(_match: re.Match[str]) -> str:
    return TOKEN["address"]


def _en_street(match: re.Match[str]) -> str | None:
    if match["ambiguous"] is not None and not (match["unit"] or match["tail"]):
        line_start = match.string.rfind("\n", 0, match.start()) + 1
        if _ADDRESS_WORDS.search(match.string, line_start, match.start()) is None:
            return None
    return TOKEN["address"]


# Compounds that end like a street but name a place at work: "Arbeitsplatz 3" is a desk.
_NOT_STREETS = ("arbeitsplatz", "parkplatz", "speicherplatz", "steckplatz", "sitzplatz")


def _de_street(match: re.Match[str]) -> str | None:
    if match.group().casefold().startswith(_NOT_STREETS):
        return None
    if match["noun"] is not None and not match["tail"]:
        line_start = match.string.rfind("\n", 0, match.start()) + 1
        if _ADDRESS_WORDS.search(match.string, line_start, match.start()) is None:
            return None
    return TOKEN["address"]


RULES: tuple[Rule, ...] = (
    regex_rule(_EN_STREET, _en_street),
    regex_rule(_BROADWAY, _address, needs="Broadway"),
    regex_rule(_DE_STREET, _de_street),
    regex_rule(_DE_PREPOSITION_STREET, _address),
    regex_rule(_NL_STREET, _address),
    regex_rule(_FR_STREET, _address),
    regex_rule(_ES_STREET, _address),
    regex_rule(_PREFIX_STREET, _prefix_street),
    regex_rule(_NORDIC_STREET, _address),
    regex_rule(_US_TOWN_LINE, _address),
    regex_rule(_UK_POSTCODE_ALONE, _address),
    regex_rule(_PO_BOX, _address),
)
