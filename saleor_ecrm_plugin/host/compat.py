"""Old path of :mod:`saleor_ecrm_plugin.host.saleor210.compat` (Saleor 2.10's shims).

Kept because the ``.pth`` written by earlier installs and merchants' settings import
it, and because ``python -m saleor_ecrm_plugin.host.compat`` writes that ``.pth``.
"""

from __future__ import annotations

from .saleor210.compat import (  # noqa: F401
    PTH_LINE,
    PTH_NAME,
    apply_early,
    install_pth,
)

if __name__ == "__main__":
    print(install_pth())
