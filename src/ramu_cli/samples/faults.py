"""The faults `ramu samples` injects into invoices, their rates, and where each is made.

About 10 % of invoice lines carry one fault, so that liquidation rejects or
reduces them with exactly that code. A fault of the whole invoice (its
patient, provider or dates) is drawn per invoice; a fault of one line (its
act, price, quantity or key) per line of a clean invoice.

Where each code is injected (module `ramu_cli.samples.<module>`, function):

=====  ================================================  =========================================
code   what the line looks like                           where it is made
=====  ================================================  =========================================
R01    beneficiary unknown to the registry (or one of     invoice_heads.draw_patients
       the registry's anomalous rows)
R02    patient whose rights are closed in the month        invoice_heads.draw_patients (pool from
                                                           beneficiaries.invoice_pools)
R03    child out of the age / student conditions           invoice_heads.draw_patients (idem)
R04    provider unknown, or out of convention              invoice_heads.draw_providers
R05    act code outside the nomenclature                   acts.assign_acts
R06    act with no price at the provider's level           acts.assign_acts
R07    act whose sex or age condition the patient fails    acts.assign_acts (act_fits, mode "R07")
R08    invoice sent to another OGD than the patient's      invoice_heads.draw_patients
R09    a later line repeating the invoice's first line     invoice_lines.draw_line_labels,
                                                           invoice_lines.repeat_first_lines
R10    care submitted after the deadline                   invoice_heads.draw_dates
R11    RAMED patient at a referral level with neither      invoice_heads.draw_flags
       referral nor emergency
R12    submitted before the care, or after the month       invoice_heads.draw_dates
R13    not injected: it needs a ledger of earlier batches
R14    unreadable or invalid cell (quantity 0, negative    invoice_lines.make_unreadable
       price, repeated key, empty id, bad date)
R15    waiting act for a family insured too recently   claims.claims_control (left where the
                                                           registry makes it)
R16    annual cap of the act used up                      claims._chains, claims._cross_line
R17    act needing an authorization, none or expired     claims._authorizations
R18    same act again less than its interval after        claims._cross_line (repeat visits as
                                                           the patients' draws make them)
A01    unit price above the tariff (reduced)               invoice_lines.draw_prices
A02    quantity above the act's limit (reduced)            invoice_lines.draw_quantities
A03    quantity cut to what is left of the annual cap     claims._chains, claims._cross_line
=====  ================================================  =========================================

Registry anomalies (rows set aside, not reason codes) are made in
`beneficiaries.registry_anomalies`; closed conventions in `providers.draw_conventions`.
"""

from __future__ import annotations

# Codes of the injected faults, in report order.
FAULT_CODES = ("R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R10",
               "R11", "R12", "R14", "R15", "R16", "R17", "R18", "A01", "A02", "A03")
# A line's fault label is a small integer: LABELS[i] is its code ("OK" = a clean line),
# LABEL[code] its number.
LABELS = ("OK", *FAULT_CODES)
LABEL = {name: i for i, name in enumerate(LABELS)}

# Share of invoices carrying a fault of the whole invoice (beneficiary, provider, dates) …
INVOICE_FAULT_RATES = {"R01": 0.008, "R02": 0.012, "R03": 0.006, "R04": 0.005, "R08": 0.006,
                       "R10": 0.007, "R11": 0.003, "R12": 0.003}
# … and share of all lines carrying a fault of the line (act, price, quantity, key).
LINE_FAULT_RATES = {"R05": 0.004, "R06": 0.006, "R07": 0.004, "R09": 0.010, "R14": 0.004,
                    "A01": 0.015, "A02": 0.008}
