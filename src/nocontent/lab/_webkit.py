"""Open the browser lab's page in WebKitGTK's MiniBrowser, through Selenium and WebKitWebDriver.

Run by ``python -m nocontent lab browsers`` as
``xvfb-run -a python -m nocontent.lab._webkit MINIBROWSER DRIVER URL``: the GTK
MiniBrowser has no headless mode, so it draws into a virtual X display.
Prints one JSON line (the browser's version and user agent) once the page has
loaded, keeps the browser open until a line arrives on stdin (or stdin
closes), then quits. Selenium Manager is kept offline: the driver's path is
given, and ``SE_OFFLINE`` is set.
"""

from __future__ import annotations

import json
import os
import sys

__all__ = ["main"]


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print("usage: python -m nocontent.lab._webkit MINIBROWSER WEBKITWEBDRIVER URL",
              file=sys.stderr)
        return 2
    minibrowser, driver_path, url = argv
    os.environ["SE_OFFLINE"] = "true"
    from selenium import webdriver
    from selenium.webdriver.webkitgtk.options import Options
    from selenium.webdriver.webkitgtk.service import Service

    options = Options()
    options.binary_location = minibrowser
    options.add_argument("--automation")  # MiniBrowser refuses a WebDriver session without it
    options.accept_insecure_certs = True  # the course's TLS server has a throwaway certificate
    driver = webdriver.WebKitGTK(options=options, service=Service(executable_path=driver_path))
    try:
        driver.get(url)
        agent = driver.execute_script("return navigator.userAgent")
        print(json.dumps({"version": driver.capabilities.get("browserVersion"),
                          "user_agent": agent}), flush=True)
        sys.stdin.readline()
    finally:
        driver.quit()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
