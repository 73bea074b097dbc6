package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Sshd;
import java.nio.file.Files;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.By;
import org.openqa.selenium.Keys;

/**
 * The browser terminal in real headless Chromium against a real site and a real OpenSSH sshd: a user opens the SSH
 * resource from the store, logs in to the host with a key, types, and reads the shell's answer; the help desk sees
 * the session connected in the console and logs it off, which closes the terminal; a network drop is resumed.
 */
class TerminalBrowserTest extends BrowserTest {

  @AfterEach
  void backToOneTab() throws Exception {
    web.link.restore();
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
  void aUserOpensTheShellInATabTypesAndTheHelpDeskLogsItOff() throws Exception {
    // GIVEN terry signed in to the store, which offers his SSH resource in the browser
    openShellTab();

    // WHEN he logs in to the host with his private key
    logInWithKey();

    // THEN the terminal says it is connected, and the shell answers what he types
    browser.awaitText("#terminal-state", "Connected to web-host-1 as " + Sshd.USER + ".");
    assertThat(browser.await("#terminal-hostkey").getText()).startsWith("Host key SHA256:");
    typeInTerminal("echo $((6*7))");
    awaitTerminalLine("42");
    // AND no Content-Security-Policy violation was needed to draw it
    assertThat(browser.cspViolations()).isEmpty();

    // AND the help desk sees the session connected in the console, and logs it off there
    Browser helpdesk = Browser.start();
    try {
      helpdesk.open(web.url("/admin/sessions"));
      helpdesk.signIn("helpdesk", "helpdesk" + WebSite.PASSWORD_SUFFIX);
      helpdesk.until("terry's sshbox connected in the console", () -> helpdesk.all("#view table tbody tr").stream()
          .anyMatch(row -> row.getText().contains("terry") && row.getText().contains("sshbox")
              && row.getText().contains("connected")));
      helpdesk.click("#view button[aria-label='Log off terry from sshbox']");
      helpdesk.click("#confirm-ok");
      helpdesk.awaitGone("#view button[aria-label='Log off terry from sshbox']");
    } finally {
      helpdesk.close();
    }

    // THEN terry's terminal closes and says the session ended
    browser.awaitText("#terminal-state", "The session ended.");
    browser.await("#terminal-again");
  }

  @Test
  void aNetworkDropIsResumedIntoTheSameShell() throws Exception {
    // GIVEN terry's terminal with a shell variable set
    openShellTab();
    logInWithKey();
    browser.awaitText("#terminal-state", "Connected to web-host-1 as " + Sshd.USER + ".");
    typeInTerminal("X=41");

    // WHEN the network between browser and appliance drops every connection and comes back
    web.link.cut();
    browser.awaitText("#terminal-state", "Connection lost. Reconnecting…");
    web.link.restore();

    // THEN the page reconnects to the same shell: the variable is still set
    browser.awaitText("#terminal-state", "Reconnected to web-host-1.");
    typeInTerminal("echo $((X+1))");
    awaitTerminalLine("42");
    browser.click("#terminal-disconnect");
    browser.awaitText("#terminal-state", "The session ended.");
  }

  @Test
  void aResourceWithAHostLoginOpensWithoutAskingAnything() throws Exception {
    // GIVEN terry signed in, and an SSH resource whose host login the site's certificate authority signs for
    openTab("sshca");

    // THEN the tab connects by itself as the host login, with no form to fill, and the shell answers
    browser.awaitText("#terminal-state", "Connected to web-host-1 as " + Sshd.USER + ".");
    assertThat(browser.all("#host-password")).isEmpty();
    typeInTerminal("echo $((6*7))");
    awaitTerminalLine("42");
    browser.click("#terminal-disconnect");
    browser.awaitText("#terminal-state", "The session ended.");
  }

  @Test
  void aWrongKeyBringsTheFormBackWithTheHostsAnswer() throws Exception {
    // GIVEN the shell's login form
    openShellTab();
    java.nio.file.Path other = web.dir.resolve("not-authorized");
    if (!Files.exists(other)) {
      Sshd.run("ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", other.toString());
    }

    // WHEN terry offers a key the host does not know
    browser.type("#host-login", Sshd.USER);
    browser.click("#method-key");
    browser.script("document.getElementById('host-key').value = arguments[0];", Files.readString(other));
    browser.click("#connect");

    // THEN the form is back with the host's refusal, ready for another try
    assertThat(browser.await("#connect-error").getText()).contains("Could not connect:",
        "refused the login " + Sshd.USER);
    assertThat(browser.await("#connect").isEnabled()).isTrue();
  }

  @Test
  void theTerminalPagePassesAxeOnDesktopAndPhone() throws Exception {
    for (boolean phone : new boolean[] {false, true}) {
      // GIVEN the login form, then a connected terminal
      openShellTab();
      if (phone) {
        browser.phoneSized();
      }
      check("terminal login form", phone);
      logInWithKey();
      browser.awaitText("#terminal-state", "Connected to web-host-1 as " + Sshd.USER + ".");
      typeInTerminal("echo ready");
      awaitTerminalLine("ready");
      check("terminal", phone);
      browser.click("#terminal-disconnect");
      browser.awaitText("#terminal-state", "The session ended.");
      backToOneTab();
    }
  }

  private static void check(String page, boolean phone) {
    String where = page + (phone ? " (phone)" : "");
    assertThat(Axe.seriousViolations(browser)).as(where).isEmpty();
    assertThat(browser.scrollsSideways()).as(where + " scrolls sideways").isFalse();
    assertThat(browser.cspViolations()).as(where + " CSP violations").isEmpty();
  }

  /** Terry signs in, presses Open in browser on the shell, and the new tab shows the login form. */
  private static void openShellTab() throws Exception {
    openTab("sshbox");
    browser.await("#login-form");
  }

  /** Terry signs in and presses Open in browser on a resource; the new tab is the browser's current one. */
  private static void openTab(String resource) throws Exception {
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
    browser.signIn("terry", "terry" + WebSite.PASSWORD_SUFFIX);
    browser.await("li[data-resource='" + resource + "']");
    browser.click("li[data-resource='" + resource + "'] button.open-terminal");
    browser.until("a second tab", () -> browser.driver.getWindowHandles().size() == 2);
    String store = browser.driver.getWindowHandle();
    browser.driver.getWindowHandles().stream().filter(h -> !h.equals(store)).findFirst()
        .ifPresent(tab -> browser.driver.switchTo().window(tab));
  }

  private static void logInWithKey() throws Exception {
    browser.type("#host-login", Sshd.USER);
    browser.click("#method-key");
    // the key as a user pastes it (sendKeys would type it key by key, slowly)
    browser.script("document.getElementById('host-key').value = arguments[0];",
        Files.readString(web.sshd.clientKey()));
    browser.click("#connect");
  }

  private static void typeInTerminal(String line) throws Exception {
    browser.driver.findElement(By.cssSelector("#terminal .xterm-helper-textarea")).sendKeys(line, Keys.ENTER);
  }

  /** Waits until a row of the terminal's screen is exactly this text (the typed command's row is not). */
  private static void awaitTerminalLine(String text) throws Exception {
    browser.until("the terminal shows a line '" + text + "'", () -> browser.all("#terminal .xterm-rows > div")
        .stream().anyMatch(row -> row.getText().strip().equals(text)));
  }
}
