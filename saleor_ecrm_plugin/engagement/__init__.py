"""Engagement: what customers do with the emails.

* :mod:`.models`: clicks, opens, orders credited by click;
* :mod:`.events`: the API to record events and read the real ones (bots and
  privacy proxies apart): what reports and segments use;
* :mod:`.scanners`: the patterns that flag link scanners and privacy proxies;
* :mod:`.tracking`: links of a rendered email rewritten through signed redirects,
  the open pixel;
* :mod:`.views`: the redirect and the pixel (``/ecrm/c/<token>``, ``/ecrm/o/<token>``);
* :mod:`.attribution`: an order credited to the last email really clicked.
"""
