"""What providers bill: categories of acts by level, lines per invoice, provider
volumes, everyday and rare acts, and the codes written that are not in the
nomenclature (the R05 pool).

Data only; the draws that use it are in `acts.py` and `invoice_heads.py`.
"""

from __future__ import annotations

# Share of invoice lines by category at each level, and lines per invoice (1 + Poisson(λ)).
CATEGORY_WEIGHTS = {
    "CSCOM": {"CONSULTATION": .28, "MEDICINE": .40, "LAB": .14, "PROCEDURE": .09, "MATERNITY": .07,
              "HOSPITAL_DAY": .02},
    "CSREF": {"CONSULTATION": .20, "MEDICINE": .34, "LAB": .17, "IMAGING": .05, "PROCEDURE": .07,
              "MATERNITY": .06, "SURGERY": .03, "HOSPITAL_DAY": .05, "DENTAL": .03},
    "HR": {"CONSULTATION": .18, "MEDICINE": .30, "LAB": .19, "IMAGING": .08, "PROCEDURE": .07,
           "MATERNITY": .04, "SURGERY": .04, "HOSPITAL_DAY": .07, "DENTAL": .03},
    "EPH": {"CONSULTATION": .20, "MEDICINE": .28, "LAB": .19, "IMAGING": .09, "PROCEDURE": .07,
            "MATERNITY": .03, "SURGERY": .05, "HOSPITAL_DAY": .07, "DENTAL": .02},
    "PRIVATE": {"CONSULTATION": .30, "MEDICINE": .05, "LAB": .24, "IMAGING": .10, "PROCEDURE": .09,
                "MATERNITY": .07, "SURGERY": .04, "HOSPITAL_DAY": .05, "DENTAL": .06},
    "PHARMACY": {"MEDICINE": 1.0},
}
LINES_LAMBDA = {"CSCOM": 1.5, "CSREF": 1.8, "HR": 2.2, "EPH": 2.4, "PRIVATE": 1.5, "PHARMACY": 1.7}
PROVIDER_VOLUME = {"CSCOM": 1.0, "CSREF": 3.0, "HR": 6.0, "EPH": 10.0, "PRIVATE": 1.2,
                   "PHARMACY": 1.5}
# Everyday acts that providers bill most, and rare ones (a factor on their popularity).
STAPLES = {"CS001": 15, "CS002": 5, "CS005": 0.2, "CS003": 0.5, "CS028": 0.3, "CS033": 3,
           "LAB001": 4, "LAB002": 3, "LAB003": 3, "LAB004": 2,
           "MED001": 4, "MED007": 3, "MED023": 3, "MED024": 3, "MED025": 3, "MED031": 2,
           "MAT001": 3, "VAC002": 2, "HOS002": 3}
# Popularity factor of free-care programmes whose acts carry no age limit.
PROGRAMME_WEIGHT = {"HIV": 0.15, "TB": 0.08, "LEPROSY": 0.02}
# Codes providers write that are not in the nomenclature (old key letters, local codes).
UNKNOWN_ACTS = ("K10", "K15", "K20", "K30", "B20", "B40", "B60", "Z15", "Z30", "C1", "CS", "CS034",
                "CS099", "MED088", "MED099", "MED-DIV", "LAB041", "LAB050", "IMG019", "CHI023",
                "PRO021", "HOS010", "PHARMA", "CONSULT", "ACTE-LOC")

