package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.lease.LeaseSites;
import dev.outpost.testing.Poll;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.WebElement;

/**
 * An open store notices trouble without a reload or a click: its appliance going away (the offline banner within
 * 10 s, and the lease path for what the user's lease covers) and its sign-in ended by an administrator (signed out,
 * the sign-in form).
 */
class StoreHeartbeatBrowserTest extends BrowserTest {

  /** The heartbeat's promise: an open page sees its appliance go away within this. */
  private static final Duration NOTICED_WITHIN = Duration.ofSeconds(10);

  @AfterEach
  void restoreTheNetwork() throws Exception {
    web.link.restore();
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void anOpenStoreShowsTheOfflineBannerWithin10SecondsOfLosingItsApplianceAndOffersTheLease() throws Exception {
    // GIVEN dora, entitled to echo, whose Outpost client signed in with its device key and holds a lease
    web.createUser("dora");
    web.created(web.client.post("/admin/api/v1/entitlements", web.adminToken,
        new JsonObject().put("resource", "echo").put("user", "dora").encode()));
    String clientToken = LeaseSites.login(web.client, "dora", "dora" + WebSite.PASSWORD_SUFFIX,
        LeaseSites.Device.create());
    assertThat(LeaseSites.awaitLease(web.client, clientToken).getJsonArray("resources").encode()).contains("echo");
    // AND her store open in the browser, live
    browser.open(web.url("/"));
    browser.signIn("dora", "dora" + WebSite.PASSWORD_SUFFIX);
    browser.until("echo startable", () -> "true".equals(
        browser.attribute("li[data-resource='echo']", "data-startable")));
    assertThat(browser.all("#offline-banner")).isEmpty();

    // WHEN the appliance can no longer be reached, and nobody touches the page
    web.link.cut();

    // THEN within 10 s the page shows the offline banner by itself
    Poll.until("the offline banner, shown within " + NOTICED_WITHIN, NOTICED_WITHIN,
        () -> !browser.all("#offline-banner").isEmpty());
    assertThat(browser.await("#offline-banner").getText()).contains("You are offline.");
    // AND echo, which her lease covers, is handed to the Outpost client instead of launched here
    WebElement echo = browser.await("li[data-resource='echo']");
    assertThat(echo.getAttribute("data-startable")).isEqualTo("false");
    assertThat(echo.getAttribute("data-lease")).isEqualTo("true");
    assertThat(browser.await("li[data-resource='echo'] button.launch").isEnabled()).isFalse();
    browser.click("li[data-resource='echo'] button.handoff");
    assertThat(browser.await("li[data-resource='echo'] .client-handoff code").getText())
        .startsWith("outpost client launch echo");
    // AND her sessions are not shown as if they were current
    assertThat(browser.await("#sessions").getText()).contains("listed when the appliance can be reached");

    // WHEN the network is back and she follows Reconnect THEN the live store is back
    web.link.restore();
    browser.click("#reconnect");
    browser.awaitGone("#offline-banner");
    browser.until("echo startable again", () -> "true".equals(
        browser.attribute("li[data-resource='echo']", "data-startable")));
  }

  @Test
  void anOpenStoreWhoseSignInAnAdministratorEndedShowsSignedOutAndTheSignInForm() throws Exception {
    // GIVEN pavel's store open in the browser
    web.createUser("pavel");
    browser.open(web.url("/"));
    browser.signIn("pavel", "pavel" + WebSite.PASSWORD_SUFFIX);
    assertThat(browser.await("#signed-in-user").getText()).isEqualTo("pavel");

    // WHEN an administrator gives him a new password, which ends his sign-in on every node
    assertThat(web.client.put("/admin/api/v1/users/pavel", web.adminToken,
        new JsonObject().put("password", "pavel-new-password-2").encode()).status()).isEqualTo(200);

    // THEN without a click the page says he is signed out and shows the sign-in form
    Poll.until("the sign-in form, shown within " + NOTICED_WITHIN, NOTICED_WITHIN,
        () -> !browser.all("#signin-username").isEmpty());
    assertThat(browser.await("#main .notice").getText()).contains("You are signed out");
    assertThat(browser.all("#sign-out")).isEmpty();
    assertThat(browser.all("#offline-banner")).isEmpty();
  }
}
