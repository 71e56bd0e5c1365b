"""Newsletter double opt-in: the confirmation email (:mod:`.program`)."""

from ..manifest import ProgramPackage

MANIFEST = ProgramPackage(programs=(".program:NewsletterConfirmationProgram",))
