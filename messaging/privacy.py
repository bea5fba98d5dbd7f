"""Keep diagnoses and treatments out of SMS: a text message can be read by anyone holding the phone.

Every outgoing body is checked before it is stored or sent; templates are checked by a test too.
Words are matched on folded text (no case, no accents), as whole words or as the listed stems;
Chinese writes no spaces between words, so its terms are matched anywhere in the text.
"""

from __future__ import annotations

import re

from messaging.text import fold

# Stems match any word that starts with them (chemo -> chemotherapy, quimio -> quimioterapia).
DIAGNOSIS_STEMS: tuple[str, ...] = (
    "cancer", "carcinoma", "tumor", "tumour", "oncolog", "metasta", "chemo", "quimio",
    "radiotherap", "radioterap", "radiation", "radiacion", "immunotherap", "inmunoterap",
    "hormonoterap", "leukemia", "leucemia", "lymphoma", "linfoma", "melanoma", "sarcoma",
    "myeloma", "mieloma", "mastectom", "lumpectom", "biops", "malignan", "maligno", "maligna",
    "lymphedema", "lymphoedema", "linfedema", "neuropath", "neuropati", "ostomy", "ostomia",
    "colostom", "ileostom", "infusion", "palliat", "paliativ", "hospice", "diagnos",
    "prostat", "colorectal", "glioblastoma", "neoplas",
)  # fmt: skip

# Simplified Chinese: illnesses, treatments and specialties. 转移 alone also means "to move", so
# only its medical compounds are listed; 瘤 covers 肿瘤, 淋巴瘤, 骨髓瘤, 肉瘤, 黑色素瘤.
DIAGNOSIS_TERMS_ZH: tuple[str, ...] = (
    "癌", "瘤", "化疗", "放疗", "化学治疗", "放射治疗", "放射疗法", "电疗", "转移灶", "骨转移",
    "肝转移", "肺转移", "脑转移", "远处转移", "扩散", "白血病", "血癌", "靶向", "免疫治疗",
    "免疫疗法", "内分泌治疗", "激素治疗", "荷尔蒙治疗", "乳房切除", "切除术", "活检", "活组织检查",
    "穿刺", "恶性", "淋巴水肿", "神经病变", "造口", "造瘘", "输液", "姑息", "安宁疗护", "临终关怀",
    "诊断", "确诊", "前列腺", "结直肠", "乳腺", "肿块", "病理", "分期", "肿瘤科",
)  # fmt: skip

_STEMS = re.compile(
    r"\b(" + "|".join(DIAGNOSIS_STEMS) + r")\w*" + "|" + "|".join(DIAGNOSIS_TERMS_ZH)
)


class DiagnosisWordError(ValueError):
    """The text names a diagnosis, treatment or clinic specialty and may not go out by SMS."""

    def __init__(self, word: str) -> None:
        super().__init__(
            f"the message mentions {word!r}: SMS can be read by others, so diagnoses and "
            "treatments are never named in a text; rephrase it"
        )
        self.word = word


def diagnosis_words(text: str) -> list[str]:
    return [match.group(0) for match in _STEMS.finditer(fold(text))]


def check_sms_text(text: str) -> None:
    found = diagnosis_words(text)
    if found:
        raise DiagnosisWordError(found[0])
