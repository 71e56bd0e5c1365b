"""Headless Chromium for browser tests: Debian's chromium and chromedriver, no download.

:func:`chromium` starts a fresh browser (a new profile in the given folder) and quits
it when the ``with`` block ends. Where ``/usr/bin/chromium``,
``/usr/bin/chromedriver`` or selenium are missing the test is skipped, so a machine
without them still passes; CI sets ``ECRM_REQUIRE_BROWSER=1`` to turn that skip into
a failure, so a missing install step cannot hide behind a green run.

Selenium is 3.141.0 on purpose: every selenium 4 needs urllib3>=1.26, and Saleor
2.10.1's boto3 pins botocore 1.17, which needs urllib3<1.26. Selenium 3 has no
selenium-manager, so nothing is ever downloaded; the driver's path is passed in.
"""

from __future__ import annotations

import base64
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

CHROMIUM = "/usr/bin/chromium"
CHROMEDRIVER = "/usr/bin/chromedriver"
ARTIFACTS = Path(__file__).resolve().parent.parent / "artifacts"
#: an iPhone 12-15 screen in CSS pixels
PHONE = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}

CHROMIUM_FLAGS = [
    "--headless=new",
    "--no-sandbox",  # root in a container: the sandbox cannot start
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--window-size=1280,900",
]


def _missing() -> str:
    missing = [
        path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)
    ]
    try:
        import selenium  # noqa: F401
    except ImportError:
        missing.append("the selenium package")
    return ", ".join(missing)


def require_browser() -> None:
    """Skip the calling test (or fail it, under ECRM_REQUIRE_BROWSER=1) without one."""
    missing = _missing()
    if not missing:
        return
    reason = (
        f"browser test needs {missing}:"
        " apt-get install -y chromium chromium-driver; pip install selenium==3.141.0"
    )
    if os.environ.get("ECRM_REQUIRE_BROWSER") == "1":
        pytest.fail(reason, pytrace=False)
    pytest.skip(reason)


@contextmanager
def chromium(profile_dir: Path) -> Iterator[Any]:
    """A headless Chromium session (a selenium WebDriver) on Debian's chromedriver."""
    require_browser()
    from selenium import webdriver

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.add_argument(f"--user-data-dir={profile_dir}")
    import selenium

    if int(selenium.__version__.split(".")[0]) >= 4:  # Saleor 3.21's venv
        from selenium.webdriver.chrome.service import Service

        driver = webdriver.Chrome(service=Service(CHROMEDRIVER), options=options)
    else:  # Selenium 3 (Saleor 2.10's pins)
        driver = webdriver.Chrome(executable_path=CHROMEDRIVER, options=options)
    try:
        driver.set_page_load_timeout(30)
        yield driver
    finally:
        driver.quit()
        shutil.rmtree(profile_dir, ignore_errors=True)


def emulate_phone(driver: Any, metrics: Dict[str, object] = PHONE) -> None:
    """Lay pages out as a phone does (its width, and the page's viewport meta tag)."""
    driver.execute_cdp_cmd("Emulation.setDeviceMetricsOverride", dict(metrics))
    driver.execute_cdp_cmd("Emulation.setTouchEmulationEnabled", {"enabled": True})


def save_screenshot(driver: Any, name: str) -> Path:
    """The whole page, beyond the viewport, as a PNG in ``artifacts/`` (not in git)."""
    shot = driver.execute_cdp_cmd(
        "Page.captureScreenshot", {"format": "png", "captureBeyondViewport": True}
    )
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / name
    path.write_bytes(base64.b64decode(shot["data"]))
    return path
