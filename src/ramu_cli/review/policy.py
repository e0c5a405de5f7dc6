"""The review's policy values: the optional `[review]` section of policy.toml.

Only `recovery_due_days` so far: the days a provider has to pay a recovery
order back, counted from its date of issue. Default 30 days (a proposal: the
delay of the payment conventions; no Malian text was found). Like every policy
value it is checked: an unknown key, a wrong type or a value outside 0–3 650
days makes the tariff folder unusable (exit 3, naming the key).
"""

from __future__ import annotations

import tomllib
from pathlib import Path

from ramu_cli.errors import InputError, Problem

POLICY_FILE = "policy.toml"
DEFAULT_RECOVERY_DUE_DAYS = 30
MAX_DAYS = 3650
KNOWN_KEYS = frozenset({"recovery_due_days"})


def recovery_due_days(tariff_folder: Path | None) -> int:
    """`[review] recovery_due_days` of the folder's policy.toml, or the default."""
    if tariff_folder is None or not (tariff_folder / POLICY_FILE).is_file():
        return DEFAULT_RECOVERY_DUE_DAYS
    path = tariff_folder / POLICY_FILE
    try:
        doc = tomllib.loads(path.read_text(encoding="utf-8"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise InputError(f"{path} : fichier TOML illisible ({exc}).",
                         [Problem(str(path), "fichier illisible", code="policy_unreadable")]) from exc
    section = doc.get("review", {})
    if not isinstance(section, dict):
        raise InputError(f"{path} : « review » doit être une section [review].",
                         [Problem(str(path), "section invalide", column="[review]", code="policy_invalid")])
    unknown = sorted(set(section) - KNOWN_KEYS)
    if unknown:
        raise InputError(f"{path} : clé(s) inconnue(s) dans [review] : {', '.join(unknown)} "
                         f"(clé reconnue : recovery_due_days). Corrigez la faute de frappe.",
                         [Problem(str(path), "clé inconnue", column=f"[review] {k}", code="policy_unknown_key")
                          for k in unknown])
    days = section.get("recovery_due_days", DEFAULT_RECOVERY_DUE_DAYS)
    if not isinstance(days, int) or isinstance(days, bool) or not 0 <= days <= MAX_DAYS:
        raise InputError(f"{path} : [review] recovery_due_days doit être un nombre entier de jours "
                         f"entre 0 et {MAX_DAYS}, pas « {days} ».",
                         [Problem(str(path), "délai de reversement invalide",
                                  column="[review] recovery_due_days", value=str(days),
                                  code="policy_invalid_value")])
    return days
