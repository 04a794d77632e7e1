"""Prompts that name a harm to oppose it or to say it is absent: "a suicide prevention poster", "Plakat gegen
Rassismus", "a haunted hayride, no blood, no gore", "僵尸…，无血腥".

The harm's *name* is not the harm: a poster about preventing suicide shows a sunrise, not a death. So, before the
rule and meaning stages read a prompt, such names are taken out of it — only the abstract name in a clause that
opposes it (``suicide`` in "suicide prevention", ``racism`` in "against racism"), and only a thing whose absence is
harmless after a "no" ("no gore", not "no clothes"). Everything else in the clause is still read: "an anti-suicide
poster of a man hanging himself" keeps "hanging himself", and a hate act ("against Jews") is no abstract name.
"""

from __future__ import annotations

import re

# The abstract names of self-harm, which a prevention clause may carry without depicting anything.
_SELF_HARM = (r"suicide|suicidal|self[- ]?harm|self[- ]?injury|suicidio|suicídio|suizid|selbstmord|selbstverletzung|"
              r"zelfmoord|zelfbeschadiging|samobójstw\w*|samookaleczen\w*|самоубийств\w*|суицид\w*|самогубств\w*|"
              r"intihar\w*|انتحار|الانتحار|خودکشی|התאבדות|आत्महत्या|självmord|autolesi\w+|automutila\w+|"
              r"tự tử|bunuh diri|自殺|自杀|自殘|自残|自傷|자살|자해|ฆ่าตัวตาย")
# Words that make a clause about preventing or recovering from it, in the languages the filter covers.
_PREVENTION = (r"prevent\w*|awareness|hotline|helpline|crisis line|lifeline|recovery|survivors?|support group|"
               r"prävention|vorbeug\w*|telefonseelsorge|prevenci\w+|prevenç\w+|prevenir|prévention|prévenir|"
               r"prevenzione|preventie|zapobieg\w*|profilaktyk\w*|профилактик\w*|предотвращ\w*|телефон доверия|"
               r"запобіг\w*|профілактик\w*|önleme\w*|الوقاية|منع|پیشگیری|מניעת|रोकथाम|förebygg\w*|pencegahan|"
               r"phòng chống|phòng ngừa|setembro amarelo|予防|防止|いのちの電話|预防|預防|热线|熱線|예방|방지|ป้องกัน")
# The abstract names of hate, which a clause may oppose.
_HATE = (r"racism|hate|hatred|discrimination|bigotry|xenophobia|antisemitism|islamophobia|homophobia|transphobia|"
         r"rassismus|hass|diskriminierung|racismo|odio|ódio|discriminaci\w+|discriminaç\w+|racisme|haine|"
         r"razzismo|odio|discriminazione|haat|discriminatie|rasizm\w*|nienawiś\w*|dyskryminacj\w*|расизм\w*|"
         r"ненавист\w*|дискриминаци\w*|дискримінаці\w*|ırkçılı\w*|nefret\w*|ayrımcılı\w*|عنصرية|العنصرية|كراهية|"
         r"نژادپرستی|تبعیض|גזענות|שנאה|नस्लवाद|नफरत|भेदभाव|rasism|rasisme|rasisme|kebencian|phân biệt chủng tộc|"
         r"人種差別|差別|ヘイト|种族主义|種族主義|种族歧视|種族歧視|歧视|歧視|仇恨|인종차별|차별|혐오")
_OPPOSE = (r"against|anti|stop|end|fight|no place for|say no to|unite|united|gegen|kein platz für|nein zu|contra|"
           r"no al|no a la|basta|contre|non au|non à la|contro|tegen|przeciw\w*|nie dla|против|нет|проти|ні|"
           r"karşı\w*|hayır|ضد|لا لل\w*|علیه|نه به|נגד|खिलाफ|विरुद्ध|mot|melawan|chống|反对|反對|反|拒绝|撲滅|"
           r"反対|반대|ต่อต้าน") + "|" + _PREVENTION
# Things whose absence is harmless (never clothing: "no clothes" asks for nudity), and the words that say "none".
_ABSENT = (r"gore|blood|bloodshed|violence|nudity|nsfw|porn|sex|sexual content|weapons?|drugs|sangre|sangue|sang|"
           r"blut|gewalt|bloed|geweld|krwi|przemocy|крови|насилия|крові|насильства|kan|şiddet|darah|kekerasan|"
           r"violencia|violência|violenza|nudité|nudez|desnudos|nacktheit|"
           r"血腥|流血|暴力|血|裸露|色情|グロ|ゴア|流血表現|유혈|고어|노출")
