"""Whom or what a hateful clause is about: a group of people, a hate symbol or movement, or the words of hate itself.

The meaning stage's hate head reads history and protest too darkly: a civil-rights march, a Holocaust memorial, a
chapel's cross, a Soviet flag over the Reichstag all score like propaganda. Hate needs a target: a protected group
("Muslims drawn as rats"), a symbol or movement ("a banner with a swastika"), or a word that names the hate
("racist poster"). So a hate reading by the head alone counts only in a clause that holds one of these; the rules'
own hate terms and conjunctions are unaffected. Stems are matched at a word's start, so inflected forms count
("мигрантов", "Kürtleri"); scripts without spaces are matched anywhere in the clause.
"""

from __future__ import annotations

import re

# Groups of people: peoples, religions, origins, orientations and genders, in the languages the filter covers.
_GROUPS = (
    "jew", "jewish", "muslim", "moslem", "islam", "arab", "black", "negro", "african", "asian", "chinese", "mexican",
    "immigrant", "migrant", "refugee", "foreigner", "gay", "lesbian", "homosexual", "queer", "lgbt",
    "transgender", "trans people", "trans women", "trans men",
    "gypsy", "gypsies", "roma people", "romani", "indian", "hindu", "sikh", "christian", "catholic", "kurd", "armenian",
    "turk", "latino", "hispanic", "native american", "aborigin", "jude", "juden", "jüd", "muslim", "moslem", "araber",
    "schwarze", "ausländer", "flüchtling", "zigeuner", "schwul", "judío", "judio", "musulm", "árabe", "negros",
    "inmigrante", "gitano", "maric", "juif", "juive", "musulman", "arabe", "noirs", "immigré", "bougnoul", "ebre",
    "musulman", "negri", "zingar", "frocio", "judeu", "muçulman", "nordestin", "macaco", "marokkan", "moslim",
    "joden", "zwarte", "turken", "żyd", "żydz", "muzułman", "cygan", "uchodźc", "pedał", "еврей", "евре", "жид",
    "мусульман", "кавказ", "чурк", "мигрант", "негр", "цыган", "гей", "хохл", "москал", "єврей", "мусульман",
    "мігрант", "циган", "kürt", "ermeni", "yahudi", "suriyeli", "arap", "müslüman", "çingene", "يهود", "اليهود",
    "مسلم", "عرب", "سود", "مهاجر", "لاجئ", "افغان", "یهود", "مسلمان", "عرب", "افغانی", "بهائی", "יהוד", "ערבי",
    "מוסלמ", "כושי", "मुसलमान", "मुस्लिम", "हिंदू", "दलित", "ईसाई", "यहूदी", "người da đen", "người do thái",
    "người hồi giáo", "orang cina", "cina", "yahudi", "muslim", "invandrar", "svart", "zigenare",
)
_GLUED_GROUPS = (
    "犹太", "猶太", "穆斯林", "回族", "黑人", "黑鬼", "移民", "难民", "難民", "同性恋", "同性戀", "维吾尔",
    "日本鬼子", "支那",
    "ユダヤ", "イスラム", "ムスリム", "黒人", "朝鮮人", "韓国人", "中国人", "在日", "外国人", "移民", "同性愛",
    "유대인", "무슬림", "흑인", "조선족", "이민자", "난민", "동성애", "외국인", "ชาวยิว", "มุสลิม", "คนดำ", "ผู้อพยพ",
)
# Hate symbols, movements and the words that name hate.
_MARKS = (
    "racist", "racism", "fascis", "nazi", "neonazi", "neo-nazi", "swastika", "hakenkreuz", "kkk", "klan", "white power",
    "supremac", "genocid", "ethnic cleansing", "pogrom", "propaganda", "slur", "vermin", "subhuman", "untermensch",
    "rassis", "faschis", "völkermord", "rassist", "racista", "fascista", "genocidio", "genocídio", "raciste",
    "fasciste", "génocide", "razzist", "fascist", "racistisch", "rasist", "faszyst", "ludobój", "расист", "фашист",
    "свастик", "нацист", "геноцид", "ırkçı", "faşist", "soykırım", "gamalı haç", "عنصري", "فاشي", "نازي",
    "نژادپرست", "فاشیست", "נאצי", "גזעני", "नस्लवादी", "नाज़ी", "फासीवादी", "phân biệt chủng tộc", "phát xít",
    "rasis", "fasis", "nazisme", "swastik", "celtic cross", "krzyż celtyck", "krzyżem celtyck", "keltenkreuz",
    "cruz celta", "croix celtique", "кельтск", "whites only", "white only", "tylko dla biał", "nur für weiße",
    "solo para blancos", "только для белых", "sieg heil", "heil hitler", "1488", "ss rune", "sonnenrad",
)
_GLUED_MARKS = (
    "种族主义", "種族主義", "种族歧视", "種族歧視", "纳粹", "納粹", "卍", "卐", "法西斯", "屠杀", "屠殺", "大屠杀",
    "人種差別", "ナチ", "ハーケンクロイツ", "虐殺", "ファシスト", "인종차별", "나치", "학살", "파시스트", "혐오",
    "เหยียดเชื้อชาติ", "นาซี", "ฟาสซิสต์",
)


