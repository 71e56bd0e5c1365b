"""The order confirmation, sent by the plugin where Saleor sends none (Saleor 3.21),
with the cross-sell block (:mod:`.program`)."""

from ..manifest import ProgramPackage

MANIFEST = ProgramPackage(programs=(".program:OrderConfirmationProgram",))
