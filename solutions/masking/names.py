"""People's names.

Without an NLP model (none can be downloaded here) a name is found by what the platform knows
and by what the text says around it:

* names the organization knows (its members, the ticket's author and requester, names seen in
  earlier signatures), in any case and also as first name or surname alone;
* after a greeting or a sign-off ("Hi Priya,", "thanks john"), in a signature block (after
  "--", or a name line above a job title or department line), in mail headers, after "my name
  is" or "requested by";
* in prose: after a title ("Dr. Lindqvist"), after a word that introduces a person ("my
  colleague Jane Doe", "ask Priya"), or as a known first name followed by a surname ("Jane
  Doe's laptop"); first names come from the gazetteer (`gazetteer`).

Where the two readings are close, masking errs towards hiding: an expert who loses a product
name after "Thanks," can ask, a customer whose colleague was named cannot take it back.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable

from .base import TOKEN, Rule, Tally, keywords
from .gazetteer import (
    AMBIGUOUS,
    COMMON_WORDS,
    NOT_SURNAMES,
    fold,
    is_clear_first_name,
    is_first_name,
)

# Words that stand where a name could but are not one: groups people greet, and the words a
# line after a sign-off starts with when no name follows.
NOT_NAMES = frozenset(
    """
    team all everyone everybody folks guys people colleagues colleague friends friend sir sirs
    madam madame ladies gentlemen there you yall both again world support helpdesk help desk
    service servicedesk admin admins administrator administrators customer customers client
    clients user users expert experts expertdesk staff crew department dept management manager
    managers engineer engineers engineering operations ops security network infrastructure infra
    sales finance accounting marketing legal devops dev developers vendor partner partners owner
    owners analyst technician tech techs mates gang squad group company corp inc ltd gmbh llc
    the this that these those a an i we he she they it my our your his her their please pls also
    and but so if when after before since just still now then today yesterday tomorrow tonight
    sent from von to cc re fw fwd ps note update edit btw fyi attached attachment see any kind
    best regards thanks thank yes no ok okay sorry more some here what why how who where which
    can could would should did does do is are was has have had not get got good great morning
    afternoon evening day hello hi hey dear greetings monday tuesday wednesday thursday friday
    saturday sunday ticket issue problem error windows outlook office teams excel vpn server
    printer laptop password account mit viele beste liebe freundliche herzliche warm with many
    yours sincerely cheers danke gruß grüße merci cordialement saludos atentamente gracias
    atenciosamente abraços pozdrawiam hilsen mvh
    reception recepción réception rezeption empfang afdeling abteilung département departamento
    dipartimento facilities finances financiën finanzas finanzen buchhaltung contabilidad
    comptabilité personalabteilung rrhh einkauf compras achats vertrieb ventas ventes logistik
    logistique logística lager almacén magasin verwaltung administración administration
    sekretariat secretaría secrétariat juridique jurídico soporte assistance informatique
    informática produktion production producción empresa firma société equipo équipe
    """.casefold().split()
)
_CONNECTORS = frozenset({"and", "&", "und", "et", "y"})
_PARTICLES = frozenset(
    "van von de der den da di del della la le du dos das bin ibn al el ter ten zu".split()
)
_NAME_WORD = re.compile(r"[^\W\d_]++(?:['’\-][^\W\d_]++)*+|&")
_TITLE = re.compile(
    r"(?i:mr|mrs|ms|mx|miss|dr|prof|herrn|herr|hrn|hr|frau|fr|mme|mlle|sr|sra|srta|dott|sig|sigra"
    r"|pan|pani|dhr|mevr)\.?[ \t]+(?=[^\W\d_])"
)
_H_SPACE = re.compile(r"[ \t]+")
# What may follow a name that was announced on the same line.
_NAME_END = re.compile(
    r"[ \t]*(?:[,!:;.?|(/<>\[\"')\-–—]|\r?\n|\Z)|[ \t]+(?:from|at|of|in|here|and|und|&|@)(?!\w)"
)


# Parts of the words people greet a group with, in any language: "Sehr geehrter
# Kundenservice", "Hallo Support-Team", "Estimado Servicio de Atención al Cliente".
_GROUP_STEMS = (
    "team",
    "service",
    "servic",
    "support",
    "dienst",
    "kunden",
    "soporte",
    "atencion",
    "cliente",
    "equipe",
    "equipo",
    "abteilung",
    "helpdesk",
    "desk",
    "department",
    "departamento",
    "afdeling",
    "crew",
    "staff",
    "admin",
    "atendimento",
    "suporte",
    "kunde",
    "assistenza",
    "helpdesk",
)


def _is_group_word(word: str) -> bool:
    key = fold(word)
    return any(stem in key for stem in _GROUP_STEMS)


def _is_name_like(word: str) -> bool:
    # All capitals is an acronym (IT, HR, NOC), not a name; "Ihr" or "The" is a word.
    return (
        len(word) > 1
        and word[0].isupper()
        and not word.isupper()
        and word.casefold() not in NOT_NAMES
        and fold(word) not in COMMON_WORDS
        and not _is_group_word(word)
    )


# Words after a name that make it a group's name: "Facilities Team", "Lager & Versand Team".
_GROUP_WORDS = frozenset(
    "team teams group department dept office desk support crew staff squad abteilung équipe "
    "equipo gruppe afdeling service services".split()
)


def _is_lower_name(word: str, *, first: bool) -> bool:
    """ "thanks john": a lower-case word is a name only if it is a clear first name, or the
    word after one that is no common word ("thanks john smith")."""
    if not word.islower():
        return False
    if first:
        return is_clear_first_name(word) or (
            is_first_name(word) and len(word) > 2 and fold(word) not in COMMON_WORDS
        )
    key = fold(word)
    return key not in COMMON_WORDS and key not in NOT_NAMES and key not in AMBIGUOUS


def name_span(
    text: str, start: int, *, strict: bool, lowercase: bool = True
) -> tuple[int, str] | None:
    """Where a name announced at `start` ends, and what replaces text[start:end].

    Titles belong to the name (they tell gender), initials and particles (van, de) too;
    "John and Mary" stays two names. Same-line names (strict) must be followed by punctuation
    or the end of the line ("Hi Outlook keeps crashing" announces no one), unless the name
    starts with a clear first name ("Thanks John for the fix")."""
    pos = start
    titled = False
    while (title := _TITLE.match(text, pos)) is not None and pos - start < 20:
        pos, titled = title.end(), True
    parts: list[tuple[str, int, int]] = []  # (kind, start, end) of each word read
    accepted = 0
    lower_run = False
    while len(parts) < 6 and (word := _NAME_WORD.match(text, pos)) is not None:
        end = word.end()
        value = word.group()
        previous = parts[-1][0] if parts else ("particle" if titled else "")
        if len(value) == 1 and value.isupper() and text.startswith(".", end):
            kind, end = "name", end + 1  # an initial: "John D. Smith"
        elif _is_name_like(value) and not lower_run:
            kind = "name"
        elif value.isupper() and len(value) > 2 and is_clear_first_name(value) and not parts:
            kind = "name"  # "HI PRIYA"
        elif (
            parts
            and parts[0][0] == "name"
            and value.isupper()
            and len(value) > 1
            and (text[parts[0][1] : parts[0][2]].isupper())
        ):
            kind = "name"  # "PRIYA SHARMA": a surname in capitals after a first name in them
        elif lowercase and _is_lower_name(value, first=not parts) and (not parts or lower_run):
            kind, lower_run = "name", True
        elif parts and previous == "name" and value.casefold() in _CONNECTORS:
            kind = "connector"
        elif previous in ("name", "particle") and value in _PARTICLES:
            kind = "particle"  # "van den Berg", and "Mme de la Fontaine" after a title
        else:
            break
        parts.append((kind, word.start(), end))
        if kind == "name":
            accepted = len(parts)
        space = _H_SPACE.match(text, end)
        if space is None:
            break
        pos = space.end()
    parts = parts[:accepted]
    if not parts:
        return None
    end = parts[-1][2]
    gap = _H_SPACE.match(text, end)
    after = _NAME_WORD.match(text, gap.end()) if gap is not None else None
    if after is not None and after.group().casefold() in _GROUP_WORDS:
        return None  # "Facilities Team" is a group, not a person
    first_word = text[next(p[1] for p in parts if p[0] == "name") : parts[-1][2]].split()[0]
    if strict and _NAME_END.match(text, end) is None:
        if lower_run or not is_clear_first_name(first_word):
            return None
        # "Thanks John for the fix": the clear first name alone, not what follows it.
        end = parts[0][2]
        parts = parts[:1]
    if lower_run and len(parts) > 1 and _NAME_END.match(text, end) is None:
        # "thanks john smith" only at the end of the line; "thanks john for it" is one name.
        end = parts[0][2]
        parts = parts[:1]
    out: list[str] = []
    for index, (kind, _, _) in enumerate(parts):
        if kind == "connector":
            out.append(text[parts[index - 1][2] : parts[index + 1][1]])
        elif not out or out[-1] != TOKEN["name"]:
            out.append(TOKEN["name"])
    return end, "".join(out)


def _record(counts: Tally, found: str) -> None:
    """Keeps each name a rule found ("Jane Doe", "Priya") for the organization to learn."""
    for name in re.split(r"[ \t]+(?:and|und|et|y)[ \t]+|[ \t]*&[ \t]*", found):
        words = [w for w in _NAME_WORD.findall(_TITLE.sub("", name)) if len(w) > 1 or w == "&"]
        words = [w for w in words if w != "&"]
        if words:
            counts.found_names.append(" ".join(words))


# The name rules run on the text with a newline in front, so that "at the start of a line"
# is a literal newline the engine can jump to; the other place a greeting or sign-off
# starts is after the end of a sentence.
_LINE_START = r"(?:\n[ \t>]*+|\.[ \t]++|![ \t]++|\?[ \t]++)(?=[^\W\d_])"
_GREETING = re.compile(
    _LINE_START + r"(?i:hi|hello|hey|hiya|howdy|dear|good[ \t]+(?:morning|afternoon|evening"
    r"|day)|morning|greetings|hallo|moin|servus|guten[ \t]+(?:morgen|tag|abend)|liebe[rs]?"
    r"|sehr[ \t]+geehrte[rs]?|bonjour|salut|hola|buenos[ \t]+d[ií]as|buongiorno|ciao|hej|hoi"
    r"|ol[áa]|estimad[oa]s?|cher|ch[èe]re|caro|cara|beste|geachte|cze[śs][ćc]|witam"
    r"|dzie[ńn][ \t]+dobry|szanown[aiye]|prezad[oa]|gentile|egregi[oa]|k(?:æ|ae)re|kj(?:æ|ae)re"
    r"|hei|moi|salve|bom[ \t]+dia|boa[ \t]+tarde|ahoj|merhaba|yo)(?:[ \t]*,)?[ \t]+"
)
_GRUESSE = r"gr(?:ü|ue|u)(?:ß|ss)e"
_SIGN_OFF_WORD = (
    r"(?i:(?:thanks|thank[ \t]+you)(?:[ \t]*(?:&|and)[ \t]*regards|[ \t]+(?:for|in|again"
    r"|a[ \t]+lot|so[ \t]+much)[^\n,!.?]{0,40})?"
    r"|many[ \t]+thanks|thx|thanx|ty|cheers|danke(?:[ \t]+sch(?:ö|oe)n)?|vielen[ \t]+dank"
    r"|merci(?:[ \t]+beaucoup)?|gracias|obrigad[oa]|grazie|dank(?:[ \t]+je(?:[ \t]+wel)?)?"
    r"|(?:best|kind|warm(?:est)?|with[ \t]+(?:best|kind))[ \t]+regards|regards|rgds"
    r"|best[ \t]+wishes|all[ \t]+the[ \t]+best|best|sincerely(?:[ \t]+yours)?"
    r"|yours[ \t]+(?:sincerely|truly|faithfully)|respectfully|br|kr|greetings|talk[ \t]+soon"
    rf"|mit[ \t]+freundlichen[ \t]+gr(?:ü|ue|u)(?:ß|ss)en|(?:freundliche|viele|beste|liebe"
    rf"|herzliche)[ \t]+{_GRUESSE}|{_GRUESSE}|gru(?:ß|ss)|mfg|lg|vg|cordialement"
    r"|bien[ \t]+[àa][ \t]+vous|saludos|un[ \t]+saludo|atentamente|cumprimentos"
    r"|cordiali[ \t]+saluti|distinti[ \t]+saluti|groetjes|met[ \t]+vriendelijke[ \t]+groet"
    r"|atenciosamente|abra(?:ç|c)os|um[ \t]+abra(?:ç|c)o|sauda(?:ç|c)(?:õ|o)es|pozdrawiam"
    r"|z[ \t]+powa(?:ż|z)aniem|s[ \t]+pozdravem|med[ \t]+v(?:ä|a)nlig[ \t]+h(?:ä|a)lsning|mvh"
    r"|(?:venlig[ \t]+|vennlig[ \t]+)?hilsen|yst(?:ä|a)v(?:ä|a)llisin[ \t]+terveisin)"
)
# A sign-off also closes a sentence mid-line: "works now, thanks jane", "ok - cheers, Ben".
# Each alternative starts with its literal, not with a run of spaces: a run that fails would be
# read again from each of its spaces.
_SIGN_OFF_START = r"(?:\n[ \t>]*+|[.!?,;][ \t]++|[-–—](?<=[ \t].)[ \t]++)(?=[^\W\d_])"
_SIGN_OFF = re.compile(
    _SIGN_OFF_START
    + rf"(?P<word>{_SIGN_OFF_WORD}(?:[ \t]*(?:&|and|und|et|y)[ \t]*{_SIGN_OFF_WORD})?)"
    r"(?P<gap>[ \t]*[,!.]?[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t>]*|[ \t]*(?:[,!–—]|-{1,2})[ \t]*"
    r"|[ \t]+)"
)
_SIGNATURE = re.compile(r"\n--[ \t]*\r?\n(?:[ \t]*\r?\n)?[ \t]*")
_SIGNATURE_INLINE = re.compile(r"\n[ \t]*+(?:--|—|–)[ \t]*(?=[^\W\d_])")
_FIELD = re.compile(
    r"\n[ \t>]*+(?i:(?:full[ \t]+|display[ \t]+|first[ \t]+|last[ \t]+|sur)?name|from|to|cc|bcc"
    r"|reply-to|von|an|requester|requested[ \t]+for|employee|contact|user[ \t]+name|nom|nombre"
    r"|vorname|nachname|absender|empfänger)[ \t]*:[ \t]*"
)
_INTRODUCTION = re.compile(
    keywords(
        [
            r"my[ \t]+name[ \t]+is",
            r"this[ \t]+is",
            r"it['’]s",
            r"it[ \t]+is",
            r"c['’]est",
            r"hier[ \t]+ist",
            r"aqu(?:í|i)[ \t]+(?:es|est(?:á|a))",
            r"i[ \t]+am",
            r"i['’]m",
            r"contact(?:[ \t]+person)?",
            r"requested[ \t]+by",
            r"reported[ \t]+by",
            r"submitted[ \t]+by",
            r"raised[ \t]+by",
            r"approved[ \t]+by",
            "caller",
            r"on[ \t]+behalf[ \t]+of",
            r"assigned[ \t]+to",
            r"escalated[ \t]+by",
            r"ich[ \t]+bin",
            r"mein[ \t]+name[ \t]+ist",
            r"je[ \t]+m['’]appelle",
            r"je[ \t]+suis",
            r"me[ \t]+llamo",
            r"mi[ \t]+nombre[ \t]+es",
            r"signal(?:é|e)e?[ \t]+par",
            r"demand(?:é|e)e?[ \t]+par",
            r"de[ \t]+la[ \t]+part[ \t]+de",
            r"gemeldet[ \t]+von",
            r"im[ \t]+auftrag[ \t]+von",
            r"ansprechpartner(?:in)?",
            r"reportado[ \t]+por",
            r"solicitado[ \t]+por",
            r"de[ \t]+parte[ \t]+de",
            r"segnalato[ \t]+da",
            r"richiesto[ \t]+da",
            r"gemeld[ \t]+door",
            r"aangevraagd[ \t]+door",
            r"zg(?:ł|l)oszone[ \t]+przez",
        ]
    )
    + r"[ \t]*:?[ \t]*"
)
# Words that introduce a person; the name after them needs no punctuation behind it.
_PERSON_NOUNS = keywords(
    [
        r"colleagues?",
        r"co-?workers?",
        r"workmates?",
        r"teammates?",
        "boss",
        r"managers?",
        r"supervisors?",
        r"assistants?",
        r"interns?",
        r"trainees?",
        r"employees?",
        r"users?",
        r"members?",
        r"contractors?",
        r"consultants?",
        r"customers?",
        r"clients?",
        r"visitors?",
        r"guests?",
        r"new[ \t]+hires?",
        r"new[ \t]+starters?",
        r"named",
        r"called",
        "wife",
        "husband",
        "son",
        "daughter",
        r"mitarbeiter(?:in)?",
        r"kolleg(?:e|in|en)",
        r"namens",
        r"coll(?:è|e)gues?",
        r"nomm(?:é|e)e?",
        r"compa(?:ñ|n)er[oa]s?",
        r"colegas?",
        r"llamad[oa]",
    ]
)
# Verbs and prepositions before a name; only a clear first name counts after these.
_PERSON_VERBS = keywords(
    [
        r"ask(?:ed)?",
        r"tell",
        "told",
        r"cc(?:'?d)?",
        r"ping(?:ed)?",
        r"contact(?:ed)?",
        r"call(?:ed)?",
        r"e-?mail(?:ed)?",
        r"messag(?:e|ed)",
        r"inform(?:ed)?",
        r"notif(?:y|ied)",
        r"remind(?:ed)?",
        r"thank(?:ed)?",
        r"per",
        r"with",
        r"for",
        r"from",
        r"frag(?:e|en)?",
        r"mit",
        r"von",
        r"f(?:ü|ue)r",
        r"avec",
        r"pour",
        r"con",
        r"para",
    ]
)
# Both only before a capital letter: the names they accept are capitalised.
_PERSON_NOUN_LEAD = re.compile(_PERSON_NOUNS + r"[ \t]*,?[ \t]+(?=[A-ZÀ-ÖØ-Þ])")
_PERSON_VERB_LEAD = re.compile(_PERSON_VERBS + r"[ \t]+(?=[A-ZÀ-ÖØ-Þ])")
_TITLED = re.compile(
    r"[MDPHFS](?<![^\W_].)(?:(?<=M)(?:rs|r|s|x|iss|me|lle|evr)|(?<=D)(?:r|ott|hr)|(?<=P)(?:rof"
    r"|ani)|(?<=H)(?:errn|err|rn|r)|(?<=F)(?:rau|r)|(?<=S)(?:rta|ra|r|ig))\.?[ \t]+(?=[A-ZÀ-ÖØ-Þ])"
)


def _names_after(
    lead: re.Pattern[str],
    strict: Callable[[re.Match[str]], bool | None],
    *,
    accept: Callable[[str], bool] | None = None,
    keep_lead: bool = True,
) -> Rule:
    """Masks the name that `lead` announces. `accept` (given the name as found) can refuse it;
    without `keep_lead` the lead is replaced too (a title belongs to the name)."""

    def rule(text: str, counts: Tally) -> str:
        padded = "\n" + text
        out: list[str] = []
        last = 0
        while (match := lead.search(padded, last)) is not None:
            mode = strict(match)
            found = None if mode is None else name_span(padded, match.end(), strict=mode)
            if found is not None and accept is not None:
                if not accept(padded[match.end() : found[0]]):
                    found = None
            if found is None:
                # Searched again from the next character, not from the end of the match: the
                # line after "Danke." may itself be a sign-off ("Mit freundlichen Grüßen").
                last_try = match.start() + 1
                out.append(padded[last:last_try])
                last = last_try
                continue
            end, replacement = found
            out += [padded[last : match.end() if keep_lead else match.start()], replacement]
            counts["name"] += replacement.count(TOKEN["name"])
            _record(counts, padded[match.end() : end])
            last = end
        out.append(padded[last:])
        return "".join(out)[1:]

    return rule


def _sign_off_mode(match: re.Match[str]) -> bool | None:
    if "\n" in match["gap"]:
        return False  # the line after a sign-off is the name line, whatever follows the name
    # On the same line the name must end there or be a clear first name ("VG Stefan",
    # "thanks john"); "Best practice analyzer" announces no one.
    return True


def _a_person(found: str) -> bool:
    """After "my colleague": a name that starts with a first name of the gazetteer ("user
    Roles and Permissions", "user Jenkins Build" are no people)."""
    words = _NAME_WORD.findall(_TITLE.sub("", found))
    return bool(words) and is_clear_first_name(words[0])


def _a_first_name(found: str) -> bool:
    words = _NAME_WORD.findall(found)
    return bool(words) and words[0][0].isupper() and is_clear_first_name(words[0])


# --- First name and surname anywhere ----------------------------------------------------------

# A clear first name with a capital, followed by one to three surname-like words ("Jane Doe",
# "Ana de la Cruz", "John D. Smith"). The search finds capitalised words (a character class
# the engine can skip to); the words after a candidate are read one by one.
_CAPITALISED = r"[A-ZÀ-ÖØ-Þ][^\W\d_]*+(?:['’-][^\W\d_]++)*+"
_CANDIDATE = re.compile(r"[A-ZÀ-ÖØ-Þ](?<![\w@./\\-].)[^\W\d_]*+(?:['’-][^\W\d_]++)*+")


# Endings of abstract nouns that surnames hardly ever have: "Brand Development", "Data
# Integration", "Network Security" are not people.
_NOT_SURNAME_ENDINGS = (
    "tion",
    "sion",
    "ment",
    "ity",
    "ness",
    "ics",
    "ogy",
    "ware",
    "cion",  # "-ción" folded
    "cao",  # "-ção" folded
    "dad",
    "dade",
    "itat",  # "-ität" folded
    "heit",
    "keit",
    "ismus",
    "fehler",
)


def _surname_like(word: str) -> bool:
    key = fold(word[:-2] if word.endswith(("'s", "’s")) else word)
    return (
        len(word) > 1
        and word[0].isupper()
        and not word.isupper()
        and key not in NOT_SURNAMES
        and key not in NOT_NAMES
        and key not in COMMON_WORDS
        and not (len(key) > 5 and key.endswith(_NOT_SURNAME_ENDINGS))
        and not _is_group_word(word)
    )


def _surname_end(text: str, pos: int) -> int | None:
    """Where the surname words after a first name (ending at `pos`) end, or None."""
    end = None
    for _ in range(4):
        space = _H_SPACE.match(text, pos)
        if space is None:
            break
        word = _NAME_WORD.match(text, space.end())
        if word is None:
            break
        value = word.group()
        if len(value) == 1 and value.isupper() and text.startswith(".", word.end()):
            pos = word.end() + 1  # an initial
            continue
        if value in _PARTICLES:
            pos = word.end()
            continue
        if not _surname_like(value):
            break
        pos = end = word.end()
    return end


def _candidates(words: Iterable[str], test: Callable[[str], bool]) -> re.Pattern[str] | None:
    """A pattern for just the distinct words that pass `test`: finding the words is one pass in
    C, deciding about each distinct word is a cached lookup, so a megabyte of logs costs a set
    of words, not a Python step per word."""
    chosen = sorted({w for w in set(words) if test(w)}, key=len, reverse=True)
    if not chosen:
        return None
    return re.compile(r"(?<![\w@./\\-])(?:" + "|".join(map(re.escape, chosen)) + r")(?![^\W_])")


_CAPITALISED_WORD = re.compile(r"[A-ZÀ-ÖØ-Þ][^\W\d_]*+(?:['’-][^\W\d_]++)*+")


def _full_names(text: str, counts: Tally) -> str:
    # Names the dictionary marks as rare are as often a word of some language ("Core").
    pattern = _candidates(
        _CAPITALISED_WORD.findall(text), lambda w: not w.isupper() and is_clear_first_name(w, 2)
    )
    if pattern is None:
        return text
    out: list[str] = []
    last = 0
    for match in pattern.finditer(text):
        if match.start() < last:
            continue  # a word of the surname just masked
        end = _surname_end(text, match.end())
        if end is None:
            continue
        found = text[match.start() : end]
        possessive = found[-2:] if found.endswith(("'s", "’s")) else ""
        out += [text[last : match.start()], TOKEN["name"] + possessive]
        counts["name"] += 1
        _record(counts, found[: len(found) - len(possessive)])
        last = end
    if not out:
        return text
    out.append(text[last:])
    return "".join(out)


# "Priya's laptop": a clear first name with a possessive.
_POSSESSIVE = re.compile(r"(?P<name>[A-ZÀ-ÖØ-Þ](?<![\w@./\\-].)[^\W\d_]*+)(?=['’]s(?![^\W_]))")


def _possessives(text: str, counts: Tally) -> str:
    def one(match: re.Match[str]) -> str:
        name = match["name"]
        if name.isupper() or not is_clear_first_name(name):
            return name
        counts["name"] += 1
        _record(counts, name)
        return TOKEN["name"]

    return _POSSESSIVE.sub(one, text)


# --- Signature blocks without a sign-off -------------------------------------------------------

_ROLE_WORDS = re.compile(
    r"(?<![^\W_])(?:IT|HR|R&D|QA|PMO|CEO|CFO|CTO|CIO|COO|CISO|VP|SVP|EVP)(?![^\W_])"
    r"|(?i:(?<![^\W_])(?:department|dept|division|office|operations|ops|finance|accounting"
    r"|payroll|marketing|sales|legal|procurement|purchasing|logistics|facilities|engineering"
    r"|support|helpdesk|service[ \t]+desk|infrastructure|security|compliance|administration"
    r"|management|research|development|customer[ \t]+success|manager|director|head[ \t]+of"
    r"|lead|chief|officer|engineer|administrator|admin|analyst|assistant|associate|coordinator"
    r"|specialist|consultant|developer|architect|technician|intern|supervisor|representative"
    r"|executive|president|partner|founder|accountant|controller|clerk|receptionist|secretary"
    r"|team[ \t]+lead|teamleiter(?:in)?|abteilung|leiter(?:in)?|sachbearbeiter(?:in)?"
    r"|gesch(?:ä|ae)ftsf(?:ü|ue)hrer(?:in)?|buchhaltung|vertrieb|einkauf|verwaltung"
    r"|responsable|directeur|directrice|ing(?:é|e)nieur|comptabilit(?:é|e)|jefe|gerente"
    r"|departamento|ingeniero|inc|ltd|llc|gmbh|ag|corp|corporation|plc|sarl|pty|limited"
    r"|holdings|tel|phone|mobile|mob|cell|fax|e-?mail|www|branch|ext|extension|plant|site"
    r"|campus|region|headquarters|hq)(?![^\W_]))"
    r"|\[(?:phone|email|address)\]"
)
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{2,4}")
_NAME_LINE = re.compile(
    r"(?m)^(?P<lead>[ \t>]*)(?P<name>(?:(?i:mr|mrs|ms|mx|dr|prof)\.?[ \t]+)?"
    rf"{_CAPITALISED}(?:[ \t]+(?:[A-Z]\.|(?i:van|von|de|der|den|da|di|del|la|le|du|dos|bin|al"
    rf"|el)|{_CAPITALISED})){{0,3}}(?:[ \t]+[\u3040-\u30ff\u3400-\u9fff\uac00-\ud7af]{{2,4}})?)"
    r"(?P<after>[ \t]*(?:(?:,|[ \t]-|[ \t]–|[ \t]\||[ \t]·)[ \t]*(?P<role>[^\n]{2,80}))?"
    r"[ \t]*(?:\((?:she|he|they)/\w+\))?[ \t]*)\r?$"
)


def _signature_name_ok(name: str) -> bool:
    words = [w for w in _NAME_WORD.findall(_TITLE.sub("", name)) if not _CJK.fullmatch(w)]
    if not words or any(fold(w) in NOT_NAMES or fold(w) in NOT_SURNAMES for w in words):
        return False
    if all(w.isupper() for w in words):
        # "JAMES CARTER" above "Warehouse Supervisor": capitals only with a real first name.
        return len(words) >= 2 and is_clear_first_name(words[0])
    if words[0].isupper() and len(words) >= 2 and not any(w.isupper() for w in words[1:]):
        # East Asian order with the family name in capitals: "WANG Xiaoming", "KIM Min-jun".
        return len(words[0]) <= 12
    if any(w.isupper() and len(w) > 1 for w in words):
        return False
    return len(words) >= 2 or is_clear_first_name(words[0])


def _title_line(line: str) -> bool:
    """A signature's second line: short, no sentence, with a job title, a department, a
    company or contact details."""
    line = line.strip()
    return (
        0 < len(line) <= 80
        and len(line.split()) <= 10
        and not line.endswith((".", "?", ":", ";"))
        and _ROLE_WORDS.search(line) is not None
    )


def _signature_blocks(text: str, counts: Tally) -> str:
    """A line that is only a name (maybe with ", department"), followed by a line with a job
    title, a department, a company or contact details: the signature of someone who wrote no
    sign-off ("Jane Doe\nIT Operations\nAcme Corp")."""
    if "\n" not in text:
        return text
    lines = text.split("\n")
    # How many non-blank lines follow each line, counted once from the end (the check below
    # asks it for every candidate line).
    after = [0] * (len(lines) + 1)
    for index in range(len(lines) - 1, -1, -1):
        after[index] = after[index + 1] + bool(lines[index].strip())
    changed = False
    for index, line in enumerate(lines):
        match = _NAME_LINE.match(line)
        if match is None or not _signature_name_ok(match["name"]):
            continue
        words = _NAME_WORD.findall(_TITLE.sub("", match["name"]))
        clear = is_clear_first_name(words[0])
        role = match["role"]
        following = next((ln for ln in lines[index + 1 : index + 3] if ln.strip()), "")
        rest = after[index + 1]
        previous = lines[index - 1].strip() if index else ""
        # Near the end of the text, after a blank line.
        placed = index > 0 and rest <= 6 and not previous
        signed = bool(role and _title_line(role)) or _title_line(following)
        if not ((clear and (signed or (not rest and placed))) or (signed and placed)):
            continue
        start, end = match.span("name")
        lines[index] = line[:start] + TOKEN["name"] + line[end:]
        counts["name"] += 1
        _record(counts, match["name"])
        changed = True
    return "\n".join(lines) if changed else text


# --- Names the organization knows ----------------------------------------------------------

_TEXT_WORD = re.compile(r"[^\W\d_]++(?:['’\-][^\W\d_]++)*+")


def known_names_rule(names: Iterable[str]) -> Rule | None:
    """Masks every known name of the organization wherever it appears: full name, first name
    or surname alone, any case, possessive too ("PRIYA", "raman's"). Parts that are also
    ordinary words ("Will", "Mark", "Young") or very short ("Li") count only capitalised."""
    parts: dict[str, bool] = {}  # folded part -> needs a capital letter
    for full in names:
        words = _TEXT_WORD.findall(full or "")
        pieces = [*words, *(p for w in words if "-" in w for p in w.split("-"))]
        if len(words) >= 2:
            # The logins people are given: "praman", "priyar", "ramanp", "priyaraman".
            first, last = fold(words[0]).replace("-", ""), fold(words[-1]).replace("-", "")
            logins = [first[0] + last, first + last[0], last + first[0], first + last]
            pieces += [login for login in logins if len(login) >= 4]
        for word in pieces:
            key = fold(word)
            if len(key) < 2 or key in _PARTICLES:
                continue
            guarded = (
                len(key) <= 2
                or key in AMBIGUOUS
                or key in COMMON_WORDS
                or key in NOT_NAMES
                or key in NOT_SURNAMES
            )
            parts[key] = parts.get(key, False) or guarded
    if not parts:
        return None

    def rule(text: str, counts: Tally) -> str:
        out: list[str] = []
        last = 0
        for match in _TEXT_WORD.finditer(text):
            word = match.group()
            base = word[:-2] if word.endswith(("'s", "’s")) else word
            key = fold(base)
            guarded = parts.get(key)
            if guarded is None:
                continue
            if guarded and not base[:1].isupper():
                continue
            before = text[last : match.start()]
            # "Jane Doe" is one name: a space between two masked parts joins them.
            if not (out and out[-1] == TOKEN["name"] and before in (" ", "\t")):
                out += [before, TOKEN["name"]]
                counts["name"] += 1
            if base != word:
                out.append(word[len(base) :])
            last = match.end()
        if not out:
            return text
        out.append(text[last:])
        return "".join(out)

    return rule


def extra_terms_rule(terms: Iterable[str]) -> Rule | None:
    """Words and phrases an owner asked to hide for this ticket or organization (a project's
    code name, a customer's name): replaced by `[redacted]`, any case."""
    cleaned = sorted({" ".join(t.split()) for t in terms if t and t.strip()}, key=len, reverse=True)
    if not cleaned:
        return None
    alternatives = []
    for term in cleaned:
        body = r"[ \t]+".join(re.escape(part) for part in term.split(" "))
        head = r"(?<![^\W_])" if term[0].isalnum() or term[0] == "_" else ""
        tail = r"(?![^\W_])" if term[-1].isalnum() or term[-1] == "_" else ""
        alternatives.append(f"{head}{body}{tail}")
    pattern = re.compile("|".join(alternatives), re.IGNORECASE)

    def rule(text: str, counts: Tally) -> str:
        masked, replaced = pattern.subn(TOKEN["redacted"], text)
        if replaced:
            counts["redacted"] += replaced
        return masked

    return rule


# --- Lower-case names in prose, display names, mentions and chat handles --------------------

# "yusuf and fatma from accounting", "luis miguel fernández can't log in": in lower case, two
# first names joined by "and", or two first names in a row (with a surname after them). Each
# at least four letters, since short given names of some languages are everyday syllables.
_LOWER_WORD = re.compile(r"(?<![\w@.-])[^\W\d_]+(?![\w@-])")


def _lower_name(word: str) -> bool:
    return word.islower() and len(word) >= 4 and is_clear_first_name(word, 3)


_LOWER_WORDS = re.compile(r"[^\W\d_A-Z]{4,}")


def _lower_names(text: str, counts: Tally) -> str:
    if _candidates(_LOWER_WORDS.findall(text), _lower_name) is None:
        return text  # no lower-case first name anywhere: nothing to pair
    words = [m for m in _LOWER_WORD.finditer(text) if m.group().islower()]
    spans: list[tuple[int, int, str]] = []
    index = 0
    while index < len(words) - 1:
        first, second = words[index], words[index + 1]
        adjacent = text[first.end() : second.start()] in (" ", "\t")
        if not (adjacent and _lower_name(first.group())):
            index += 1
            continue
        if second.group() in _CONNECTORS and index + 2 < len(words):
            third = words[index + 2]
            if text[second.end() : third.start()] in (" ", "\t") and _lower_name(third.group()):
                spans += [(first.start(), first.end(), ""), (third.start(), third.end(), "")]
                index += 3
                continue
        if _lower_name(second.group()):
            end = second.end()
            if index + 2 < len(words):
                third = words[index + 2]
                if text[second.end() : third.start()] in (" ", "\t") and _is_lower_name(
                    third.group(), first=False
                ):
                    end = third.end()
                    index += 1
            spans.append((first.start(), end, ""))
            index += 2
            continue
        index += 1
    if not spans:
        return text
    out: list[str] = []
    last = 0
    for start, end, _ in spans:
        out += [text[last:start], TOKEN["name"]]
        counts["name"] += 1
        _record(counts, text[start:end])
        last = end
    out.append(text[last:])
    return "".join(out)


# The display name before an address in a mail header or a quote line: "Oluwadamilare
# Ogunleye <[email]> wrote:", "From: Weber, Matthias <[email]>", '"Adebayo, Tunde" <[email]>'.
_DISPLAY_NAME = re.compile(
    r"(?P<name>(?:[\"'][^\"'<>\n]{2,80}[\"']|[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*"
    r"(?:,?[ \t]+[^\W\d_][^\W\d_'’.-]*(?:['’.-][^\W\d_]+)*){0,4}))"
    r"(?P<gap>[ \t]*<(?:\[email\]|[^<>@\s]+@[^<>\s]+)>)"
)


def _display_names(text: str, counts: Tally) -> str:
    if "<" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        raw = match["name"]
        name = raw.strip("\"'")
        words = _NAME_WORD.findall(name)
        # Only the words that can be a person's: trailing ones, after "wrote" or a date.
        keep = []
        for word in reversed(words):
            if not (word[0].isupper() or is_first_name(word)) or fold(word) in NOT_NAMES:
                break
            keep.append(word)
        keep.reverse()
        if not keep or all(fold(w) in NOT_SURNAMES for w in keep):
            return match.group()
        start = raw.rfind(keep[0]) if len(keep) == len(words) else raw.find(keep[0])
        prefix = raw[:start]
        if raw[:1] in "\"'" and len(keep) == len(words):
            prefix, suffix = raw[:1], raw[-1:]
        else:
            suffix = ""
        counts["name"] += 1
        _record(counts, " ".join(keep))
        return prefix + TOKEN["name"] + suffix + match["gap"]

    return _DISPLAY_NAME.sub(one, text)


# Further names in a header line: "Cc: Sophie van den Berg; Thomas Janssens".
_HEADER_LINE = re.compile(
    r"(?im)^(?P<head>[ \t>]*(?:to|cc|bcc|an|aan|à|para|a|da)[ \t]*:[ \t]*)(?P<value>[^\n]{1,500})$"
)


def _header_lists(text: str, counts: Tally) -> str:
    if ":" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        value = match["value"]
        if ";" not in value:
            return match.group()
        out = []
        for entry in re.split(r"(;[ \t]*)", value):
            found = name_span(entry, 0, strict=False) if entry and entry[0] != ";" else None
            if found is not None and found[0] == len(entry.rstrip()):
                counts["name"] += found[1].count(TOKEN["name"])
                _record(counts, entry)
                entry = found[1] + entry[found[0] :]
            out.append(entry)
        return match["head"] + "".join(out)

    return _HEADER_LINE.sub(one, text)


# @mentions and chat handles: "@kwame.mensah", "@Siddharth", "@Nguyen Van Long", Slack's
# "<@U04ABCD12|ifeoma.chukwu>", IRC's "<svetlana.ivanova>".
_SLACK_MENTION = re.compile(r"<@[A-Z0-9]{6,20}\|(?P<handle>[^>|\n]{2,80})>")
_MENTION = re.compile(
    r"@(?<![\w.@]@)(?P<handle>[^\W\d_][\w.'-]{1,40}(?:[ \t]+[A-Z][^\W\d_]+){0,3})"
    r"(?![\w@-]|\.[^\W\d_])"
)
_CHAT_HANDLE = re.compile(r"<(?P<handle>[a-z][a-z0-9]*(?:[._-][a-z0-9]+){0,3})>")
_NOT_HANDLES = frozenset(
    "here channel everyone all team admins admin support helpdesk devops ops oncall".split()
)


def _handle_is_person(handle: str) -> bool:
    if fold(handle) in _NOT_HANDLES:
        return False
    parts = [p for p in re.split(r"[._\s'-]+", handle) if p]
    if not parts:
        return False
    if len(parts) == 1:
        return is_clear_first_name(parts[0])
    return any(is_first_name(p) and fold(p) not in COMMON_WORDS for p in parts)


# Chat exports: "04/06/2024, 08:12 - Yasmin Haddad: printer again", "[09:14] Jane Doe: hi".
_CHAT_LINE = re.compile(
    r"(?m)^(?P<head>[ \t]*(?:\[?[0-9]{1,4}[./-][0-9]{1,2}[./-][0-9]{2,4},?[ \t]+)?\[?[0-9]{1,2}:"
    r"[0-9]{2}(?::[0-9]{2})?(?:[ \t]?[AaPp][Mm])?\]?[ \t]*(?:-[ \t]*)?)"
    r"(?P<name>[^\W\d_][^\W\d_'’.-]*(?:[ \t]+[^\W\d_][^\W\d_'’.-]*){0,3})(?=[ \t]*:[ \t])"
)


# A name signed after a dash at the end of a line: "… or at the front desk. — Graham".
_DASH_SIGNATURE = re.compile(
    r"[-–—](?<=[ \t][-–—])(?:-)?[ \t]+"
    r"(?P<name>[A-ZÀ-ÖØ-Þ][^\W\d_]*+(?:[ \t]+[A-ZÀ-ÖØ-Þ][^\W\d_]*+)?)"
    r"[ \t]*[.!]?[ \t]*(?=\r?\n|\Z)"
)


def _dash_signatures(text: str, counts: Tally) -> str:
    def one(match: re.Match[str]) -> str:
        name = match["name"]
        if not is_clear_first_name(name.split()[0]):
            return match.group()
        counts["name"] += 1
        _record(counts, name)
        return match.group().replace(name, TOKEN["name"], 1)

    return _DASH_SIGNATURE.sub(one, text)


def _chat_lines(text: str, counts: Tally) -> str:
    if ":" not in text:
        return text

    def one(match: re.Match[str]) -> str:
        name = match["name"]
        words = name.split()
        if any(fold(w) in NOT_NAMES or _is_group_word(w) for w in words):
            return match.group()
        if not (is_first_name(words[0]) or all(w[0].isupper() for w in words)):
            return match.group()
        counts["name"] += 1
        _record(counts, name)
        return match["head"] + TOKEN["name"]

    return _CHAT_LINE.sub(one, text)


def _handles(text: str, counts: Tally) -> str:
    def masked(match: re.Match[str], *, always: bool = False) -> str:
        handle = match["handle"]
        words = handle.split()
        if len(words) > 1 and not is_first_name(words[0]):
            # "@Anika — same issue": only the handle itself, not capitalised words after it.
            handle = words[0]
        if not always and not _handle_is_person(handle.split()[0] if " " in handle else handle):
            return match.group()
        counts["name"] += 1
        _record(counts, handle)
        start = match.start("handle") - match.start()
        whole = match.group()
        return whole[:start] + TOKEN["name"] + whole[start + len(handle) :]

    if "@" in text:
        # Slack writes a user mention as <@USERID|name>: always a person.
        text = _SLACK_MENTION.sub(lambda m: masked(m, always=True), text)
        text = _MENTION.sub(masked, text)
    if "<" in text:
        text = _CHAT_HANDLE.sub(masked, text)
    return text


RULES: tuple[Rule, ...] = (
    _names_after(_GREETING, lambda _match: True),
    _names_after(_SIGN_OFF, _sign_off_mode),
    _names_after(_SIGNATURE, lambda _match: False),
    _names_after(_SIGNATURE_INLINE, lambda _match: True),
    _names_after(_FIELD, lambda _match: True),
    _names_after(_INTRODUCTION, lambda _match: True),
    _names_after(_TITLED, lambda _match: False, keep_lead=False),
    _names_after(_PERSON_NOUN_LEAD, lambda _match: False, accept=_a_person),
    _names_after(_PERSON_VERB_LEAD, lambda _match: False, accept=_a_first_name),
    _full_names,
    _possessives,
    _signature_blocks,
    _lower_names,
    _display_names,
    _header_lists,
    _dash_signatures,
    _chat_lines,
    _handles,
)
