"""The web console in a real browser (Debian's Chromium through chromedriver), against a real
`steward serve` on loopback with this machine enrolled by the real `steward-agent`.

Run by scripts/browser-test, which starts the server and passes its address, the admin's
password and API token, and where the agent's state lives. Every step asserts what a user sees;
the screenshots of the main pages go to docs/screenshots/.
"""
import base64, hashlib, hmac, json, os, socket, struct, subprocess, sys, time, urllib.error, urllib.parse, urllib.request

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, TimeoutException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

BASE, PASSWORD, TOKEN, AGENT, STATE, SHOTS = sys.argv[1:7]
HELPDESK_ROLE = "00000000-0000-0000-0000-000000000004"
failures = []


def check(condition, what):
    print(("ok   " if condition else "FAIL ") + what, flush=True)
    if not condition:
        failures.append(what)


def api(method, path, body=None, token=TOKEN, raw=None, headers=None):
    data = raw if raw is not None else (json.dumps(body).encode() if body is not None else None)
    request = urllib.request.Request(BASE + path, data=data, method=method)
    if token:
        request.add_header("Authorization", "Bearer " + token)
    if data is not None and raw is None:
        request.add_header("Content-Type", "application/json")
    for key, value in (headers or {}).items():
        request.add_header(key, value)
    try:
        with urllib.request.urlopen(request) as answer:
            text = answer.read().decode()
            return answer.status, (json.loads(text) if text and answer.headers.get_content_type() == "application/json" else text)
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def totp(secret, at=None):
    """RFC 6238 with the secret's bytes as the key (as Steward's authenticator URL says, in base32)."""
    counter = int((at or time.time()) // 30)
    digest = hmac.new(secret.encode(), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 15
    return "%06d" % ((struct.unpack(">I", digest[offset:offset + 4])[0] & 0x7FFFFFFF) % 1_000_000)


def fake_device(name, app_version="1.0", ownership="corporate"):
    """A device enrolled and checked in through the API, with a given name and one app."""
    status, token = api("POST", "/api/v1/enrollment-tokens", {"ownership": ownership})
    assert status == 201, token
    status, enrolled = api("POST", "/api/v1/enroll", {"platform": "linux", "platformId": hashlib.md5(name.encode()).hexdigest(),
                                                       "deviceName": name}, token=token["token"])
    assert status == 201, enrolled
    hashes = {"hardware": "a" * 64, "operatingSystem": "b" * 64, "network": "c" * 64, "apps": "d" * 64}
    status, answer = api("POST", "/api/v1/check-in", {
        "agentVersion": "test", "hashes": hashes,
        "hardware": {"deviceName": name, "serialNumber": "SN-" + hashlib.md5(name.encode()).hexdigest()[:8]},
        "operatingSystem": {"platform": "linux", "name": "Debian GNU/Linux", "version": "12"},
        "network": {"interfaces": []},
        "apps": [{"appId": "demo:amd64", "name": "demo", "version": app_version}],
    }, token=enrolled["deviceSecret"])
    assert status == 200, answer
    return enrolled["deviceId"]


options = webdriver.ChromeOptions()
for argument in ["--headless=new", "--no-sandbox", "--disable-dev-shm-usage", "--window-size=1280,860", "--hide-scrollbars"]:
    options.add_argument(argument)
browser = webdriver.Chrome(service=Service(os.environ.get("CHROMEDRIVER", "/usr/bin/chromedriver")), options=options)
browser.implicitly_wait(0)


def find(css):
    """The element, once the page that has it has loaded (navigations after a click are waited for)."""
    return WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.CSS_SELECTOR, css))[0]


def shows(text, css="main"):
    """Whether the page comes to show `text` in `css` (waits through a navigation in progress)."""
    try:
        # The texts are read in one script, inside one document: reading element by element races a
        # navigation in progress (a node of the page being left is "stale", or "does not belong to
        # the document"); whatever the driver says while the page changes is waited through.
        WebDriverWait(browser, 20, ignored_exceptions=[WebDriverException]).until(
            lambda driver: any(text in shown for shown in driver.execute_script(
                "return Array.from(document.querySelectorAll(arguments[0]), e => e.innerText)", css)))
        return True
    except TimeoutException:
        return False


