"""Drives max serve's explorer in headless Chromium through Selenium's WebDriver client.

Run by ExplorerBrowserTests (Swift), which starts Acme, a synced project and max serve:
    python3 explorer_test.py <base URL> <read token> <operate token> <screenshot folder> <xss title>
        <project id> <user id>
Prints one JSON line: the checks made, each with its outcome. Exits 0 when all hold.
"""

import json
import sys
from urllib.parse import quote

from selenium import webdriver
from selenium.common.exceptions import NoAlertPresentException, WebDriverException
from selenium.webdriver.chrome.options import Options
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

base, token, operate, shots, xss, project, user = sys.argv[1:8]
options = Options()
for argument in ["--headless=new", "--no-sandbox", "--disable-gpu", "--window-size=1280,900"]:
    options.add_argument(argument)
options.binary_location = "/usr/bin/chromium"
driver = webdriver.Chrome(service=Service("/usr/bin/chromedriver"), options=options)
checks = []


def check(name, condition, detail=""):
    checks.append({"name": name, "ok": bool(condition), "detail": str(detail)[:300]})


def click(element):
    """Clicks something that loads a page, and waits until the new page replaced the old and has
    loaded. A loaded machine can take seconds; the wait ends as soon as the page is there."""
    page = driver.find_element(By.TAG_NAME, "html")
    element.click()

    def replaced(_):
        # Chromium reports a node of a document it replaced either as stale or as "not in the
        # document": both mean the old page is gone.
        try:
            page.is_enabled()
            return False
        except WebDriverException:
            return True

    WebDriverWait(driver, 60).until(replaced)
    WebDriverWait(driver, 60).until(lambda _: driver.execute_script("return document.readyState") == "complete")


def heading():
    return driver.find_element(By.TAG_NAME, "h1").text


def column(name):
    """The cells of the results table's column `name`, as text."""
    headers = [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, "table.records thead th")]
    if name not in headers:
        return None
    index = headers.index(name) + 1
    return [cell.text for cell in driver.find_elements(By.CSS_SELECTOR, f"table.records tbody tr td:nth-child({index})")]


def search(filter_text, fields=""):
    box = driver.find_element(By.ID, "filter")
    box.clear()
    box.send_keys(filter_text)
    picker = driver.find_element(By.ID, "fields")
    picker.clear()
    picker.send_keys(fields)
    click(driver.find_element(By.CSS_SELECTOR, "form.query button"))


