"""The dispatcher's test programs (:mod:`.program`): ``test_ping``, ``test_promo``,
``test_fragile``."""

from saleor_ecrm_plugin.programs.manifest import ProgramPackage

MANIFEST = ProgramPackage(
    programs=(
        ".program:PingProgram",
        ".program:PromoProgram",
        ".program:FragileProgram",
    )
)