def _word_starts(stems: tuple[str, ...]) -> str:
    return r"(?<!\w)(?:" + "|".join(sorted(map(re.escape, set(stems)), key=len, reverse=True)) + ")"


_TARGET = re.compile(_word_starts(_GROUPS + _MARKS) + "|" + "|".join(map(re.escape, _GLUED_GROUPS + _GLUED_MARKS)),
                     re.IGNORECASE)
# Remembering the victims is not hating them: a clause about a memorial, a museum or a vigil is read by the rules only.
_REMEMBRANCE = re.compile(_word_starts((
    "memorial", "remembrance", "commemorat", "museum", "monument", "vigil", "in memory", "gedenk", "mahnmal",
    "museo", "monumento", "homenaje", "homenagem", "mémorial", "commémor", "musée", "memoriale", "commemoraz",
    "herdenking", "monument", "pomnik", "upamiętn", "muzeum", "мемориал", "памят", "музей", "меморіал", "пам'ят",
    "anıt", "anma", "müze", "نصب تذكاري", "ذكرى", "یادبود", "אנדרטה", "יד ושם", "זיכרון", "स्मारक", "श्रद्धांजलि",
    "tưởng niệm", "bảo tàng", "peringatan", "monumen", "minnesmärke", "minnes"))
    + "|纪念|紀念|記念|追悼|慰霊|기념|추모|อนุสรณ์",
    re.IGNORECASE)
_MARK = re.compile(_word_starts(_MARKS) + "|" + "|".join(map(re.escape, _GLUED_MARKS)), re.IGNORECASE)


def has_hate_target(clause: str) -> bool:
    """Whether a clause names a group of people, a hate symbol or movement, or hate itself — and is not about
    remembering its victims."""
    return bool(_TARGET.search(clause)) and not remembers(clause)


# The swastika is also a Hindu, Jain and Buddhist sign. In a prompt about one of those, it is not a hate mark by
# itself: the heads read it as hate at 1.00 ("hindu temple, swastika symbol carved, diwali"). The rules still judge
# it (a swastika flag, armband or rally is the Nazi one whatever the prompt says).
_DHARMIC = re.compile(r"(?<!\w)(?:hindu|jain|buddhis|diwali|deepavali|rangoli|ganesh|mandir|temple|puja|pooja|"
                      r"sanskrit|tibet|bali|vedic|mantra|om symbol|lakshmi|manji)|寺|佛|仏|寺院", re.IGNORECASE)
_SWASTIKA = re.compile(r"(?<!\w)(?:swastikas?|svastikas?|suastika|esvásticas?|svastica)(?!\w)|卍|卐", re.IGNORECASE)


def hate_readable(clauses: list[str]) -> list[bool]:
    """For each clause of one prompt, whether the meaning stage's hate reading of it counts: the clause names a
    target, or the prompt names hate anywhere — and the clause is not about remembering victims."""
    if _DHARMIC.search(" , ".join(clauses)):
        clauses = [_SWASTIKA.sub(" ", c) for c in clauses]
    anywhere = names_hate(" , ".join(clauses))
    return [not remembers(c) and (anywhere or has_hate_target(c)) for c in clauses]


def remembers(clause: str) -> bool:
    """Whether a clause is about remembering: a memorial, a museum, a vigil ("南京大屠杀遇难同胞纪念馆")."""
    return bool(_REMEMBRANCE.search(clause))


def names_hate(text: str) -> bool:
    """Whether a whole prompt names a hate symbol or movement, or hate itself ("…, propaganda"): then every clause
    of it may be read as hate."""
    return bool(_MARK.search(text))
