"""The engagement levels and their thresholds. A leaf module (standard library and
Django's translations only): the settings parse these.

Exact definitions, for one address, with ``W`` = ``engagement_window_days`` (default
180, the "6 months" of the articles the product follows) and counting only emails of
non-transactional programs that were **sent**:

* ``received``: such emails sent to the address in the last ``W`` days;
* ``opened``: how many of those were really opened: a pixel fetch that is not Apple
  Mail Privacy Protection's (which fetches every image at delivery), or a real click
  (a click implies an open: an email whose images are off is still read);
* ``clicked``: how many of those had a real click (scanners flagged, not counted);
* ``last_engaged_at``: the last real open or click, of any email, at any time;
* ``bought_after_click``: an order was credited to a real click of one of the
  address's emails (click attribution) in the last ``W`` days.

Levels, first match wins:

1. ``super_active``: ``received >= min_emails``, ``opened >= super_open_rate x
   received`` (default 80 %: "opens nearly everything"), ``clicked >= 1`` and
   ``bought_after_click``;
2. ``active``: ``received >= min_emails``, ``opened >= active_open_rate x received``
   (default 30 %: "opens regularly") and ``clicked >= 1`` ("clicks sometimes");
3. ``semi_active``: some real open or click in the last ``W`` days (``last_engaged_at``
   within ``W``), but not the above ("opens, no clicks", or too rarely);
4. ``inactive``: no real open or click in the last ``W`` days, and the address's
   first sent email is at least ``W`` days old (it had the whole window to react);
5. ``new``: none of the above: no real open or click yet, but the first email is
   younger than ``W`` days (too soon to call it inactive).

``min_emails`` (default 3) keeps one lucky open of one email from making an address
active.
"""

from __future__ import annotations

from dataclasses import dataclass

SUPER_ACTIVE = "super_active"
ACTIVE = "active"
SEMI_ACTIVE = "semi_active"
INACTIVE = "inactive"
NEW = "new"

#: every level, most engaged first
LEVELS = (SUPER_ACTIVE, ACTIVE, SEMI_ACTIVE, INACTIVE, NEW)


@dataclass(frozen=True)
class EngagementThresholds:
    """The numbers behind the levels (see the module's docstring)."""

    window_days: int = 180
    active_open_rate: float = 0.30
    super_open_rate: float = 0.80
    min_emails: int = 3