def shot(name):
    browser.save_screenshot(os.path.join(SHOTS, name + ".png"))


def sign_in(user, password, code_for=None):
    browser.delete_all_cookies()
    browser.get(BASE + "/")
    check(browser.current_url.endswith("/sign-in"), "signed out, / leads to the sign-in page")
    check(not browser.find_elements(By.NAME, "tenant"), "one tenant: the form asks no tenant")
    browser.find_element(By.NAME, "userName").send_keys(user)
    browser.find_element(By.NAME, "password").send_keys(password)
    browser.find_element(By.ID, "sign-in").click()
    if code_for:
        asked = WebDriverWait(browser, 20).until(lambda driver: driver.find_elements(By.NAME, "totp") or driver.find_elements(By.ID, "stats"))
        check(asked and asked[0].get_attribute("name") == "totp", "the account has a second factor: the form asks its code")
        browser.find_element(By.NAME, "password").send_keys(password)
        browser.find_element(By.NAME, "totp").send_keys(totp(code_for))
        browser.find_element(By.ID, "sign-in").click()
    # The redirect after sign-in is a navigation: wait for it to land, not for a time.
    WebDriverWait(browser, 20).until(lambda driver: not driver.current_url.endswith("/sign-in"))
    cookie = browser.get_cookie("steward_session")
    check(cookie is not None and cookie.get("httpOnly") and cookie.get("sameSite") == "Strict", "the session cookie is HttpOnly and SameSite=Strict")


