"""Which words are people's first names, and which words only look like one.

No NER model can be downloaded in this deployment, so names in prose ("my colleague Priya
Raman cannot print") are found with a gazetteer: the 45,000 first names of Jörg Michael's
name dictionary (shipped in the `gender-guesser` package, with frequencies for 54 countries),
plus names of regions that dictionary covers thinly. A first name alone proves little ("Will",
"Mark", "May", "Ruby"), so the rules in `names` use it only next to a surname, after a word
that introduces a person, or after a greeting; words that are also ordinary English or IT words
are listed here and need more evidence.

Matching folds case and accents: "Francois" is "François"."""

from __future__ import annotations

import unicodedata
from functools import cache, lru_cache
from importlib import resources

# Common given names that the dictionary lacks or lists as very rare (West and East Africa,
# South Asia, South-East Asia, the Arab world, and recent English-speaking favourites).
_SUPPLEMENT = """
kwame kwabena kofi kojo kwesi yaw ama akosua abena adwoa efua esi afua yaa chidi chidinma
chinedu chioma chiamaka ngozi emeka obinna ifeanyi nnamdi uche uchenna ikenna olumide
oluwaseun oluwatobi olamide olayinka adebayo adewale ayodele babajide temitope tunde tolu
funmilayo folasade yetunde segun femi bola kunle wale dayo ngoc lerato thabo sipho zanele
thandiwe themba mandla lindiwe nomvula bongani siyabonga tshepo kagiso palesa refilwe naledi
amara zuri wanjiru wambui njeri kamau otieno achieng akinyi omondi odhiambo mwangi baraka
juma neema zawadi rehema halima amani imani tendai tatenda farai rudo chipo tinashe ananya
aarav aditya advait akshay amit anil anjali ankit anusha arnav aryan ashwin deepika devika
divya gaurav harsh isha ishaan kavya kiran krishna lakshmi madhav meera neha nikhil nisha
pooja pranav prateek priyanka rahul rajesh rohan rohit sachin sahil sanjana shreya siddharth
sneha suresh tanvi varun vikram vivek yash zoya ayesha aisha bilal faisal farhan hamza imran
irfan junaid kashif nadia omar rashid saad sana shahid tariq usman zainab zara nguyen thanh
thuy trang huong linh phuong quang dung hieu khanh nhung tuyet duc long hai nam phuc vinh
somchai siriporn nattapong kanya pim arif budi dewi putri rizky sari wahyu agus yusuf ayse
ayşe elif zeynep burak emre can cem kerem mert oguz serkan tuba ebru hatice hüseyin mustafa
francois élodie jayden jaxon kayden brayden aiden ayden nevaeh paisley brooklynn kinsley
""".split()

# First names that are also everyday English words, IT words, place names or month names:
# never enough on their own, also in a greeting ("Hi all", "thanks again").
AMBIGUOUS = frozenset(
    """
    will may mark bill grant chase hope faith joy rose jack max dean guy art page lane miles
    drew gene frank sandy rusty rocky buck chip chuck duke king prince major bishop ruby pearl
    iris lily holly ivy heather angel sunny storm river rain star sky summer autumn winter
    spring dawn eve crystal amber june april august march jan sept christian jordan austin
    paris florence victoria georgia virginia carolina dakota cheyenne phoenix sydney chelsea
    lincoln jackson madison houston dallas denver cleveland orlando savannah vienna geneva
    london milan berlin dell siri alexa cortana go duo ping ad lan wan hi ok trace asset key
    slave job fedora ninja lite sage alto huawei suse mac forest brook stone norton have
    can an and the so see sun mon tue wed thu fri sat long young little white black brown
    green gray grey hall wood field price cook baker hunter mason rich case day ford ward west
    north south east banks bell fox lamb moon rice snow hill park bush cash gold silver penny
    honey candy misty dusty sterling colt ace bear buddy champ king pat don ray roy rob bob
    van von del la le de da di du al el bo ed ali per nick
    clay dale glen glenn wade cliff rod reed heath carol noel sol ram sonny sunny tan lu yu
    ma mo no so ha hu an jo ja si ti ta te to lo ra ro re ri su amit echo delta alpha beta
    gamma kappa sigma omega apple cherry olive poppy daisy jasmine violet hazel ginger sage
    basil laurel willow maple aspen cedar juniper rowan ash oakley skye blue red rusty
    harmony melody destiny trinity serenity justice liberty patience prudence charity mercy
    grace unity bliss happy lucky sunny precious princess queen lady baron earl marshal
    deacon pastor parson judge sheriff bishop abbot monk friar saint santa angel devil
    buster ranger hunter archer fisher porter carter cooper taylor tyler turner walker
    parker spencer chandler mason sawyer tanner wyatt dallas trent kent brent
    charlotte augusta helena regina alexandria eugene kingston lafayette salem marion
    valencia santiago sofia lima quito victoria adelaide perth darwin hamilton wellington
    nelson jersey chester lancaster winchester preston bradford clifton orange
    core sub pro max mini nova stella luna aurora apollo atlas titan orion zeus juno
    cassandra ada raid brand mercury jasper hermes athena minerva nova electra
    """.split()
)

