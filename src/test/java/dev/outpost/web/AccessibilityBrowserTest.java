package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.TestSite;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Keys;

/**
 * axe-core over the store and the console, on a desktop and a phone-sized window: no serious or critical
 * violations, no sideways scrolling, no CSP violations in the console, and the store usable by keyboard alone.
 */
class AccessibilityBrowserTest extends BrowserTest {

  @Test
  void theStorePassesAxeOnDesktopAndPhone() throws Exception {
    for (boolean phone : new boolean[] {false, true}) {
      size(phone);
      // GIVEN the sign-in page
      browser.open(web.url("/"));
      browser.signOutIfSignedIn();
      check("store sign-in", phone);

      // WHEN alice signs in and launches THEN the store and its launch panel pass too
      browser.signIn("alice", "alice" + WebSite.PASSWORD_SUFFIX);
      browser.await("li[data-resource='echo']");
      check("store", phone);
      browser.click("li[data-resource='echo'] button.launch");
      browser.awaitText("#launch-heading", "Echo service is ready");
      browser.await("#sessions tbody button");
      check("store after a launch", phone);

      // AND the offline store
      web.link.cut();
      try {
        browser.open(web.url("/"));
        browser.await("#offline-banner");
        check("offline store", phone);
      } finally {
        web.link.restore();
      }
      browser.click("#reconnect");
      browser.awaitGone("#offline-banner");
      browser.click("#sessions button[data-action='logoff']");
      browser.click("#sign-out");
      browser.await("#signin-username");
    }
  }

  @Test
  void theConsolePassesAxeOnEverySection() throws Exception {
    for (boolean phone : new boolean[] {false, true}) {
      size(phone);
      browser.open(web.url("/admin/"));
      browser.signOutIfSignedIn();
      check("console sign-in", phone);
      browser.signIn("admin", TestSite.ADMIN_PASSWORD);
      browser.await("#view[data-section='dashboard'] table");
      check("dashboard", phone);
      for (String section : new String[] {"hosts", "sessions", "session-history", "pools", "resources",
          "entitlements", "users", "groups", "enroll-tokens", "leases", "recordings", "audit"}) {
        browser.open(web.url("/admin/" + section));
        browser.await("#view[data-section='" + section + "'] h1");
        browser.until(section + " loaded", () -> !browser.all("#view table, #leases-unavailable").isEmpty());
        check("console " + section, phone);
      }
      browser.click("#sign-out");
      browser.await("#signin-username");
    }
  }

  @Test
  void theStoreWorksWithTheKeyboardAlone() throws Exception {
    // GIVEN the sign-in page
    browser.desktopSized();
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();

    // WHEN alice types her credentials and presses Enter, then tabs to echo's launch button and presses Enter
    browser.await("#signin-username").sendKeys("alice", Keys.TAB, "alice" + WebSite.PASSWORD_SUFFIX, Keys.ENTER);
    browser.await("li[data-resource='echo']");
    for (int i = 0; i < 20 && !"launch".equals(browser.script("return document.activeElement.className;")); i++) {
      browser.driver.switchTo().activeElement().sendKeys(Keys.TAB);
    }
    browser.driver.switchTo().activeElement().sendKeys(Keys.ENTER);

    // THEN the launch panel opens and takes the focus
    browser.await("#launch-heading");
    browser.until("focus on the launch panel", () -> "launch-heading".equals(
        browser.script("return document.activeElement.id;")));
    browser.click("#sessions button[data-action='logoff']");
    browser.click("#sign-out");
    browser.await("#signin-username");
  }

  private static void size(boolean phone) {
    if (phone) {
      browser.phoneSized();
    } else {
      browser.desktopSized();
    }
  }

  private static void check(String page, boolean phone) {
    String where = page + (phone ? " (phone)" : "");
    assertThat(Axe.seriousViolations(browser)).as(where).isEmpty();
    assertThat(browser.scrollsSideways()).as(where + " scrolls sideways").isFalse();
    assertThat(browser.cspViolations()).as(where + " CSP violations").isEmpty();
  }
}
