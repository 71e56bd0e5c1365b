"""Build script: everything is declared in setup.cfg except the templates' mapping.

``templates/`` stays at the repository's root (the layout Saleor projects expect);
the wheel ships every file under it inside the package, as
``saleor_ecrm_plugin/templates``, so an installed plugin finds its templates wherever
pip put it (see ``saleor_ecrm_plugin.settings_helper.templates_dir``).
"""

import os

from setuptools import find_packages, setup

TEMPLATES = "templates"
TEMPLATES_PACKAGE = "saleor_ecrm_plugin.templates"


def template_folders():
    """``saleor_ecrm_plugin.templates`` and one data package per folder under it."""
    names = []
    for folder, _subfolders, _files in os.walk(TEMPLATES):
        relative = os.path.relpath(folder, TEMPLATES)
        names.append(
            TEMPLATES_PACKAGE
            if relative == os.curdir
            else TEMPLATES_PACKAGE + "." + relative.replace(os.sep, ".")
        )
    return sorted(names)


FOLDERS = template_folders()

setup(
    packages=find_packages(include=["saleor_ecrm_plugin", "saleor_ecrm_plugin.*"])
    + FOLDERS,
    package_dir={TEMPLATES_PACKAGE: TEMPLATES},
    package_data={name: ["*"] for name in FOLDERS},
)