_NONE = (r"no|without|zero|sin|sem|ohne|kein|keine|sans|senza|bez|без|geen|tanpa|không có|"
         r"无|無|不含|没有|沒有|なし|없는|없이")

# The Nazi regime named as what was fought or defeated: "the heroes who defeated Hitler", "Helden gegen die Nazis",
# "victory over fascism". Only the name right after the opposing words goes — "glorious SS men fighting against the
# partisans" keeps its SS, and "against the Jews" is no regime.
_REGIME = (r"nazis?|nazism|nazi germany|nazi occupation|hitler|adolf hitler|the third reich|third reich|wehrmacht|"
           r"fascis\w*|faschis\w*|nazisme|fascisme|nazismus|nazistas?|nazistes?|nazismo|нацист\w*|нацизм\w*|фашист\w*|"
           r"фашизм\w*|гитлер\w*|hitlera?|hitlerowc\w*|nazist\w*")
_AGAINST = (r"against|fought|fighting|fight|fights|defeated|defeating|the defeat of|victory over|triumph over|"
            r"resisting|resistance against|resistance to|liberated from|liberation from|escaped from|hiding from|"
            r"hid from|gegen|kampf gegen|sieg über|widerstand gegen|befreiung von|contra|lucharon contra|"
            r"luchando contra|victoria sobre|contre|victoire sur|résistance contre|contro|vittoria sul|"
            r"vittoria sui|tegen|przeciw\w*|против|победа над|победы над|над|karşı|melawan|抗击|反抗")
_ARTICLE = r"(?:(?:the|die|den|dem|der|los|las|les|el|la|le|il|i|gli|de|het)\s+)?"
_B = r"(?<![\w-])"  # a word's start (a hyphen joins: "anti-racism" is one opposing phrase)
_E = r"(?![\w])"


def _words(alternatives: str) -> re.Pattern[str]:
    # Terms in scripts without spaces are matched anywhere; the others as whole words.
    return re.compile(rf"(?:{_B}(?:{alternatives}){_E})|(?:{alternatives})(?=[\u3040-\u9fff\uac00-\ud7af\u0e00-\u0e7f])"
                      rf"|(?<=[\u3040-\u9fff\uac00-\ud7af\u0e00-\u0e7f])(?:{alternatives})", re.IGNORECASE)


_SELF_HARM_RE, _PREVENTION_RE = _words(_SELF_HARM), _words(_PREVENTION)
_HATE_RE, _OPPOSE_RE = _words(_HATE), _words(_OPPOSE)
# "no gore", "without blood", "sin sangre"… and the CJK forms that put "none" first (无血腥) or last (血なし).
_ABSENCE_RE = re.compile(rf"{_B}(?:{_NONE})[\s-]+(?:(?:any|visible|graphic|explicit|de|di|la|el)\s+)?(?:{_ABSENT}){_E}"
                         rf"|(?:无|無|不含|没有|沒有)(?:{_ABSENT})|(?:{_ABSENT})(?:なし|無し|없는|없이)", re.IGNORECASE)
_AGAINST_REGIME_RE = re.compile(rf"({_B}(?:{_AGAINST})\s+{_ARTICLE})(?:{_REGIME}){_E}", re.IGNORECASE)
_CLAUSE_SPLIT = re.compile(r"([,;.!?，、；。！？\n]+)")


def without_opposed_harms(text: str) -> str:
    """The prompt with the names of harms it opposes, or says are absent, blanked out (see the module's docstring).
    The rest of every clause stays as written."""
    # Most prompts name no harm at all: one pass over the whole text settles them.
    if not text or not (_SELF_HARM_RE.search(text) or _HATE_RE.search(text) or _ABSENCE_RE.search(text)
                        or _AGAINST_REGIME_RE.search(text)):
        return text
    parts = _CLAUSE_SPLIT.split(text)
    out = []
    for part in parts:
        if not part or _CLAUSE_SPLIT.fullmatch(part):
            out.append(part)
            continue
        clause = _ABSENCE_RE.sub(" ", part)
        if _PREVENTION_RE.search(clause):
            clause = _SELF_HARM_RE.sub(" ", clause)
        if _OPPOSE_RE.search(_HATE_RE.sub(" ", clause)) and _HATE_RE.search(clause):
            clause = _HATE_RE.sub(" ", clause)
        clause = _AGAINST_REGIME_RE.sub(lambda m: m.group(1) + " ", clause)
        out.append(clause)
    return "".join(out)