try:
    hostname = socket.gethostname()
    # The administrator turns the second factor on (through the API, as an authenticator app would be set up).
    status, setup = api("POST", "/api/v1/me/totp")
    check(status == 201, "second factor started")
    status, _ = api("POST", "/api/v1/me/totp/confirm", {"code": totp(setup["secret"])})
    check(status == 204, "second factor confirmed")

    # 1. Sign-in with the code, the dashboard with its charts.
    sign_in("admin", PASSWORD, code_for=setup["secret"])
    check(browser.title.startswith("Dashboard"), "signed in: the dashboard")
    charts = browser.find_elements(By.CSS_SELECTOR, "svg.chart")
    check(len(charts) >= 4, "the dashboard draws its charts as SVG (%d)" % len(charts))
    check(len(browser.find_elements(By.CSS_SELECTOR, "figure details table")) >= 4, "each chart has its numbers in a table")
    shot("dashboard")

    # 2. This machine, enrolled by the real agent, in the device list and found by its name.
    browser.get(BASE + "/devices")
    browser.find_element(By.ID, "f-q").send_keys(hostname)
    browser.find_element(By.CSS_SELECTOR, "form.filters button[type=submit]").click()
    WebDriverWait(browser, 20).until(lambda driver: driver.current_url.endswith("/devices/search"))
    names = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "#devices tbody a")]
    check(hostname in names, "the search finds this machine (%s) among %s" % (hostname, names))
    check(hostname not in browser.current_url, "the searched name is in no URL")
    browser.get(BASE + "/devices")
    shot("devices")
    browser.find_element(By.LINK_TEXT, hostname).click()
    find("#fields")
    device_url = browser.current_url
    device_id = device_url.rstrip("/").split("/")[-1]

    # 3. Its detail with the catalog's badges and its real inventory.
    badges = {badge.text for badge in browser.find_elements(By.CSS_SELECTOR, "#fields .badge")}
    check({"identified", "pseudonymized", "aggregated"} <= badges, "the fields carry the catalog's badges: %s" % sorted(badges))
    apps = browser.find_elements(By.CSS_SELECTOR, "#app-list tbody tr")
    check(len(apps) == 100, "its real app inventory is listed, a page at a time (%d rows)" % len(apps))
    shot("device")

    # 4. A sync sent from the page; the agent's next check-in runs it; the page shows it succeeded.
    browser.find_element(By.ID, "task-sync").click()
    check("The task was sent" in find(".flash").text, "the sync was sent")
    output = subprocess.run([AGENT, "check-in", "--state-dir", STATE], capture_output=True, text=True, timeout=120)
    check(output.returncode == 0 and "Remote task sync: succeeded" in output.stdout, "the real agent ran the sync: " + output.stdout.strip()[-120:])
    browser.get(device_url)
    first = browser.find_element(By.CSS_SELECTOR, "#tasks tbody tr")
    check("sync" in first.text and "succeeded" in first.text, "the page shows the sync succeeded: " + first.text)

    # 5. The XSS cases render as text and run nothing.
    xss_id = fake_device("<script>alert(1)</script>", app_version='"><img src=x onerror=alert(1)>')
    browser.get(BASE + "/devices/" + xss_id)
    try:
        browser.switch_to.alert
        check(False, "no script ran on the device page")
    except NoAlertPresentException:
        check(True, "no script ran on the device page")
    check(browser.find_element(By.TAG_NAME, "h1").text == "<script>alert(1)</script>", "the device's name shows as text")
    check('"><img src=x onerror=alert(1)>' in browser.find_element(By.ID, "app-list").text, "the app version shows as text")
    check(not browser.find_elements(By.CSS_SELECTOR, "main img"), "no image was injected")

    # 6. A form post without the page's CSRF token is refused, with the session cookie.
    session = browser.get_cookie("steward_session")["value"]
    _, before = api("GET", "/api/v1/devices/%s/remote-tasks" % device_id)
    status, body = api("POST", "/devices/%s/tasks" % device_id, raw=b"kind=restart", token=None,
                       headers={"Cookie": "steward_session=" + session, "Content-Type": "application/x-www-form-urlencoded", "Origin": BASE})
    _, after = api("GET", "/api/v1/devices/%s/remote-tasks" % device_id)
    check(status == 403 and len(after["items"]) == len(before["items"]), "a CSRF-less post is refused (%d) and sends nothing" % status)

    # 7. A help-desk operator scoped to one group sees its devices only.
    other_id = fake_device("outside-the-lab")
    _, group = api("POST", "/api/v1/groups", {"name": "Lab", "kind": "device"})
    api("POST", "/api/v1/groups/%s/members" % group["id"], {"deviceId": device_id})
    helpdesk_password = "help desk password 1"
    _, helpdesk = api("POST", "/api/v1/admins", {"userName": "helpdesk", "firstName": "Hal", "lastName": "Desk",
                                                 "email": "helpdesk@example.test", "password": helpdesk_password})
    status, _ = api("POST", "/api/v1/role-assignments", {"roleId": HELPDESK_ROLE, "adminId": helpdesk["id"], "scopeGroupIds": [group["id"]]})
    check(status == 201, "the operator holds Help Desk Operator for the Lab group")
    sign_in("helpdesk", helpdesk_password)
    browser.get(BASE + "/devices")
    names = [link.text for link in browser.find_elements(By.CSS_SELECTOR, "#devices tbody a")]
    check(names == [hostname], "the scoped operator sees the Lab's device only: %s" % names)
    browser.get(BASE + "/devices/" + other_id)
    check(browser.title.startswith("Not found"), "another group's device is not found for them")
    check(not browser.find_elements(By.ID, "task-wipe"), "no wipe for a role without it")
    browser.get(device_url)
    check(not browser.find_elements(By.ID, "task-wipe") and browser.find_elements(By.ID, "task-sync"), "their device page offers sync, not wipe")

    # 8. A data-subject erasure with its typed confirmation.
    _, user = api("POST", "/api/v1/users", {"displayName": "Erin Erased", "upn": "erin@example.test"})
    erased_device = fake_device("erins-laptop")
    api("PATCH", "/api/v1/devices/" + erased_device, {"userId": user["id"]})
    sign_in("admin", PASSWORD, code_for=setup["secret"])
    browser.get(BASE + "/privacy")
    shot("privacy")
    form = browser.find_element(By.ID, "erase").find_element(By.XPATH, "./..")
    form.find_element(By.NAME, "userId").send_keys(user["id"])
    check(not browser.find_element(By.ID, "erase").is_enabled(), "erase stays disabled until the word is typed")
    form.find_element(By.NAME, "confirm").send_keys("erase")
    browser.find_element(By.ID, "erase").click()
    check("1 devices deleted" in find("#erased").text, "the erasure deleted the user's device")
    status, _ = api("GET", "/api/v1/devices/" + erased_device)
    check(status == 404, "the erased device is gone from the API too")

    browser.get(BASE + "/audit")
    check("chain holds" in browser.find_element(By.ID, "chain").text, "the audit log's hash chain holds")
    check("PrivacyErasure" in browser.find_element(By.ID, "audit").text, "the erasure is in the audit log")
    shot("audit")
    browser.get(BASE + "/admins")
    shot("admins")

    # 9. A support case opened from the console, written in and closed; the settings page
    # shows the directory a SCIM token connected.
    browser.get(BASE + "/support")
    form = browser.find_element(By.ID, "open-case").find_element(By.XPATH, "./..")
    form.find_element(By.NAME, "subject").send_keys("Agent will not enroll")
    form.find_element(By.NAME, "contactName").send_keys("Helen Help")
    form.find_element(By.NAME, "contactEmail").send_keys("helen@example.test")
    form.find_element(By.NAME, "message").send_keys("Error 42 since the update <b>bold?</b>")
    browser.find_element(By.ID, "open-case").click()
    check(shows("Agent will not enroll", "h1"), "the case opens on its thread")
    check("<b>bold?</b>" in browser.find_element(By.TAG_NAME, "main").text, "the message shows as text, not markup")
    browser.find_element(By.NAME, "message").send_keys("Also on a second laptop.")
    browser.find_element(By.ID, "write-message").click()
    check(shows("Also on a second laptop."), "the second message is in the thread")
    browser.find_element(By.ID, "case-status").click()
    check(shows("The case was closed."), "the case is closed")
    shot("support")
    status, made = api("POST", "/api/v1/scim-tokens", {"name": "Entra ID", "directoryTenantId": "72f988bf-tenant"})
    check(status == 201 and made["token"].startswith("sts."), "a SCIM token for the directory")
    browser.get(BASE + "/settings")
    check(shows("72f988bf-tenant", "#connectors"), "the settings page lists the connected directory")
    check("Entra ID" in find("#scim-tokens").text, "and its SCIM token, without the secret")
    check(made["token"] not in browser.page_source, "the token itself is never shown again")
    # 10. Apple devices: the push certificate pasted into the settings form (made here by
    # openssl as Apple's look: the topic in the subject's UID); its key never shown again.
    check(shows("No push certificate", "#apple-push"), "without a push certificate, Apple devices cannot enroll")
    import subprocess, tempfile
    with tempfile.TemporaryDirectory() as folder:
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
                        "-keyout", folder + "/push.key", "-out", folder + "/push.pem", "-days", "365",
                        "-subj", "/UID=com.apple.mgmt.External.browser-test/CN=APSP:browser-test"], check=True, capture_output=True)
        certificate, key = open(folder + "/push.pem").read(), open(folder + "/push.key").read()
    browser.find_element(By.NAME, "certificate").send_keys(certificate)
    browser.find_element(By.NAME, "privateKey").send_keys(key)
    browser.find_element(By.NAME, "appleId").send_keys("mdm@example.test")
    browser.find_element(By.ID, "upload-push").click()
    check(shows("com.apple.mgmt.External.browser-test", "#apple-push"), "the settings page shows the push topic")
    check(shows("Apple push", "#connectors"), "and Apple's push service among the connected third parties")
    check("PRIVATE KEY" not in browser.page_source, "the private key is never shown")
    shot("settings")
    browser.execute_script("arguments[0].scrollIntoView()", find("#apple-push"))
    shot("apple-push")
    browser.get(BASE + "/")
    shot("dashboard")
    browser.get(BASE + "/devices?sort=name")
    shot("devices")
finally:
    browser.quit()

print("%d failures" % len(failures))
sys.exit(1 if failures else 0)
