"""Ages under 18, written the ways people write them: digits or number words with a unit, in many languages.

An age is a minors signal; it only matters together with a sexual signal ("a 12 year old blowing out candles" is an
ordinary prompt). Every literal here goes through the same normalisation as the prompt (accents and combining marks
removed, case folded), so the patterns are written in that form.
"""

from __future__ import annotations

import re
from functools import cache

from safety.normalize import base_form

ADULT_AGE = 18

# Units that follow a number: "12 years", "12yo", "12 ans", "12 Jahre", "12 años", "12 лет", "12歳", "12살", …
_UNITS_AFTER = (
    # English "years" only with "old": "ten years later" and "two years of marriage" are not ages.
    "years old", "year old", "years-old", "year-old", "yrs old", "yr old", "yrs", "yo", "y/o", "y.o", "y o",
    "ans", "jahre", "jahren", "jahrige", "jahriges",
    "jahriger", "anos", "ano", "anni", "anno", "jaar", "jarige", "ar", "aar", "lat", "lata", "let", "лет", "года",
    "год", "годиков", "рокив", "роки", "рок", "yas", "yasinda", "yasindaki", "tuoi", "tahun", "thn",
    "saal", "sal ki", "saal ki", "baras",
    "godina",
    "vuotias", "ετων", "χρονων", "arig", "arige", "aring", "jarig", "jahrig", "letnia", "letni", "letnie",
    "letniej", "letnim", "leta", "lety", "lete", "років", "рокiв", "рік", "летняя", "летний",
    "سنة", "سنوات", "عاما", "عام", "ساله", "سال", "साल", "वर्ष", "बरस", "שנים", "שנה",
    "歳", "才", "岁", "歲", "周岁", "週歲", "살", "세", "ปี", "ขวบ",
)
# Units that come before a number: "aged 12", "age 12", "âgée de 12", "בת 12", "عمرها 12", "بعمر 12".
_UNITS_BEFORE = ("aged", "age", "agee de", "age de", "agee", "edad", "alter", "alter von", "im alter von", "בת", "בן",
                 "عمرها", "عمره", "بعمر", "umur", "usia", "возраст", "в возрасте")
# Grades: "7th grade", "grade 7", "7th grader", "8. klasse", "5e", "6º grado", "중2", "小6", "中2".
_GRADE = re.compile(r"\b(\d{1,2})\s*(?:st|nd|rd|th)?\s*grade(?:r|rs)?\b|\bgrade\s*(\d{1,2})\b"
                    r"|\b(\d{1,2})\s*\.?\s*(?:klasse|klassler|klasslerin|grado|classe|klas|klasy|klasa|класс|класса|класу|класі|"
                    r"клас|sinif|sinifta)\b")
# "中2", "小6" (digits), or a Han numeral with its grade word ("初一年级", "高二生"): "高一点" ("a bit taller") is not.
_GRADE_CJK = re.compile(r"(?:小学?|中学?|初|高|초|중|고)\s*(?:[1-6](?!\d)|[一二三四五六](?=\s*(?:年|学生|生|학년)))")

