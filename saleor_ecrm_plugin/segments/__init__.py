"""Engagement segments, segment conditions and A/B tests (issue 19, items 3 and 6).

* :mod:`.levels`: the engagement levels and their thresholds (a leaf module);
* :mod:`.models`: the level stored per contact, the A/B tests' state and assignments;
* :mod:`.engagement`: the daily recompute, one set-based SQL statement;
* :mod:`.conditions`: "this step only for these segments", checked by the dispatcher;
* :mod:`.bayes` and :mod:`.abtests`: variants, assignment, results and the winner.

The reactivation program and the list cleaning (sunset) that use the levels live in
:mod:`saleor_ecrm_plugin.programs.reactivation`.
"""
