"""Recency-frequency-monetary scores per contact, from the shop's own orders.

* :mod:`.groups`: the named groups (champions ... lost) and the grid that maps
  scores to them (a leaf module);
* :mod:`.models`: :class:`~.models.RfmScore`, one row per address that bought;
* :mod:`.scoring`: the daily recompute (set-based SQL) and the questions programs
  ask (``is_vip``, ``group_of_email``, ``rfm_of``).
"""