# Capitalised words that are not surnames in an IT ticket: products, parts of UIs, places
# and titles. A gazetteer first name followed by one of these is not a person.
NOT_SURNAMES = frozenset(
    """
    server servers client desktop laptop pc mac printer scanner router switch firewall network
    drive drives disk disks account accounts access admin administrator user users group
    groups team teams office outlook excel word powerpoint windows linux ubuntu debian
    chrome edge firefox safari zoom slack jira confluence sharepoint onedrive azure aws
    google microsoft apple cisco dell lenovo hp ibm oracle sap vmware citrix adobe acrobat
    reader portal console dashboard manager center centre settings options tools service
    services support desk helpdesk ticket tickets incident request update updates upgrade
    release version edition pro plus max mini ultra lite home business enterprise standard
    premium basic professional server2019 studio code cloud online app apps mobile phone
    device devices connection connections error errors warning exception crash issue issues
    problem problems policy policies key keys token tokens password passwords login logon
    setup install installer installation config configuration file files folder folders
    share shares backup restore database table query report reports monday tuesday wednesday
    thursday friday saturday sunday january february march april may june july august
    september october november december morning afternoon evening night today tomorrow
    yesterday street road avenue lane drive way north south east west university college
    school hospital bank corp inc ltd gmbh llc group system systems platform api sdk cli
    gateway proxy vpn dns dhcp ad ldap sso mfa wifi wlan lan wan usb hdmi bluetooth bios
    uefi kernel driver drivers firmware patch hotfix build builds pipeline job jobs task
    tasks agent agents node nodes cluster pod pods container containers image images
    instance instances volume volumes bucket buckets queue queues topic topics event events
    log logs monitor monitoring alert alerts switches status type mode level name value list
    view grid field form button menu tab page site room rooms floor building point control
    panel change changes request requests release releases upgrade migration rollout plan
    review approval approvals notes note summary details overview schedule meeting meetings
    training session sessions board boards channel channels chat calendar mailbox inbox
    license licence licenses licences subscription subscriptions tenant region zone zones
    core edge hub branch office offices plant warehouse lab labs growth strategy strategies
    marketing sales campaign campaigns analytics insights solutions controller controllers
    device devices connectivity performance roles permissions users groups
    """.split()
)

