package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Xvnc;
import io.vertx.core.json.JsonObject;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The browser desktop in real headless Chromium against a real site and real TigerVNC Xvnc servers: a user opens the
 * VNC resource from the store, noVNC connects through the appliance's WebSocket gateway with the launch's ticket,
 * and the canvas in the tab shows the desktop's background colour; the desktop resizes to the tab; the clipboard's
 * text goes both ways; a desktop that asks for a password gets it from the page's form, and a wrong one is refused
 * with the server's answer.
 */
class DesktopBrowserTest extends BrowserTest {

  /** How far a sampled channel may be from the painted colour (lossy encodings); black is far outside it. */
  private static final int TOLERANCE = 8;

  @AfterEach
  void backToOneTab() throws Exception {
    List<String> tabs = new ArrayList<>(browser.driver.getWindowHandles());
    for (int i = 1; i < tabs.size(); i++) {
      browser.driver.switchTo().window(tabs.get(i)).close();
    }
    browser.driver.switchTo().window(tabs.get(0));
    browser.desktopSized();
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void aUserOpensTheDesktopInATabAndSeesItsScreen() throws Exception {
    // GIVEN dana signed in to the store, which offers her VNC desktop in the browser
    openTab("desktop");

    // THEN the tab connects through the gateway with the launch's ticket, asking nothing
    browser.awaitText("#desktop-state", "Connected to web-host-1.");
    assertThat(browser.all("#desktop-password")).isEmpty();

    // AND the canvas shows the desktop: its background colour, everywhere it is sampled
    awaitCanvasColour(WebSite.DESKTOP_COLOUR);
    // AND the desktop fits the window (scaled to it) and no Content-Security-Policy violation was needed
    assertThat((Boolean) browser.script("const c = document.querySelector('#desktop canvas').getBoundingClientRect();"
        + "const s = document.getElementById('desktop').getBoundingClientRect();"
        + "return c.width > 0 && c.width <= s.width + 1 && c.height <= s.height + 1;")).isTrue();
    assertThat(browser.cspViolations()).isEmpty();

    // AND the session is connected, as the store and the console see it
    String dana = web.client.login("dana", "dana" + WebSite.PASSWORD_SUFFIX);
    browser.until("dana's desktop session connected", () -> web.client.get("/api/v1/sessions", dana).json()
        .getJsonArray("items").stream().map(JsonObject.class::cast)
        .anyMatch(s -> s.getString("resource").equals("desktop") && s.getString("state").equals("connected")));

    // WHEN she sends Ctrl+Alt+Del and then disconnects
    browser.click("#desktop-ctrl-alt-del");
    browser.click("#desktop-disconnect");

    // THEN the tab says the session ended and offers to open it again
    browser.awaitText("#desktop-state", "The session ended.");
    browser.await("#desktop-again");
  }

  @Test
  void resizingTheDesktopToTheWindowChangesTheRemoteScreen() throws Exception {
    // GIVEN dana's desktop, scaled to the window
    openTab("desktop");
    browser.awaitText("#desktop-state", "Connected to web-host-1.");
    awaitCanvasColour(WebSite.DESKTOP_COLOUR);

    // WHEN she has the desktop resized to the window
    browser.choose("#desktop-view", "Resize the desktop");

    // THEN the VNC server's screen takes the size of the page's desktop area, still painted
    browser.until("the remote screen resized to the window", () -> (Boolean) browser.script(
        "const c = document.querySelector('#desktop canvas'); const s = document.getElementById('desktop');"
        + "return c.width !== " + Xvnc.WIDTH + " && Math.abs(c.width - s.clientWidth) <= 2"
        + " && Math.abs(c.height - s.clientHeight) <= 2;"));
    awaitCanvasColour(WebSite.DESKTOP_COLOUR);
    browser.click("#desktop-disconnect");
    browser.awaitText("#desktop-state", "The session ended.");
  }

  @Test
  void theClipboardCarriesTextBothWays() throws Exception {
    // GIVEN dana's desktop with its clipboard box open
    openTab("desktop");
    browser.awaitText("#desktop-state", "Connected to web-host-1.");
    browser.click("#desktop-clipboard-toggle");

    // WHEN she sends text to the desktop's clipboard
    browser.type("#desktop-clipboard-text", "from the tab");
    browser.click("#desktop-clipboard-send");

    // THEN a program on the desktop pastes it
    browser.until("the desktop's clipboard holds the text", () -> "from the tab".equals(desktopClipboard()));

    // WHEN a program on the desktop copies text
    AutoCloseable copied = web.desktop.copy("from the desktop");
    try {
      // THEN the tab's clipboard box shows it
      browser.until("the clipboard box shows the desktop's text", () -> "from the desktop".equals(
          browser.script("return document.getElementById('desktop-clipboard-text').value;")));
    } finally {
      copied.close();
    }
    browser.click("#desktop-disconnect");
    browser.awaitText("#desktop-state", "The session ended.");
  }

  @Test
  void aDesktopThatAsksForAPasswordGetsItFromTheFormAndRefusesAWrongOne() throws Exception {
    // GIVEN dana opens the desktop whose VNC server asks for a password
    openTab("lockeddesktop");
    browser.await("#desktop-password");
    browser.awaitText("#desktop-state", "web-host-1 asks for its password.");

    // WHEN she types a wrong one
    browser.type("#desktop-password", "not-the-password");
    browser.click("#desktop-login-submit");

    // THEN the desktop's refusal is shown, with Open again
    browser.until("the refusal", () -> browser.attribute("#desktop-state", "textContent") != null
        && browser.attribute("#desktop-state", "textContent").startsWith("The desktop refused the login"));
    browser.click("#desktop-again");

    // WHEN she opens it again (a new launch) and types the right password
    browser.await("#desktop-password");
    browser.type("#desktop-password", WebSite.DESKTOP_PASSWORD);
    browser.click("#desktop-login-submit");

    // THEN the desktop is there, and the form and what was typed are gone
    browser.awaitText("#desktop-state", "Connected to web-host-1.");
    awaitCanvasColour(WebSite.LOCKED_COLOUR);
    assertThat(browser.all("#desktop-password")).isEmpty();
    browser.click("#desktop-disconnect");
    browser.awaitText("#desktop-state", "The session ended.");
  }

  @Test
  void theDesktopPagePassesAxeOnDesktopAndPhone() throws Exception {
    for (boolean phone : new boolean[] {false, true}) {
      // GIVEN the password form, then a connected desktop with its clipboard panel open
      openTab("lockeddesktop");
      if (phone) {
        browser.phoneSized();
      }
      browser.await("#desktop-password");
      check("desktop password form", phone);
      browser.type("#desktop-password", WebSite.DESKTOP_PASSWORD);
      browser.click("#desktop-login-submit");
      browser.awaitText("#desktop-state", "Connected to web-host-1.");
      awaitCanvasColour(WebSite.LOCKED_COLOUR);
      browser.click("#desktop-clipboard-toggle");
      browser.await("#desktop-clipboard-text");
      check("desktop", phone);
      browser.click("#desktop-disconnect");
      browser.awaitText("#desktop-state", "The session ended.");
      check("desktop ended", phone);
      backToOneTab();
    }
  }

  private static String desktopClipboard() {
    try {
      return web.desktop.clipboard();
    } catch (Exception e) {
      throw new IllegalStateException(e);
    }
  }

  private static void check(String page, boolean phone) {
    String where = page + (phone ? " (phone)" : "");
    assertThat(Axe.seriousViolations(browser)).as(where).isEmpty();
    assertThat(browser.scrollsSideways()).as(() -> where + " scrolls sideways: " + browser.script(
        "return [...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right > "
        + "document.documentElement.clientWidth + 1).map(e => e.tagName + '#' + e.id + '.' + e.className + ' '"
        + " + Math.round(e.getBoundingClientRect().right)).join(', ');")).isFalse();
    assertThat(browser.cspViolations()).as(where + " CSP violations").isEmpty();
  }

  /** Dana signs in and presses Open in browser on a desktop; the new tab is the browser's current one. */
  private static void openTab(String resource) throws Exception {
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
    browser.signIn("dana", "dana" + WebSite.PASSWORD_SUFFIX);
    browser.await("li[data-resource='" + resource + "']");
    browser.click("li[data-resource='" + resource + "'] button.open-desktop");
    browser.until("a second tab", () -> browser.driver.getWindowHandles().size() == 2);
    String store = browser.driver.getWindowHandle();
    browser.driver.getWindowHandles().stream().filter(h -> !h.equals(store)).findFirst()
        .ifPresent(tab -> browser.driver.switchTo().window(tab));
  }

  /**
   * Waits until every sampled pixel of the desktop's canvas (corners, middle, in between; read back with
   * getImageData) is the colour, within {@link #TOLERANCE} per channel.
   */
  private static void awaitCanvasColour(String colour) throws Exception {
    int[] want = {Integer.parseInt(colour.substring(1, 3), 16), Integer.parseInt(colour.substring(3, 5), 16),
        Integer.parseInt(colour.substring(5, 7), 16)};
    Object[] last = new Object[1];
    try {
      browser.until("the canvas shows " + colour, () -> {
        Object samples = browser.script("const c = document.querySelector('#desktop canvas');"
            + "if (!c || c.width === 0 || c.height === 0) { return null; }"
            + "const g = c.getContext('2d');"
            + "return [[0.05, 0.05], [0.5, 0.5], [0.95, 0.95], [0.25, 0.75], [0.75, 0.25], [0.95, 0.05]]"
            + ".map(([x, y]) => Array.from(g.getImageData(Math.floor(c.width * x), Math.floor(c.height * y), 1, 1)"
            + ".data.slice(0, 3)));");
        last[0] = samples;
        return samples instanceof List<?> pixels && !pixels.isEmpty() && pixels.stream().allMatch(pixel -> {
          List<?> rgb = (List<?>) pixel;
          for (int i = 0; i < 3; i++) {
            if (Math.abs(((Number) rgb.get(i)).intValue() - want[i]) > TOLERANCE) {
              return false;
            }
          }
          return true;
        });
      });
    } catch (AssertionError e) {
      throw new AssertionError(e.getMessage() + "\nlast samples (RGB): " + last[0], e);
    }
  }
}
