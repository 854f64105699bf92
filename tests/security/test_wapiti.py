"""wapiti (Debian's web vulnerability scanner) against a real gunicorn on 127.0.0.1, signed out and signed in
with a session cookie: 0 findings of high or critical level, and 0 of medium level either (wapiti 3.0.4 rates a
reflected XSS medium) apart from one known false positive. Each scan is bounded: wapiti stops its crawl after
45 s and each attack module after 20 s. Only modules that stay on loopback run: no ssrf/xxe (they call an
outside endpoint), no wapp (downloads its database), no brute-force or dictionary modules (buster, nikto,
backup, brute_login_form), no time-based blindsql."""

import json
import shutil
import subprocess

import pytest
from django.utils import timezone

from tests.security.website import Site
from tests.vault.vault_support import PASSWORD, make_user
from vault.services import secret_create

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.security,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(shutil.which("wapiti") is None, reason="wapiti is not installed (make wapiti)"),
]

MODULES = "exec,file,sql,xss,crlf,redirect,permanentxss,csrf,cookieflags,http_headers,csp,methods,htaccess"
# wapiti 3.0.4 checks --max-scan-time only while crawling and --max-attack-time per module, so a scan's own
# bound is the crawl plus every module's limit (45 + 13 x 20 s); a scan takes 20-40 s here.
CRAWL_SECONDS = 45
ATTACK_SECONDS = 20
SCAN_BOUND_SECONDS = CRAWL_SECONDS + ATTACK_SECONDS * len(MODULES.split(","))
# wapitiCore.language.vulnerability: CRITICAL_LEVEL "4", HIGH_LEVEL "3", MEDIUM_LEVEL "2", LOW_LEVEL "1".
MEDIUM = 2
# wapiti 3.0.4 looks for CSRF tokens by name and does not know Django's `csrfmiddlewaretoken`, so it reports
# every POST form; tests/security/test_url_walk.py proves missing and wrong tokens are refused.
FALSE_POSITIVES = {("Cross Site Request Forgery", "Lack of anti CSRF token")}


def wapiti_scan(site: Site, tmp_path, name: str, cookie: str | None = None) -> dict:
    report = tmp_path / f"{name}.json"
    command = [
        "wapiti", "-u", site.url("/"), "--scope", "folder", "-m", MODULES, "-d", "3",
        "--max-scan-time", str(CRAWL_SECONDS), "--max-attack-time", str(ATTACK_SECONDS), "--max-links-per-page", "40",
        "-t", "5", "--flush-session", "--store-session", str(tmp_path / f"{name}-session"),
        "--store-config", str(tmp_path / f"{name}-config"), "--no-bugreport", "-v", "0",
        "-f", "json", "-o", str(report),
    ]  # fmt: skip
    # No -x exclusions: Debian's wapiti 3.0.4 compiles them with an inline flag Python 3.11 rejects. Sign-out is
    # a POST form, which the crawl does not submit; the attack phase may, so the signed-in scan can end signed out.
    if cookie:
        command += ["-H", f"Cookie: sessionid={cookie}"]
    # The margin covers start-up and writing the report; a scan past its own bound is hung.
    done = subprocess.run(command, capture_output=True, text=True, timeout=SCAN_BOUND_SECONDS + 40, check=False)
    assert report.exists(), f"wapiti wrote no report: {done.stdout[-2000:]} {done.stderr[-2000:]}"
    return json.loads(report.read_text())


def findings(report: dict, *, level: int) -> list[tuple[str, str, str]]:
    """Vulnerabilities and anomalies (a 500 is an anomaly of high level) at `level` or above."""
    return [
        (category, found.get("path", ""), found.get("info", "")[:200])
        for section in ("vulnerabilities", "anomalies")
        for category, found_list in report[section].items()
        for found in found_list
        if int(found.get("level", 0)) >= level and (category, found.get("info", "")) not in FALSE_POSITIVES
    ]


def requests_logged(site: Site) -> list[str]:
    return [line for line in site.log.read_text(errors="replace").splitlines() if '" 200 ' in line or '" 30' in line]


@pytest.mark.timeout(2 * (SCAN_BOUND_SECONDS + 40) + 60)
def test_wapiti_finds_nothing_medium_or_high_signed_out_and_signed_in(tmp_path, django_user_model):
    user = make_user(django_user_model, "scanner@example.test")
    user.email_verified_at = timezone.now()
    user.save(update_fields=["email_verified_at"])
    secret_create(owner=user, path="prod/db", fields={"password": "scan-target", "user": "app"})
    site = Site(tmp_path / "web.log")
    try:
        site.wait_answering()
        # Signed in first: the signed-out scan attacks the sign-in form, and its address is then throttled.
        assert site.post_form("/accounts/login/", {"username": user.email, "password": PASSWORD}) == 200
        cookie = site.session_cookie()
        signed_out = wapiti_scan(site, tmp_path, "signed-out")
        before = len(requests_logged(site))
        signed_in = wapiti_scan(site, tmp_path, "signed-in", cookie=cookie)
        during = requests_logged(site)[before:]
    finally:
        site.stop()
    # The scans really ran, and the second one signed in: it was served the secret's own page.
    assert signed_out["infos"]["target"].startswith(site.url("/"))
    assert before > 50, f"the signed-out scan sent only {before} requests"
    assert any('"GET /secrets/s/prod/db HTTP/1.1" 200 ' in line for line in during), during[:20]
    assert findings(signed_out, level=MEDIUM) == []
    assert findings(signed_in, level=MEDIUM) == []
