package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.SiteClient;
import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.Cookie;
import org.openqa.selenium.WebElement;

/**
 * The web store in real headless Chromium against a real site: sign in, entitled resources only, a launch whose
 * ticket the gateway accepts, sessions, sign out; offline through the service worker and back; accessibility.
 */
class StoreBrowserTest extends BrowserTest {

  @AfterEach
  void signOutAndReconnect() throws Exception {
    web.link.restore();
    browser.desktopSized();
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void aUserSignsInSeesOnlyTheirResourcesLaunchesWithAValidTicketAndSignsOut() throws Exception {
    // GIVEN the store's sign-in page
    browser.open(web.url("/"));
    browser.await("#signin-username");

    // WHEN alice signs in
    browser.signIn("alice", "alice" + WebSite.PASSWORD_SUFFIX);

    // THEN she sees her name and only the resource she is entitled to, with its icon
    assertThat(browser.await("#signed-in-user").getText()).isEqualTo("alice");
    browser.await("li[data-resource='echo']");
    assertThat(browser.all("li[data-resource]")).extracting(e -> e.getAttribute("data-resource"))
        .containsExactly("echo");
    assertThat(browser.await("li[data-resource='echo'] img").getAttribute("src")).endsWith("/icons/app.svg");
    // AND her session cookie cannot be read by scripts and is never sent cross-site
    Cookie cookie = browser.driver.manage().getCookieNamed("__Host-outpost_session");
    assertThat(cookie.isHttpOnly()).isTrue();
    assertThat(cookie.isSecure()).isTrue();
    assertThat(cookie.getSameSite()).isEqualTo("Strict");
    assertThat(browser.script("return document.cookie;")).isEqualTo("");

    // WHEN she launches it
    browser.click("li[data-resource='echo'] button.launch");

    // THEN the launch panel is shown and the .outpost file is downloaded
    browser.awaitText("#launch-heading", "Echo service is ready");
    assertThat(browser.all("#launch-panel code.command")).extracting(WebElement::getText).containsExactly(
        "outpost client open echo.outpost --local-port " + clientPort(),
        "outpost client launch echo --local-port " + clientPort());
    assertThat(browser.await("#launch-panel").getText()).doesNotContain("null", "undefined");
    Path file = browser.downloads.resolve("echo.outpost");
    browser.until("echo.outpost downloaded", () -> Files.exists(file) && readable(file));
    JsonObject launchFile = new JsonObject(Files.readString(file));
    assertThat(launchFile.getString("type")).isEqualTo("outpost-launch");
    assertThat(launchFile.getString("resource")).isEqualTo("echo");
    assertThat(Instant.parse(launchFile.getString("expiresAt"))).isAfter(Instant.now());
    // AND her session is listed
    browser.await("#sessions tbody tr button[data-action='logoff']");

    // AND the gateway accepts the file's ticket and carries a stream to the host
    String answer = echoThroughGateway(launchFile.getString("ticket"), "hello from the store");
    assertThat(answer).isEqualTo("OK " + launchFile.getString("sessionId") + "\nhello from the store");

    // WHEN she logs the session off THEN it leaves her list
    browser.click("#sessions button[data-action='logoff']");
    browser.awaitGone("#sessions button[data-action='logoff']");

    // WHEN she signs out THEN the sign-in form is back and the API no longer knows her
    browser.click("#sign-out");
    browser.await("#signin-username");
    browser.open(web.url("/"));
    browser.await("#signin-username");
    assertThat(browser.driver.manage().getCookieNamed("__Host-outpost_session")).isNull();
  }

  @Test
  void aWrongPasswordIsExplainedAndSignInCanBeCancelled() throws Exception {
    // GIVEN the sign-in page
    browser.open(web.url("/"));

    // WHEN bob types a wrong password THEN the appliance's explanation is shown
    browser.signIn("bob", "not-the-password");
    assertThat(browser.await("#signin-error").getText()).startsWith("Could not sign in:");

    // WHEN the network stalls while bob signs in, and he cancels
    web.link.stall();
    browser.signIn("bob", "bob" + WebSite.PASSWORD_SUFFIX);
    browser.click("#signin-cancel");

    // THEN the form says so and can be used again
    browser.awaitText("#signin-status", "Sign-in cancelled.");
    assertThat(browser.await("#signin-submit").isEnabled()).isTrue();
    browser.awaitGone("#signin-cancel");

    // AND once the network is back, the same form signs him in
    web.link.restore();
    browser.click("#signin-submit");
    assertThat(browser.await("#signed-in-user").getText()).isEqualTo("bob");
    assertThat(browser.await("#resources").getText()).contains("No apps or desktops are published to you yet.");
  }

  @Test
  void offlineTheCachedStoreRendersGreyedOutAndReconnectRestoresTheLiveView() throws Exception {
    // GIVEN alice signed in once, with the service worker controlling the page and her feed cached
    aliceUnderTheServiceWorker();
    browser.until("alice's resource list cached", () -> Boolean.TRUE.equals(browser.asyncScript(
        "const done = arguments[arguments.length - 1];"
            + "caches.open('outpost-feeds-v1').then(c => c.keys()).then(keys => done(keys.some("
            + "k => k.url.endsWith('/__feed/alice/api/v1/resources'))), () => done(false));")));

    // WHEN the appliance can no longer be reached and she reloads the store
    web.link.cut();
    browser.open(web.url("/"));

    // THEN the cached store renders with the offline banner, and echo is greyed out with launch disabled
    assertThat(browser.await("#offline-banner").getText()).contains("You are offline.");
    WebElement echo = browser.await("li[data-resource='echo']");
    assertThat(echo.getAttribute("class")).contains("unavailable");
    assertThat(echo.getAttribute("data-startable")).isEqualTo("false");
    assertThat(browser.await("li[data-resource='echo'] button.launch").isEnabled()).isFalse();
    assertThat(echo.getText()).contains("Offline: cannot start now.");

    // WHEN the network is back and she follows "Reconnect"
    web.link.restore();
    browser.click("#reconnect");

    // THEN the live view returns: no banner, echo can be launched
    browser.awaitGone("#offline-banner");
    browser.until("echo startable again", () -> "true".equals(
        browser.attribute("li[data-resource='echo']", "data-startable")));
    assertThat(browser.await("li[data-resource='echo'] button.launch").isEnabled()).isTrue();
  }

  @Test
  void offlineAResourceTheLeaseCoversIsHandedToTheEndpointClient() throws Exception {
    // GIVEN alice's store, controlled by the service worker, and a lease for echo kept in her feed the way the
    // service worker keeps GET /api/v1/lease (the appliance serves no leases yet)
    aliceUnderTheServiceWorker();
    web.link.cut();
    String lease = new JsonObject().put("id", "lease-1").put("expiresAt", Instant.now().plusSeconds(3600).toString())
        .put("resources", new io.vertx.core.json.JsonArray().add("echo")).encode();
    assertThat(browser.asyncScript("const done = arguments[arguments.length - 1];"
        + "caches.open('outpost-feeds-v1').then(c => c.put(location.origin + '/__feed/alice/api/v1/lease',"
        + "new Response(arguments[0], {headers: {'Content-Type': 'application/json'}}))).then(() => done(true));",
        lease)).isEqualTo(true);

    // WHEN she reloads the store offline
    browser.open(web.url("/"));
    browser.await("#offline-banner");

    // THEN echo is not greyed out: the store cannot launch it, but hands it to the client with the command to run
    WebElement echo = browser.await("li[data-resource='echo']");
    assertThat(echo.getAttribute("data-lease")).isEqualTo("true");
    assertThat(echo.getAttribute("class")).doesNotContain("unavailable");
    assertThat(browser.await("li[data-resource='echo'] button.launch").isEnabled()).isFalse();
    browser.click("li[data-resource='echo'] button.handoff");
    assertThat(browser.await("li[data-resource='echo'] .client-handoff code").getText())
        .isEqualTo("outpost client launch echo --local-port " + clientPort());
  }

  /** Alice signed in, and the store reloaded once the service worker controls it (so it keeps her feed). */
  private static void aliceUnderTheServiceWorker() throws InterruptedException {
    browser.open(web.url("/"));
    browser.signIn("alice", "alice" + WebSite.PASSWORD_SUFFIX);
    browser.await("li[data-resource='echo']");
    browser.until("service worker controls the store",
        () -> Boolean.TRUE.equals(browser.script("return navigator.serviceWorker.controller !== null;")));
    browser.open(web.url("/"));
    browser.await("li[data-resource='echo']");
  }

  private static int clientPort() {
    int port = web.echo.actualPort();
    return port >= 1024 ? port : 10000 + port;
  }

  private static boolean readable(Path file) {
    try {
      new JsonObject(Files.readString(file));
      return true;
    } catch (IOException | RuntimeException e) {
      return false;
    }
  }

  /** Presents a ticket on the raw TLS gateway, sends a line, and reads the answer and the echo. */
  private static String echoThroughGateway(String ticket, String text) throws Exception {
    try (SSLSocket socket = (SSLSocket) SiteClient.trusting(web.site.dataDir().resolve("tls/ca.crt")).getSocketFactory()
        .createSocket("localhost", web.site.node().gatewayPort())) {
      socket.setSoTimeout(15_000);
      OutputStream out = socket.getOutputStream();
      out.write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      InputStream in = socket.getInputStream();
      String status = readLine(in);
      out.write((text + "\n").getBytes(StandardCharsets.UTF_8));
      return status + "\n" + readLine(in);
    }
  }

  private static String readLine(InputStream in) throws IOException {
    StringBuilder line = new StringBuilder();
    for (int c; (c = in.read()) != -1 && c != '\n'; ) {
      line.append((char) c);
    }
    return line.toString();
  }

}
