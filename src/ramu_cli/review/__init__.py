"""Medical review after payment: the draw of lines a médecin-conseil re-examines,
and the extrapolation of what they found into a demand per provider.

- `run`: opens a liquidation run folder (checked against its manifest);
- `draw`: the seeded, order-free sample (certainty stratum + simple random sample);
- `sheet`: the review sheet written for the adviser and read back filled in;
- `extrapolate`: the statistics (mean per unit, finite population correction, Student t);
- `documents`: recovery orders and the summary report;
- `demo`: a filled-in sheet with a planted overpayment rate, for demonstrations.

The method is described for users, in French, in docs/review.md.
"""
