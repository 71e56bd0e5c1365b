"""The posterior probability that one variant's rate beats another's. Pure Python.

Each variant's rate ``p`` (clicks per email sent, say) gets a Beta(1, 1) prior
(uniform); after ``s`` successes in ``n`` trials its posterior is
Beta(1 + s, 1 + n - s). For two variants A and B the probability
``P(p_B > p_A)`` has an exact closed form when B's first parameter is a whole number
(it always is here), a finite sum of ``alpha_B`` terms (Evan Miller, "Formulas for
Bayesian A/B Testing", 2015; derived from the Beta integral):

    P(p_B > p_A) = sum_{i=0}^{alpha_B - 1} B(alpha_A + i, beta_A + beta_B)
                   / ((beta_B + i) B(1 + i, beta_B) B(alpha_A, beta_A))

Each term is computed in logarithms (``math.lgamma``), so counts in the hundreds of
thousands neither overflow nor underflow; the sum has at most ``s_B + 1`` terms.
"""

from __future__ import annotations

from math import exp, lgamma, log


def _log_beta(a: float, b: float) -> float:
    return lgamma(a) + lgamma(b) - lgamma(a + b)


def probability_b_beats_a(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int
) -> float:
    """``P(p_B > p_A)`` under Beta(1, 1) priors, exactly (see the module)."""
    for successes, trials in ((successes_a, trials_a), (successes_b, trials_b)):
        if trials < 0 or not 0 <= successes <= trials:
            raise ValueError("successes must be between 0 and the number of trials")
    alpha_a, beta_a = 1 + successes_a, 1 + trials_a - successes_a
    alpha_b, beta_b = 1 + successes_b, 1 + trials_b - successes_b
    base = _log_beta(alpha_a, beta_a)
    total = 0.0
    for i in range(alpha_b):
        total += exp(
            _log_beta(alpha_a + i, beta_a + beta_b)
            - log(beta_b + i)
            - _log_beta(1 + i, beta_b)
            - base
        )
    return min(max(total, 0.0), 1.0)
