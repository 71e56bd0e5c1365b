"""The dispatcher's test programs (:mod:`.program`): ``test_ping``, ``test_promo``."""

from saleor_ecrm_plugin.programs.manifest import ProgramPackage

MANIFEST = ProgramPackage(programs=(".program:PingProgram", ".program:PromoProgram"))
