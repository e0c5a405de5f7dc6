"""The signals' thresholds: optional `[signals]` keys of policy.toml.

The contract fixes the defaults (z > 3.5, peers with ≥ 30 lines, ≥ 5 peers,
beneficiaries with ≥ 4 providers or ≥ 40 lines); a tariff folder may change
them. A key that is unknown (a typo), of the wrong type or out of its range
makes the tariff folder invalid (exit 3), naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, fields

from ramu_cli.errors import InputError, Problem

SECTION = "signals"


@dataclass(frozen=True)
class SignalThresholds:
    """When a month stands out: the contract's defaults unless policy.toml says otherwise."""

    z_threshold: float = 3.5          # a provider is flagged when its robust z-score exceeds this
    min_peer_lines: int = 30          # a provider takes part (as peer and as flagged) from this many lines
    min_peers: int = 5                # fewer peers of a level (itself included): no signal at that level
    beneficiary_providers: int = 4    # a beneficiary seeing this many distinct providers in the month
    beneficiary_lines: int = 40       # or holding this many lines in the month


# Allowed range of each key (inclusive), and whether a decimal is accepted.
# min_peers starts at 3: with two peers the median is their mean, both sit at
# the same distance from it, and z is never more than 0.6745.
RANGES: dict[str, tuple[float, float, bool]] = {
    "z_threshold": (0.5, 100.0, True),
    "min_peer_lines": (1, 1_000_000, False),
    "min_peers": (3, 100_000, False),
    "beneficiary_providers": (2, 10_000, False),
    "beneficiary_lines": (2, 1_000_000, False),
}


def _fault(source: str, key: str, message: str, code: str, value: object = None) -> InputError:
    name = f"[{SECTION}] {key}" if key else f"[{SECTION}]"
    return InputError(f"{source} : {name} {message}",
                      [Problem(source, message, column=name, value=None if value is None else str(value), code=code)])


def _checked(source: str, key: str, value: object) -> float | int:
    low, high, decimal = RANGES[key]
    what = "un nombre" if decimal else "un nombre entier"
    if isinstance(value, bool) or not isinstance(value, int | float) or not (decimal or isinstance(value, int)):
        raise _fault(source, key, f"doit être {what} (par exemple {getattr(SignalThresholds, key)}), "
                     f"pas « {value!r} ».", "policy_wrong_type", value)
    if not low <= value <= high:
        shown_low, shown_high = (f"{x:g}".replace(".", ",") for x in (low, high))
        raise _fault(source, key, f"= {value} est hors de l'intervalle autorisé ({shown_low} à {shown_high}) : "
                     "corrigez la valeur ou retirez la clé pour garder la valeur par défaut.",
                     "policy_out_of_range", value)
    return float(value) if decimal else value


def thresholds_from_policy(doc: Mapping, source: str = "policy.toml") -> SignalThresholds:
    """The `[signals]` section of a parsed policy.toml (a dict); defaults for absent keys."""
    section = doc.get(SECTION)
    if section is None:
        return SignalThresholds()
    if not isinstance(section, Mapping):
        raise _fault(source, "", "doit être une section (une table TOML), par exemple "
                     "« [signals] » suivi de « z_threshold = 3.5 ».", "policy_wrong_type", section)
    known = {f.name for f in fields(SignalThresholds)}
    unknown = sorted(k for k in section if k not in known)
    if unknown:
        raise InputError(
            f"{source} : clé(s) inconnue(s) : {', '.join(f'[{SECTION}] {k}' for k in unknown)} (clés possibles : "
            f"{', '.join(sorted(known))}). Corrigez l'orthographe ou retirez-les.",
            [Problem(source, "clé inconnue", column=f"[{SECTION}] {k}", code="unknown_policy_key")
             for k in unknown])
    given = {k: _checked(source, k, v) for k, v in section.items()}
    d = SignalThresholds()
    return SignalThresholds(
        z_threshold=float(given.get("z_threshold", d.z_threshold)),
        min_peer_lines=int(given.get("min_peer_lines", d.min_peer_lines)),
        min_peers=int(given.get("min_peers", d.min_peers)),
        beneficiary_providers=int(given.get("beneficiary_providers", d.beneficiary_providers)),
        beneficiary_lines=int(given.get("beneficiary_lines", d.beneficiary_lines)))
