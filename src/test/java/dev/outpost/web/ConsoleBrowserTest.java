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

    // WHEN the admin asks to revoke erin's leases with a reason
    browser.choose("#revoke-kind", "user (name or id)");
    browser.type("#revoke-value", "erin");
    browser.type("#revoke-reason", "laptop lost");
    browser.click("#view form button[type='submit']");

    // THEN a dialog in the page says what that ends, and Cancel revokes nothing
    assertThat(browser.await("#confirm-dialog").getText()).contains("Revoke connection leases?",
        "Every connection lease of user erin issued until now stops working, on every node", "cannot be taken back");
    assertNoBrowserDialog();
    browser.click("#confirm-cancel");
    browser.awaitGone("#confirm-dialog");
    assertThat(web.client.get("/admin/api/v1/leases/revocations", web.adminToken).body()).doesNotContain("laptop lost");

    // WHEN the admin asks again and confirms
    browser.click("#view form button[type='submit']");
    browser.click("#confirm-ok");

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

  @Test
  void theNewUserFormAsksForAPasswordAndSaysDirectoryUsersNeedNoAccount() throws Exception {
    // GIVEN the console's Users section
    browser.open(web.url("/admin/"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);
    browser.click("nav a[href='/admin/users']");

    // THEN the new-user form's password is required, and its hint says who needs no account here
    browser.await("#users-form");
    assertThat(browser.attribute("#users-field-password", "required")).isNotNull();
    assertThat(browser.await("#users-field-password-hint").getText()).contains("At least 12 characters",
        "directory", "need no account here");

    // WHEN the admin creates a user without a password THEN it is refused in the form and nothing is created
    browser.type("#users-field-username", "gustav");
    browser.click("#users-form button[type='submit']");
    browser.awaitText("#crud-form .error", "Fill in: Password.");
    assertThat(web.client.get("/admin/api/v1/users/gustav", web.adminToken).status()).isEqualTo(404);

    // AND editing a user leaves the password optional, to keep the one it has
    browser.click("#view button[aria-label='Edit user alice']");
    browser.awaitText("#users-form-heading", "Edit user alice");
    assertThat(browser.attribute("#users-field-password", "required")).isNull();
    assertThat(browser.await("#users-field-password-hint").getText()).contains("leave empty to keep it");
  }

  @Test
  void anAdminDeletesALostHostAfterConfirmingInThePage() throws Exception {
    // GIVEN an enrolled host whose agent is gone for good
    String poolId = web.client.get("/admin/api/v1/pools/" + WebSite.POOL, web.adminToken).json().getString("id");
    java.util.UUID retired = java.util.UUID.randomUUID();
    dev.outpost.testing.Await.await(web.site.node().database().pool()
        .preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)").execute(io.vertx.sqlclient.Tuple.of(retired,
        "web-host-retired", java.util.UUID.fromString(poolId), "127.0.0.9", "test-" + retired)));
    browser.open(web.url("/admin/"));
    browser.signIn("admin", TestSite.ADMIN_PASSWORD);
    browser.click("nav a[href='/admin/hosts']");

    // WHEN the admin presses its Delete (only a lost host has one) and confirms in the page
    assertThat(browser.all("#view button[aria-label='Delete web-host-1']")).isEmpty();
    browser.click("#view button[aria-label='Delete web-host-retired']");
    assertThat(browser.await("#confirm-dialog").getText()).contains("Delete host web-host-retired?",
        "its agent's certificate is refused");
    browser.click("#confirm-ok");

    // THEN it leaves the list, and the admin API no longer knows it
    browser.awaitText("#view [role='status']", "Deleted host web-host-retired.");
    browser.awaitGone("#view button[aria-label='Delete web-host-retired']");
    assertThat(web.client.get("/admin/api/v1/hosts/" + retired, web.adminToken).status()).isEqualTo(404);
  }

  /** The confirmation is the page's own dialog: no browser dialog (window.confirm or alert) is open. */
  private static void assertNoBrowserDialog() {
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> browser.driver.switchTo().alert())
        .isInstanceOf(org.openqa.selenium.NoAlertPresentException.class);
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
    // AND the load as what it is, the hosts' 1-minute load average (0.1 reported), not a percentage, explained
    assertThat(dashboard).contains("Average load\n0.10", "mean 1-minute load average of the registered hosts")
        .doesNotContain("%");
    assertThat(browser.await("#load-means").getText()).contains("1-minute load average",
        "processes running or waiting for a CPU", "number of cores");
    assertThat(browser.attribute("#view th abbr", "title")).contains("1-minute load average");
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
    assertThat(browser.all("nav.sections a")).extracting(a -> a.getText())
        .containsExactly("Sessions", "Session history");
    assertThat(browser.driver.getCurrentUrl()).isEqualTo(web.url("/admin/sessions"));
    assertThat(browser.await("#view table").getText()).contains("alice", "echo");

    // WHEN the help desk presses Log off THEN a dialog in the page says what it ends, and Cancel keeps the session
    browser.click("#view button[aria-label='Log off alice from echo']");
    assertThat(browser.await("#confirm-dialog").getText()).contains("Log alice off echo?", "unsaved work is lost");
    assertNoBrowserDialog();
    browser.click("#confirm-cancel");
    browser.awaitGone("#confirm-dialog");
    assertThat(web.client.get("/api/v1/sessions", alice).json().getJsonArray("items")).hasSize(1);

    // WHEN the help desk logs alice off and confirms THEN her session leaves the open list
    browser.click("#view button[aria-label='Log off alice from echo']");
    browser.click("#confirm-ok");
    browser.awaitGone("#view button[aria-label='Log off alice from echo']");
    assertThat(web.client.get("/api/v1/sessions", alice).json().getJsonArray("items")).isEmpty();
  }

  @Test
  void theHelpDeskReadsTheSessionHistoryFilteredByUserPoolAndTime() throws Exception {
    // GIVEN gina launched echo and logged off
    web.createUser("gina");
    web.created(web.client.post("/admin/api/v1/entitlements", web.adminToken,
        new JsonObject().put("resource", "echo").put("user", "gina").encode()));
    String gina = web.client.login("gina", "gina" + WebSite.PASSWORD_SUFFIX);
    dev.outpost.testing.Poll.until("echo available to gina", java.time.Duration.ofSeconds(30), () -> web.client
        .post("/api/v1/resources/echo/launch", gina, null).status() == 200);
    String session = web.client.get("/api/v1/sessions", gina).json().getJsonArray("items").getJsonObject(0)
        .getString("id");
    assertThat(web.client.post("/api/v1/sessions/" + session + "/logoff", gina, null).status()).isEqualTo(200);

    // WHEN the help desk opens the session history and filters by gina and the pool
    browser.open(web.url("/admin/"));
    browser.signIn("helpdesk", "helpdesk" + WebSite.PASSWORD_SUFFIX);
    browser.click("nav a[href='/admin/session-history']");
    browser.await("#view[data-section='session-history'] h1");
    browser.type("#history-user", "gina");
    browser.type("#history-pool", WebSite.POOL);
    browser.until("gina's ended session listed", () -> {
      try {
        browser.click("#history-form button[type='submit']");
        return "1 ended session.".equals(browser.await("#history-status").getText());
      } catch (InterruptedException | org.openqa.selenium.StaleElementReferenceException e) {
        return false;
      }
    });

    // THEN it shows her session: resource, pool, host and why it ended (read again if an earlier submit's answer
    // redraws the table meanwhile)
    String[] table = new String[1];
    browser.until("the table shows gina's session", () -> {
      try {
        table[0] = browser.await("#view table tbody").getText();
        return table[0].contains("gina");
      } catch (InterruptedException | org.openqa.selenium.StaleElementReferenceException e) {
        return false;
      }
    });
    assertThat(table[0]).contains("gina", "echo", WebSite.POOL, "web-host-1", "logged off by gina");

    // WHEN the help desk asks for sessions open after a time still to come THEN none matches
    browser.script("document.getElementById('history-from').value = '2999-01-01T00:00';");
    browser.click("#history-form button[type='submit']");
    browser.awaitText("#history-status", "No ended session matches.");
    assertThat(browser.await("#view table tbody").getText()).isEqualTo("None.");
  }
}
