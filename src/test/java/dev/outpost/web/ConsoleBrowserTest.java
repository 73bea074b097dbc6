package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.TestSite;
import io.vertx.core.json.JsonObject;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** The admin console in real headless Chromium: publishing a resource end to end, and the help desk's view. */
class ConsoleBrowserTest extends BrowserTest {

  @AfterEach
  void signOut() throws Exception {
    browser.open(web.url("/admin/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void anAdminPublishesAResourceThroughTheConsoleAndTheEntitledUserSeesIt() throws Exception {
    // GIVEN the console's sign-in page and a user dave entitled to nothing
    web.createUser("dave");
    browser.open(web.url("/admin/"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);
    assertThat(browser.await("#view[data-section='dashboard'] h1").getText()).isEqualTo("Dashboard");

    // WHEN the admin creates a pool, a resource in it, and an entitlement of dave to it
    create("pools", Map.of("name", "linux", "maxSessionsPerHost", "5"), Map.of());
    browser.awaitText("#crud-status", "Created pool linux.");
    create("resources", Map.of("name", "shell", "displayName", "Linux shell", "port", "22", "launchHint", "ssh"),
        Map.of("pool", "linux", "kind", "desktop"));
    browser.awaitText("#crud-status", "Created resource shell.");
    create("entitlements", Map.of(), Map.of("resource", "shell", "user", "dave"));
    browser.awaitText("#crud-status", "Created entitlement shell for user dave.");

    // AND an enrollment token for the pool
    browser.click("nav a[href='/admin/enroll-tokens']");
    browser.choose("#token-pool", "linux");
    browser.click("#token-form button[type='submit']");

    // THEN the console shows a ready agent command with a token the admin API lists as active for the pool; it
    // names the node as other machines reach it, not the loopback address the browser used
    String nodeName = web.client.get("/admin/api/v1/nodes", web.adminToken).json().getJsonArray("items")
        .getJsonObject(0).getString("name");
    String command = browser.await("#token-created code.command").getText();
    assertThat(command).startsWith("outpost agent --appliance " + web.url("").replace("localhost", nodeName)
        + " --token OPT").endsWith("--address <HOST_IP>");
    JsonObject token = web.client.get("/admin/api/v1/enroll-tokens", web.adminToken).json().getJsonArray("items")
        .getJsonObject(0);
    assertThat(token.getString("pool")).isEqualTo("linux");
    assertThat(token.getString("state")).isEqualTo("active");
    assertThat(browser.await("#view table").getText()).contains("linux", "active");

    // WHEN dave signs in to the store THEN he sees the new resource
    browser.click("#sign-out");
    browser.await("#signin-username");
    browser.open(web.url("/"));
    browser.signIn("dave", "dave" + WebSite.PASSWORD_SUFFIX);
    assertThat(browser.await("li[data-resource='shell'] h3").getText()).isEqualTo("Linux shell");
    assertThat(browser.await("li[data-resource='shell'] img").getAttribute("src")).endsWith("/icons/desktop.svg");
    browser.click("#sign-out");
    browser.await("#signin-username");
  }

  @Test
  void anAdminRevokesAUsersLeasesFromTheConsole() throws Exception {
    // GIVEN the console's Leases section and a user erin
    web.createUser("erin");
    browser.open(web.url("/admin/"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);
    browser.click("nav a[href='/admin/leases']");

    // WHEN the admin revokes erin's leases with a reason
    browser.choose("#revoke-kind", "user (name or id)");
    browser.type("#revoke-value", "erin");
    browser.type("#revoke-reason", "laptop lost");
    browser.click("#view form button[type='submit']");

    // THEN the console confirms it and lists it, as the admin API does
    browser.awaitText("#view [role='status']", "Revoked by user: erin.");
    browser.until("the revocation is listed", () -> {
      try {
        return browser.all("#view table").stream().anyMatch(t -> t.getText().contains("laptop lost"));
      } catch (org.openqa.selenium.StaleElementReferenceException e) {
        return false; // re-rendered meanwhile
      }
    });
    JsonObject revocation = web.client.get("/admin/api/v1/leases/revocations", web.adminToken).json()
        .getJsonArray("items").getJsonObject(0);
    assertThat(revocation.getString("kind")).isEqualTo("user");
    assertThat(revocation.getString("reason")).isEqualTo("laptop lost");
  }

  @Test
  void theUserFormSaysThatTakingAccessAwayEndsLeasesAndSessionsAndSavingDoes() throws Exception {
    // GIVEN a user frida who is signed in
    web.createUser("frida");
    String frida = web.client.login("frida", "frida" + WebSite.PASSWORD_SUFFIX);
    browser.open(web.url("/admin/"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);

    // WHEN the admin edits frida in the console
    browser.click("nav a[href='/admin/users']");
    browser.click("#view button[aria-label='Edit user frida']");
    browser.awaitText("#users-form-heading", "Edit user frida");

    // THEN the Disabled box, the password and the roles say that saving such a change revokes her connection leases
    // and signs her out, and assistive technology reads it with each of them
    String notice = "revokes the user's connection leases and signs them out, on every node";
    for (String field : new String[] {"disabled", "password", "roles"}) {
      String hintId = "users-field-" + field + "-hint";
      assertThat(browser.await("#" + hintId).getText()).as(field).contains(notice);
      assertThat(browser.attribute("#users-field-" + field, "aria-describedby")).as(field).isEqualTo(hintId);
    }
    assertThat(browser.await("#users-field-disabled-hint").getText()).startsWith("Saving with Disabled ticked");

    // WHEN the admin ticks Disabled and saves
    browser.click("#users-field-disabled");
    browser.click("#users-form button[type='submit']");

    // THEN it is saved, frida is signed out, and her leases are revoked by the admin because the account was disabled
    browser.awaitText("#crud-status", "Saved user frida.");
    assertThat(web.client.get("/api/v1/me", frida).status()).isEqualTo(401);
    assertThat(web.client.get("/admin/api/v1/leases/revocations", web.adminToken).json().getJsonArray("items")
        .stream().map(JsonObject.class::cast).filter(r -> r.getString("reason").equals("account disabled")
            && r.getString("createdBy").equals("admin"))).hasSize(1);
  }

  /** Opens a collection's section, types and chooses the fields of the new entry, and submits the form. */
  private static void create(String collection, Map<String, String> typed, Map<String, String> chosen)
      throws InterruptedException {
    browser.click("nav a[href='/admin/" + collection + "']");
    browser.await("#" + collection + "-form");
    for (var field : typed.entrySet()) {
      browser.type("#" + collection + "-field-" + field.getKey(), field.getValue());
    }
    for (var field : chosen.entrySet()) {
      browser.choose("#" + collection + "-field-" + field.getKey(), field.getValue());
    }
    browser.click("#" + collection + "-form button[type='submit']");
  }

  @Test
  void theDashboardShowsModeHubLinkNodesAndHostsIncludingLostOnesAndHostsCanBeDrained() throws Exception {
    // GIVEN a site with one registered host and one enrolled host whose agent is silent
    browser.open(web.url("/admin/"));

    // WHEN the admin signs in
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);

    // THEN the dashboard shows the mode, the hub link, this node and both hosts
    String dashboard = browser.await("#view[data-section='dashboard'] table").findElement(
        org.openqa.selenium.By.xpath("ancestor::div[@id='view']")).getText();
    assertThat(dashboard).contains("Mode\nhub", "Hub link\nup", "Nodes\n1", "(this node)",
        "1 registered, 0 draining, 0 in maintenance, 1 lost", "web-host-1", "web-host-2");
    // AND the node's state as it publishes it: healthy, its database up, its agent links and gateway streams
    assertThat(browser.await("#view table").getText()).contains("State Database Agents Streams")
        .containsPattern("\\(this node\\) \\S+ leader \\S+ up up \\d+ \\d+");

    // WHEN the admin drains the registered host on the hosts page
    browser.click("nav a[href='/admin/hosts']");
    browser.click("#view button[aria-label='Drain web-host-1']");

    // THEN it is draining, and the lost host is listed as lost
    browser.await("#view button[aria-label='Stop draining web-host-1']");
    assertThat(browser.await("#view table").getText()).contains("web-host-1 web draining", "web-host-2 web lost");
    browser.click("#view button[aria-label='Stop draining web-host-1']");
    browser.await("#view button[aria-label='Drain web-host-1']");
  }

  @Test
  void aSessionAdminSeesOnlySessionsEvenWhenAskingForAnotherSection() throws Exception {
    // GIVEN alice has an open session
    String alice = web.client.login("alice", "alice" + WebSite.PASSWORD_SUFFIX);
    assertThat(web.client.post("/api/v1/resources/echo/launch", alice, null).status()).isEqualTo(200);

    // WHEN the help desk signs in on a deep link to pools
    browser.open(web.url("/admin/pools"));
    browser.signIn("helpdesk", "helpdesk" + WebSite.PASSWORD_SUFFIX);

    // THEN the console shows sessions only, at their own address, with alice's session
    assertThat(browser.await("#view[data-section='sessions'] h1").getText()).isEqualTo("Sessions");
    assertThat(browser.all("nav.sections a")).extracting(a -> a.getText()).containsExactly("Sessions");
    assertThat(browser.driver.getCurrentUrl()).isEqualTo(web.url("/admin/sessions"));
    assertThat(browser.await("#view table").getText()).contains("alice", "echo");

    // WHEN the help desk logs alice off THEN her session leaves the open list
    browser.click("#view button[aria-label='Log off alice from echo']");
    browser.awaitGone("#view button[aria-label='Log off alice from echo']");
    assertThat(web.client.get("/api/v1/sessions", alice).json().getJsonArray("items")).isEmpty();
  }
}
