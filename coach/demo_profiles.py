"""Eight fictional demo patients whose profiles together exercise the clinical rules.

Names are invented; phone numbers are in the 555-01xx range reserved for fiction. Their
prescriptions are pinned in tests/coach/golden/<key>.json.
"""

from __future__ import annotations

from typing import Any

_NORMAL_LABS = {"platelets_10e9_l": 230, "hemoglobin_g_dl": 13.1, "anc_10e9_l": 3.4}
_CALM_TODAY = {"fatigue_0_10": 2, "pain_0_10": 1, "red_flags": []}

DEMO_PATIENTS: list[dict[str, Any]] = [
    {
        # Healthy, post-treatment, tested: the one self-directed program.
        "key": "ada_post_treatment",
        "name": "Ada Whitfield",
        "phone": "+15555550101",
        "time_zone": "America/New_York",
        "language": "en",
        "sms_only": False,
        "profile": {
            "age": 52,
            "sex": "female",
            "cancer": {"type": "breast", "stage": "I", "metastases": []},
            "treatment": {
                "phase": "post_treatment",
                "modalities": ["surgery", "radiotherapy"],
                "agents": [],
                "days_since_last_infusion": None,
                "days_since_surgery": 420,
            },
            "comorbidities": [],
            "medications": [],
            "labs": _NORMAL_LABS,
            "vitals": {"resting_hr": 64, "measured_max_hr": 171, "temperature_c": 36.6},
            "assessments": {
                "six_minute_walk_m": 560,
                "grip_strength_kg": 29,
                "sit_to_stand_30s": 17,
                "timed_up_and_go_s": 6.2,
                "vo2peak_ml_kg_min": 28.5,
                "facit_fatigue": 45,
            },
            "today": _CALM_TODAY,
            "preferences": {
                "language": "en",
                "sms_only": False,
                "modalities": ["walking", "swimming"],
            },
        },
    },
    {
        # The worked example of PRESCRIPTION.md: a day after an infusion, spine metastasis.
        "key": "rosa_bone_mets",
        "name": "Rosa Delgado",
        "phone": "+15555550102",
        "time_zone": "America/Chicago",
        "language": "es",
        "sms_only": False,
        "profile": {
            "age": 58,
            "sex": "female",
            "cancer": {"type": "breast", "stage": "IV", "metastases": ["bone:spine"]},
            "treatment": {
                "phase": "active",
                "modalities": ["chemotherapy", "immunotherapy"],
                "agents": ["checkpoint_inhibitor"],
                "days_since_last_infusion": 1,
                "days_since_surgery": None,
            },
            "comorbidities": [],
            "medications": [],
            "labs": {"platelets_10e9_l": 180, "hemoglobin_g_dl": 11.4, "anc_10e9_l": 2.1},
            "vitals": {"resting_hr": 72, "measured_max_hr": None, "temperature_c": 36.8},
            "assessments": {"six_minute_walk_m": 430, "sit_to_stand_30s": 13, "facit_fatigue": 36},
            "today": {"fatigue_0_10": 4, "pain_0_10": 2, "red_flags": []},
            "preferences": {
                "language": "es",
                "sms_only": False,
                "modalities": ["walking", "cycling"],
            },
        },
    },
    {
        # Febrile during chemotherapy: a hold, whatever else the profile says.
        "key": "walt_fever_hold",
        "name": "Walt Okafor",
        "phone": "+15555550103",
        "time_zone": "America/Denver",
        "language": "en",
        "sms_only": True,
        "profile": {
            "age": 64,
            "sex": "male",
            "cancer": {"type": "colorectal", "stage": "III", "metastases": []},
            "treatment": {
                "phase": "active",
                "modalities": ["chemotherapy"],
                "agents": ["platinum", "antimetabolite"],
                "days_since_last_infusion": 8,
            },
            "labs": {"platelets_10e9_l": 140, "hemoglobin_g_dl": 11.0, "anc_10e9_l": 0.9},
            "vitals": {"resting_hr": 88, "temperature_c": 38.4},
            "today": {"fatigue_0_10": 6, "pain_0_10": 3, "red_flags": ["fever"]},
            "preferences": {"language": "en", "sms_only": True, "modalities": ["walking"]},
        },
    },
    {
        # Beta-blocker and atrial fibrillation: intensity by RPE, cardiac clearance first.
        "key": "henry_afib_rpe",
        "name": "Henry Lindqvist",
        "phone": "+15555550104",
        "time_zone": "America/Los_Angeles",
        "language": "en",
        "sms_only": False,
        "profile": {
            "age": 71,
            "sex": "male",
            "cancer": {"type": "prostate", "stage": "II", "metastases": []},
            "treatment": {
                "phase": "active",
                "modalities": ["hormonal", "radiotherapy"],
                "agents": ["androgen_deprivation"],
            },
            "comorbidities": ["atrial_fibrillation", "cardiovascular_disease"],
            "medications": ["beta_blocker", "anticoagulant"],
            "labs": {"platelets_10e9_l": 205, "hemoglobin_g_dl": 13.6, "anc_10e9_l": 4.0},
            "vitals": {"resting_hr": 66, "temperature_c": 36.5},
            "assessments": {"six_minute_walk_m": 410, "sit_to_stand_30s": 12, "facit_fatigue": 40},
            "today": _CALM_TODAY,
            "preferences": {
                "language": "en",
                "sms_only": False,
                "modalities": ["walking", "stationary_cycling"],
            },
        },
    },
    {
        # Low platelets and anemia during chemotherapy for lymphoma: light aerobic only.
        "key": "lucia_low_platelets",
        "name": "Lucía Ferrer",
        "phone": "+15555550105",
        "time_zone": "America/Puerto_Rico",
        "language": "es",
        "sms_only": True,
        "profile": {
            "age": 45,
            "sex": "female",
            "cancer": {"type": "lymphoma", "stage": "III", "metastases": []},
            "treatment": {
                "phase": "active",
                "modalities": ["chemotherapy"],
                "agents": ["anthracycline", "alkylating_agent", "vinca_alkaloid"],
                "days_since_last_infusion": 10,
            },
            "comorbidities": [],
            "medications": [],
            "labs": {"platelets_10e9_l": 34, "hemoglobin_g_dl": 9.2, "anc_10e9_l": 1.1},
            "vitals": {"resting_hr": 84, "temperature_c": 37.1},
            "assessments": {"six_minute_walk_m": 390, "facit_fatigue": 27},
            "today": {"fatigue_0_10": 5, "pain_0_10": 1, "red_flags": []},
            "preferences": {
                "language": "es",
                "sms_only": True,
                "modalities": ["walking", "dancing"],
            },
        },
    },
    {
        # Lymphedema after breast surgery with axillary dissection, on taxane chemotherapy.
        "key": "grace_lymphedema",
        "name": "Grace Nakamura",
        "phone": "+15555550106",
        "time_zone": "America/New_York",
        "language": "en",
        "sms_only": False,
        "profile": {
            "age": 49,
            "sex": "female",
            "cancer": {"type": "breast", "stage": "II", "metastases": []},
            "treatment": {
                "phase": "active",
                "modalities": ["surgery", "chemotherapy"],
                "agents": ["taxane", "trastuzumab"],
                "days_since_last_infusion": 5,
                "days_since_surgery": 70,
            },
            "comorbidities": ["lymphedema"],
            "medications": [],
            "labs": {"platelets_10e9_l": 190, "hemoglobin_g_dl": 11.8, "anc_10e9_l": 2.6},
            "vitals": {"resting_hr": 70, "measured_max_hr": None, "temperature_c": 36.7},
            "assessments": {"six_minute_walk_m": 505, "sit_to_stand_30s": 15, "facit_fatigue": 35},
            "today": {"fatigue_0_10": 3, "pain_0_10": 1, "red_flags": []},
            "preferences": {
                "language": "en",
                "sms_only": False,
                "modalities": ["walking", "elliptical", "rowing"],
            },
        },
    },
    {
        # Neuropathy with falls after oxaliplatin: seated work, clinically supervised.
        "key": "tomas_neuropathy_falls",
        "name": "Tomás Herrera",
        "phone": "+15555550107",
        "time_zone": "America/Phoenix",
        "language": "es",
        "sms_only": False,
        "profile": {
            "age": 67,
            "sex": "male",
            "cancer": {"type": "colorectal", "stage": "III", "metastases": []},
            "treatment": {
                "phase": "post_treatment",
                "modalities": ["surgery", "chemotherapy"],
                "agents": ["platinum", "antimetabolite"],
                "days_since_surgery": 300,
            },
            "comorbidities": ["peripheral_neuropathy", "falls", "diabetes", "ostomy"],
            "medications": ["insulin"],
            "labs": {"platelets_10e9_l": 160, "hemoglobin_g_dl": 12.7, "anc_10e9_l": 3.0},
            "vitals": {"resting_hr": 76, "temperature_c": 36.6},
            "assessments": {
                "six_minute_walk_m": 360,
                "sit_to_stand_30s": 9,
                "timed_up_and_go_s": 14.5,
                "facit_fatigue": 31,
            },
            "today": {"fatigue_0_10": 4, "pain_0_10": 3, "red_flags": []},
            "preferences": {"language": "es", "sms_only": False, "modalities": ["walking"]},
        },
    },
    {
        # Metastatic lung cancer with cachexia on a checkpoint inhibitor; tired today; no labs.
        "key": "meihua_metastatic",
        "name": "Meihua Chen",  # reads Simplified Chinese: pages, texts, replies, the phone
        "phone": "+15555550108",
        "time_zone": "America/Chicago",
        "language": "zh-Hans",
        "sms_only": False,
        "profile": {
            "age": 74,
            "sex": "female",
            "cancer": {"type": "lung", "stage": "IV", "metastases": ["liver"]},
            "treatment": {
                "phase": "metastatic",
                "modalities": ["immunotherapy"],
                "agents": ["checkpoint_inhibitor"],
                "days_since_last_infusion": 12,
            },
            "comorbidities": ["cachexia"],
            "medications": ["corticosteroid"],
            "vitals": {"resting_hr": 82, "temperature_c": 36.9},
            "assessments": {"six_minute_walk_m": 290, "sit_to_stand_30s": 7, "facit_fatigue": 24},
            "today": {"fatigue_0_10": 7, "pain_0_10": 4, "red_flags": []},
            "preferences": {
                "language": "zh-Hans",
                "sms_only": False,
                "modalities": ["walking", "recumbent_cycling"],
            },
        },
    },
]
