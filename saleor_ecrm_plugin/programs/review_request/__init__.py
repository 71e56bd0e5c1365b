"""Review requests after shipping, the reviews they collect, and the reward.

* :mod:`.program`: the request/reminder program and the thank-you program;
* :mod:`.options`: their typed options and dashboard fields;
* :mod:`.models`: the :class:`~.models.Review` rows (Saleor 2.10 has none);
* :mod:`.reviews`: submitting, commenting and moderating reviews;
* :mod:`.views`: the page a star link opens.

The review link's token is made and read by :mod:`saleor_ecrm_plugin.reviews.tokens`.
"""

from ..manifest import ProgramPackage

MANIFEST = ProgramPackage(
    programs=(".program:ReviewRequestProgram", ".program:ReviewThankYouProgram")
)