# Frequent words of the languages tickets are written in. The name dictionary also lists
# given names that are spelled like them ("The", "You", "Long" and "Man" are Vietnamese or
# Chinese names; "Bitte" is a rare German one), so these are never taken for a first name by
# the gazetteer alone; a known name of the organization still counts.
COMMON_WORDS = frozenset(
    """
    a about above after again against all am an and any are as at be because been before
    being below between both but by can cannot could did do does doing down during each few
    for from further had has have having he her here hers herself him himself his how i if
    in into is it its itself just me more most my myself no nor not now of off on once only
    or other our ours ourselves out over own same she should so some such than that the
    their theirs them themselves then there these they this those through to too under until
    up very was we were what when where which while who whom why will with would you your
    yours yourself yourselves one two three four five six seven eight nine ten first last
    next new old good bad big small long short high low right left said made make made way
    day time year work home back well even also much many most every any each other another
    such only own same than too very just now then here there when where why how all both
    few more most some any no nor not only own same so than too very can will just don should
    now get got go goes going gone come came see saw look use used using find found give
    take took put set run ran try tried need needed want wanted know knew think thought
    tell told ask asked call called keep kept let help show shown start started stop stopped
    red blue green black white gray grey everyone everybody folks guys team mate mates buddy
    sir madam lot lots million heaps bunch loads advance ahead anyway though tho btw already
    still kindly pls please sorry ok okay yes yeah yep cool great awesome thanks thank
    regards best cheers hello hi hey dear morning evening afternoon support helpdesk admin
    admins it hr finance ppl people colleagues friends man men woman women boy girl son
    der die das den dem des ein eine einer eines einem einen und oder aber nicht ist sind war
    waren hat haben wird werden kann können muss müssen soll sollen mit ohne für von vom zum
    zur bei beim nach vor seit über unter zwischen auf aus am im ins um durch gegen bis als
    wie wo was wer wann warum welche welcher dieser diese dieses jeder alle alles auch noch
    schon nur sehr mehr viel wenig gut neu heute morgen gestern immer nie oft hier dort ja
    nein kein keine mein meine dein sein seine ihr ihre unser euer ich du er sie es wir man
    sich bitte danke hallo gruß grüße viele liebe beste freundliche herzliche leider gerne
    mir mich dir dich uns euch ihm ihn ihnen etwas nichts jetzt dann denn doch mal wieder
    gerade sicher unsicher froh dabei damit dafür dazu darum
    moi toi lui eux leur rien tout très peu déjà encore ici
    me te le les nos os mí ti sí nada algo muy poco aquí
    mi ti ci vi ne
    le la les un une des du de et ou mais ne pas est sont était avec sans pour par sur sous
    dans entre chez vers après avant depuis pendant comme quand où qui que quoi dont ce cette
    ces mon ma mes ton ta tes son sa ses notre nos votre vos leur leurs je tu il elle nous
    vous ils elles on oui non merci bonjour salut bien très plus moins tout tous toute toutes
    aussi encore déjà jamais toujours souvent ici là
    el los las unos unas y o pero es son era con sin para por sobre bajo en desde hasta
    como cuando donde quien cual este esta estos estas mi mis tus su sus nuestro vuestro yo
    tú él ella nosotros vosotros ellos ellas sí gracias hola muy más menos todo todos también
    ya nunca siempre aquí allí lo
    il lo gli uno una è sono con senza per su tra fra da come dove chi che questo questa
    quello mio tuo suo nostro vostro loro io lui lei noi voi si grazie ciao bene molto più
    meno tutto anche già mai sempre qui
    het een en maar niet zijn met zonder voor door op onder tussen bij naar na als wanneer
    waar wie wat dit dat deze die mijn jouw haar ons jullie hun ik jij hij zij wij nee dank
    bedankt goed heel meer minder ook nooit altijd daar
    os as um uma ou mas não são com sem em até onde quem meu minha seu sua nosso eu ele ela
    nós eles elas sim obrigado obrigada olá bem muito tudo já aqui ali
    """.split()
)


@lru_cache(maxsize=65536)
def _folded(words: frozenset[str]) -> frozenset[str]:
    return frozenset(fold(word) for word in words)


def fold(word: str) -> str:
    """Case- and accent-insensitive key: "François" and "francois" are one name."""
    decomposed = unicodedata.normalize("NFKD", word.casefold())
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


@cache
def first_names() -> dict[str, int]:
    """Folded first names and how common each is (the dictionary's 1 = rare to 13 = extremely
    common, the highest over its countries); loaded once per process, about 50 ms."""
    found: dict[str, int] = dict.fromkeys((fold(name) for name in _SUPPLEMENT), 5)
    data = resources.files("gender_guesser") / "data" / "nam_dict.txt"
    with data.open(encoding="utf-8") as lines:
        for line in lines:
            # Comments, "equivalent name" lines, and the dictionary's duplicate spellings with
            # expanded umlauts (a "+" in column 30) are skipped.
            if line[:1] in ("#", "=") or len(line) < 31 or line[29] == "+":
                continue
            name = line[3:29].strip()
            if len(name) < 2:
                continue
            frequency = max((int(ch, 16) for ch in line[30:85] if ch in _HEX), default=1)
            # Asian compound names: "Jun+Wei" is written "Jun-Wei" or "Jun Wei" (each part a
            # word of its own); the run-together form would also match place names.
            key = fold(name.replace("+", "-"))
            found[key] = max(frequency, found.get(key, 0))
    return found


_HEX = frozenset("0123456789ABCDEF")


@lru_cache(maxsize=65536)
def name_frequency(word: str) -> int:
    """How common `word` is as a first name (0: not one). "Jean-Baptiste" counts when each of
    its parts is a first name."""
    names = first_names()
    key = fold(word)
    if key in names:
        return names[key]
    if "-" in key:
        parts = [names.get(part, 0) for part in key.split("-") if part]
        return min(parts) if parts and all(parts) else 0
    return 0


def is_first_name(word: str, min_frequency: int = 1) -> bool:
    return name_frequency(word) >= min_frequency


@lru_cache(maxsize=65536)
def is_clear_first_name(word: str, min_frequency: int = 1) -> bool:
    """A first name that is not also an ordinary word: enough on its own after a greeting."""
    key = fold(word)
    return (
        len(key) > 2
        and name_frequency(word) >= min_frequency
        and key not in AMBIGUOUS
        and key not in COMMON_WORDS
    )


# Looked up by folded key, so stored folded too ("não" is "nao").
AMBIGUOUS = _folded(AMBIGUOUS)
NOT_SURNAMES = _folded(NOT_SURNAMES)
COMMON_WORDS = _folded(COMMON_WORDS)