_NUMBER_WORDS: dict[str, dict[str, int]] = {
    "en": {"one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6, "seven": 7, "eight": 8, "nine": 9,
           "ten": 10, "eleven": 11, "twelve": 12, "thirteen": 13, "fourteen": 14, "fifteen": 15, "sixteen": 16,
           "seventeen": 17},
    "de": {"ein": 1, "zwei": 2, "drei": 3, "vier": 4, "funf": 5, "sechs": 6, "sieben": 7, "acht": 8, "neun": 9,
           "zehn": 10, "elf": 11, "zwolf": 12, "dreizehn": 13, "vierzehn": 14, "funfzehn": 15, "sechzehn": 16,
           "siebzehn": 17},
    "es": {"un": 1, "dos": 2, "tres": 3, "cuatro": 4, "cinco": 5, "seis": 6, "siete": 7, "ocho": 8, "nueve": 9,
           "diez": 10, "once": 11, "doce": 12, "trece": 13, "catorce": 14, "quince": 15, "dieciseis": 16,
           "diecisiete": 17},
    "pt": {"dois": 2, "quatro": 4, "cinco": 5, "sete": 7, "oito": 8, "nove": 9, "dez": 10, "onze": 11, "doze": 12,
           "treze": 13, "catorze": 14, "quatorze": 14, "quinze": 15, "dezesseis": 16, "dezasseis": 16,
           "dezessete": 17, "dezassete": 17},
    "fr": {"deux": 2, "trois": 3, "quatre": 4, "cinq": 5, "sept": 7, "huit": 8, "neuf": 9, "dix": 10, "onze": 11,
           "douze": 12, "treize": 13, "quatorze": 14, "quinze": 15, "seize": 16, "dix-sept": 17, "dix sept": 17},
    "it": {"tre": 3, "sei": 6, "sette": 7, "otto": 8, "dieci": 10, "undici": 11, "dodici": 12, "tredici": 13,
           "quattordici": 14, "quindici": 15, "sedici": 16, "diciassette": 17},
    "ru": {"пять": 5, "шесть": 6, "семь": 7, "восемь": 8, "девять": 9, "десять": 10, "одиннадцать": 11,
           "двенадцать": 12, "тринадцать": 13, "четырнадцать": 14, "пятнадцать": 15, "шестнадцать": 16,
           "семнадцать": 17},
    "ko": {"한": 1, "두": 2, "세": 3, "네": 4, "다섯": 5, "여섯": 6, "일곱": 7, "여덟": 8, "아홉": 9, "열": 10,
           "열한": 11, "열두": 12, "열세": 13, "열네": 14, "열다섯": 15, "열여섯": 16, "열일곱": 17},
}
_CJK_NUMERALS = {"一": 1, "二": 2, "两": 2, "兩": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


def _alternation(words: list[str] | tuple[str, ...]) -> str:
    forms = {base_form(w).strip() for w in words}
    return "|".join(re.escape(f).replace(r"\ ", r"\s*") for f in sorted(forms, key=len, reverse=True) if f)


@cache
def _patterns() -> tuple[re.Pattern[str], re.Pattern[str], re.Pattern[str], dict[str, int]]:
    after = _alternation(_UNITS_AFTER)
    before = _alternation(_UNITS_BEFORE)
    digits = re.compile(rf"(?<![\d.,])(\d{{1,2}})\s*-?\s*(?:{after})(?![a-zа-я])|(?:{before})\s*:?\s*(\d{{1,2}})(?!\d)")
    words = {base_form(w).strip(): n for table in _NUMBER_WORDS.values() for w, n in table.items()}
    word_re = re.compile(rf"(?<![\w])({_alternation(list(words))})\s*-?\s*(?:{after})(?![a-zа-я])")
    cjk = re.compile(r"([一二两兩三四五六七八九十]{1,3})\s*(?:歳|才|岁|歲|周岁|週歲)")
    return digits, word_re, cjk, words


def _cjk_number(text: str) -> int:
    if text == "十":
        return 10
    if text.startswith("十"):
        return 10 + _CJK_NUMERALS.get(text[1:], 0)
    tens, ten, ones = text.partition("十")
    return _CJK_NUMERALS.get(tens, 0) * (10 if ten else 1) + _CJK_NUMERALS.get(ones, 0)


def minor_ages(base: str) -> list[str]:
    """Every age under 18 (and every school grade) written in the normalised text ``base``."""
    digits, word_re, cjk, words = _patterns()
    found = [m.group(0).strip() for m in digits.finditer(base)
             if int(next(g for g in m.groups() if g)) < ADULT_AGE]
    found += [m.group(0).strip() for m in word_re.finditer(base) if words.get(m.group(1), 99) < ADULT_AGE]
    found += [m.group(0) for m in cjk.finditer(base) if _cjk_number(m.group(1)) < ADULT_AGE]
    for m in _GRADE.finditer(base):
        if int(next(g for g in m.groups() if g)) <= 12:
            found.append(m.group(0).strip())
    found += [m.group(0) for m in _GRADE_CJK.finditer(base)]
    return found