try:
    driver.get(base + "/")
    check("a page without a session asks to sign in", driver.current_url.endswith("/session"), driver.current_url)
    driver.find_element(By.ID, "token").send_keys("mxt_not-a-token")
    click(driver.find_element(By.CSS_SELECTOR, "form.signin button"))
    check("a wrong token is refused", "not one of this project" in driver.page_source)
    driver.find_element(By.ID, "token").send_keys(token)
    click(driver.find_element(By.CSS_SELECTOR, "form.signin button"))
    check("signing in shows the installations", heading() == "Installations", heading())
    session = [cookie for cookie in driver.get_cookies() if cookie["name"] == "max_session"]
    check(
        "the session cookie is HttpOnly and SameSite=Strict",
        session and session[0].get("httpOnly") and session[0].get("sameSite") == "Strict",
        session,
    )
    check("a read session sees no operation form", not driver.find_elements(By.CSS_SELECTOR, "form.operation"))
    driver.save_screenshot(f"{shots}/installations.png")

    click(driver.find_element(By.LINK_TEXT, "acme"))
    check("an installation shows its types", heading() == "acme" and "AcmeTask" in driver.page_source, heading())
    driver.save_screenshot(f"{shots}/installation.png")

    click(driver.find_element(By.LINK_TEXT, "AcmeTask"))
    search('status = "todo"', "title,status,assignee.displayName")
    statuses = column("status") or []
    check("a valid filter shows only what it matches", statuses and set(statuses) == {"todo"}, statuses)
    names = column("assignee.displayName") or []
    check("a field through a ref shows the target's value", any(names), names)
    check("the filter is in the URL, to share", "filter=status" in driver.current_url, driver.current_url)
    driver.save_screenshot(f"{shots}/table.png")

    search('status = ', "")
    alert = driver.find_elements(By.CSS_SELECTOR, "div.error")
    check("an invalid filter shows its error", alert and "search.invalid_filter" in alert[0].text, alert and alert[0].text)
    carets = driver.find_elements(By.CSS_SELECTOR, "pre.caret")
    check("with a caret under the column", carets and carets[0].text.rstrip().endswith("^"), carets and carets[0].text)
    driver.save_screenshot(f"{shots}/invalid-filter.png")

    driver.get(base + "/ui/i/acme/t/AcmeTask?limit=5")
    first = column("_id") or []
    click(driver.find_element(By.CSS_SELECTOR, "a[rel=next]"))
    second = column("_id") or []
    check(
        "paging forward shows the next rows, after the first page's",
        len(first) == 5 and second and min(second) > max(first),
        (first, second),
    )

    # A task that has an assignee: the one this test creates has none, and its id is random, so it
    # may be the first row of any page.
    driver.get(base + "/ui/i/acme/t/AcmeTask?limit=5&filter=" + quote("assignee IS NOT NULL"))
    click(driver.find_element(By.CSS_SELECTOR, "table.records tbody tr td a"))
    task = heading()
    check("a record opens from its row", task.startswith("tsk_"), task)
    driver.save_screenshot(f"{shots}/record.png")
    assignee = driver.find_elements(By.XPATH, "//tr[th[text()='assignee']]//a")
    check("its ref is a link", assignee, driver.page_source[:300])
    if assignee:
        user = assignee[0].text
        click(assignee[0])
        check("following the ref opens the target", heading() == user and "/t/AcmeUser/" in driver.current_url, heading())
        click(driver.find_element(By.PARTIAL_LINK_TEXT, "AcmeTask whose assignee is it"))
        assigned = column("assignee") or []
        check("and back: the tasks assigned to them", assigned and set(assigned) == {user}, assigned)

    driver.get(base + "/ui/i/acme/t/AcmeTask")
    search('title ~= "<script>"', "title")
    titles = column("title") or []
    check("a title holding a script shows as text", titles == [xss], titles)
    try:
        driver.switch_to.alert
        check("and runs nothing", False, "an alert opened")
    except NoAlertPresentException:
        check("and runs nothing", True)
    check("escaped in the page", "&lt;script&gt;" in driver.page_source)

    driver.get(base + "/ui/i/acme/ops")
    check(
        "a read session's operations link to no form",
        "createTask" in driver.page_source and not driver.find_elements(By.LINK_TEXT, "createTask"),
    )
    driver.get(base + "/ui/i/acme/ops/createTask")
    check(
        "and the form's address refuses it",
        not driver.find_elements(By.CSS_SELECTOR, "form.operation") and "api.forbidden" in driver.page_source,
    )
    driver.get(base + "/ui/i/acme/runs")
    check("the runs page charts the sync history", driver.find_elements(By.CSS_SELECTOR, "figure.chart svg rect"))
    driver.save_screenshot(f"{shots}/runs.png")

    click(driver.find_element(By.CSS_SELECTOR, "form.signout button"))
    driver.get(base + "/")
    check("signing out ends the session", driver.current_url.endswith("/session"), driver.current_url)

    driver.find_element(By.ID, "token").send_keys(operate)
    click(driver.find_element(By.CSS_SELECTOR, "form.signin button"))
    driver.get(base + "/ui/i/acme/ops")
    click(driver.find_element(By.LINK_TEXT, "createTask"))
    driver.find_element(By.ID, "in-projectId").send_keys(project)
    driver.find_element(By.ID, "in-title").send_keys("Made in the explorer")
    driver.find_element(By.ID, "in-createdById").send_keys(user)
    driver.save_screenshot(f"{shots}/operation.png")
    click(driver.find_element(By.CSS_SELECTOR, "form.operation button"))
    results = driver.find_elements(By.CSS_SELECTOR, "pre.result")
    check(
        "an operate session creates a task through the form",
        results and "Made in the explorer" in results[0].text,
        driver.find_elements(By.CSS_SELECTOR, "div.error") and driver.find_element(By.CSS_SELECTOR, "div.error").text,
    )
    driver.get(base + "/ui/i/acme/t/AcmeTask")
    search('title = "Made in the explorer"', "title")
    check("which the table shows at once", column("title") == ["Made in the explorer"], column("title"))
except Exception as error:  # a step that could not run is a failed check, reported with the rest
    import traceback

    step = [frame for frame in traceback.extract_tb(error.__traceback__) if frame.filename == __file__][-1]
    check("every step ran", False, f"{type(error).__name__} at line {step.lineno} ({step.line}): {error}")
finally:
    driver.quit()

print(json.dumps(checks))
sys.exit(0 if checks and all(item["ok"] for item in checks) else 1)
