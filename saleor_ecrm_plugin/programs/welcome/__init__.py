"""Welcome: one email to a customer who just created an account (:mod:`.program`)."""

from ..manifest import ProgramPackage

MANIFEST = ProgramPackage(programs=(".program:WelcomeProgram",))
