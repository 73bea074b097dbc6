package dev.outpost.web;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.Poll;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.time.Duration;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.openqa.selenium.StaleElementReferenceException;
import org.openqa.selenium.WebElement;

/**
 * What store users expect besides launching: Reconnect for a disconnected session, their own session history, the
 * sessions readable on a phone without sideways scrolling, favourites that follow them across devices, and
 * resources found by category.
 */
class StoreBasicsBrowserTest extends BrowserTest {

  @AfterEach
  void signOut() throws Exception {
    browser.desktopSized();
    browser.open(web.url("/"));
    browser.signOutIfSignedIn();
  }

  @Test
  void aDisconnectedSessionIsReconnectedFromTheStoreAndOnceLoggedOffShowsInTheUsersHistory() throws Exception {
    // GIVEN fern, entitled to echo, has launched it from the store and disconnected the session
    entitledUser("fern");
    browser.open(web.url("/"));
    browser.signIn("fern", "fern" + WebSite.PASSWORD_SUFFIX);
    browser.click("li[data-resource='echo'] button.launch");
    browser.awaitText("#launch-heading", "Echo service is ready");
    String sessionId = openSessions("fern").getJsonObject(0).getString("id");
    browser.click("#sessions button[data-action='disconnect']");

    // THEN the session offers Reconnect instead of Disconnect
    browser.await("#sessions button[data-action='reconnect']");
    assertThat(browser.all("#sessions button[data-action='disconnect']")).isEmpty();

    // WHEN she follows Reconnect
    browser.click("#sessions button[data-action='reconnect']");

    // THEN the launch goes back to the same session: the panel says so, and she still has that one session
    browser.until("the launch panel says reconnected", () -> textOf("#launch-panel")
        .contains("You are reconnected to your session"));
    assertThat(openSessions("fern").stream().map(o -> ((JsonObject) o).getString("id")))
        .containsExactly(sessionId);

    // WHEN she logs it off and opens her session history
    browser.click("#sessions button[data-action='logoff']");
    browser.awaitGone("#sessions button[data-action='logoff']");
    Poll.until("fern's session in the history", Duration.ofSeconds(20), () -> web.client.get(
        "/admin/api/v1/sessions?state=ended&user=fern", web.adminToken).json().getJsonArray("items").size() == 1);
    browser.click("#history-show");

    // THEN it lists that session with why it ended
    browser.until("the ended session listed", () -> browser.all("#history tbody tr").size() == 1
        && textOf("#history tbody tr").contains("logged off by fern"));
    assertThat(browser.await("#history tbody tr").getText()).contains("echo", "web-host-1");
  }

  @Test
  void onAPhoneTheSessionsFitTheScreenWithTheirActionsInReach() throws Exception {
    // GIVEN gwen, on a phone-sized screen, with an open session
    entitledUser("gwen");
    browser.phoneSized();
    browser.open(web.url("/"));
    browser.signIn("gwen", "gwen" + WebSite.PASSWORD_SUFFIX);
    browser.click("li[data-resource='echo'] button.launch");
    browser.awaitText("#launch-heading", "Echo service is ready");
    browser.await("#sessions button[data-action='logoff']");

    // THEN the sessions neither widen the page nor scroll inside their box, and Log off is on the screen
    assertThat(browser.scrollsSideways()).isFalse();
    assertThat(browser.script("const box = document.querySelector('#sessions .table-wrap');"
        + "return box.scrollWidth <= box.clientWidth + 1;")).isEqualTo(true);
    assertThat(browser.script("const r = document.querySelector(\"#sessions button[data-action='logoff']\")"
        + ".getBoundingClientRect(); return r.left >= 0 && r.right <= window.innerWidth;")).isEqualTo(true);
    // AND each value still says what it is
    assertThat(browser.script("return [...document.querySelectorAll('#sessions tbody tr:first-child td')]"
        + ".map(td => getComputedStyle(td, '::before').content).join(' ');"))
        .isEqualTo("\"App\" \"Host\" \"State\" \"Started\" \"Actions\"");

    browser.click("#sessions button[data-action='logoff']");
    browser.awaitGone("#sessions button[data-action='logoff']");
  }

  @Test
  void aFavouriteIsKeptOnTheServerAndFollowsTheUserToAnotherDevice() throws Exception {
    // GIVEN hana, entitled to echo, in the store
    entitledUser("hana");
    browser.open(web.url("/"));
    browser.signIn("hana", "hana" + WebSite.PASSWORD_SUFFIX);
    browser.await("li[data-resource='echo']");
    assertThat(browser.attribute("li[data-resource='echo'] .fav", "aria-pressed")).isEqualTo("false");

    // WHEN she marks echo as a favourite
    browser.click("li[data-resource='echo'] .fav");
    browser.until("echo marked", () -> "true".equals(browser.attribute("li[data-resource='echo'] .fav",
        "aria-pressed")));

    // THEN the server keeps it: her other device (the API, signed in on its own) reads it
    String otherDevice = web.client.login("hana", "hana" + WebSite.PASSWORD_SUFFIX);
    String echoId = web.client.get("/api/v1/resources", otherDevice).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).filter(r -> r.getString("name").equals("echo")).findFirst().orElseThrow()
        .getString("id");
    assertThat(web.client.get("/api/v1/favourites", otherDevice).json().getJsonArray("items")).containsExactly(echoId);
    // AND a browser that kept nothing of hers shows it too
    browser.script("localStorage.clear();");
    browser.open(web.url("/"));
    browser.until("echo still a favourite", () -> "true".equals(browser.attribute("li[data-resource='echo'] .fav",
        "aria-pressed")));

    // WHEN she unmarks it THEN it is gone for every device
    browser.click("li[data-resource='echo'] .fav");
    browser.until("echo unmarked", () -> "false".equals(browser.attribute("li[data-resource='echo'] .fav",
        "aria-pressed")));
    assertThat(web.client.get("/api/v1/favourites", otherDevice).json().getJsonArray("items")).isEmpty();
    // AND a resource not published to her cannot become one
    assertThat(web.client.put("/api/v1/favourites/secret", otherDevice, null).status()).isEqualTo(404);
  }

  @Test
  void resourcesOfACategoryAreFoundTogether() throws Exception {
    // GIVEN two resources an admin put in categories, both published to ivy
    web.createUser("ivy");
    for (String[] resource : new String[][] {{"notes", "Office"}, {"builds", "Engineering"}}) {
      JsonObject created = web.created(web.client.post("/admin/api/v1/resources", web.adminToken, new JsonObject()
          .put("name", resource[0]).put("pool", WebSite.POOL).put("kind", "app").put("port", web.echo.actualPort())
          .put("category", resource[1]).encode()));
      assertThat(created.getString("category")).isEqualTo(resource[1]);
      web.created(web.client.post("/admin/api/v1/entitlements", web.adminToken,
          new JsonObject().put("resource", resource[0]).put("user", "ivy").encode()));
    }

    // WHEN ivy opens the store
    browser.open(web.url("/"));
    browser.signIn("ivy", "ivy" + WebSite.PASSWORD_SUFFIX);
    browser.await("li[data-resource='notes']");

    // THEN each card names its category, and the category filter offers both
    assertThat(browser.await("li[data-resource='notes'] .meta").getText()).contains("Office");
    assertThat(browser.all("#category option")).extracting(WebElement::getText)
        .containsExactly("All categories", "Engineering", "Office");

    // WHEN she picks Office THEN only the office resource is listed
    browser.choose("#category", "Office");
    browser.until("only notes listed", () -> browser.all("li[data-resource]").size() == 1
        && !browser.all("li[data-resource='notes']").isEmpty());
  }

  /** The text of the first element matching a CSS selector, or "" while there is none. */
  private static String textOf(String css) {
    try {
      return browser.all(css).stream().findFirst().map(WebElement::getText).orElse("");
    } catch (StaleElementReferenceException e) {
      return "";
    }
  }

  private static void entitledUser(String username) {
    web.createUser(username);
    web.created(web.client.post("/admin/api/v1/entitlements", web.adminToken,
        new JsonObject().put("resource", "echo").put("user", username).encode()));
  }

  private static JsonArray openSessions(String username) {
    return web.client.get("/admin/api/v1/sessions?open=true&user=" + username, web.adminToken).json()
        .getJsonArray("items");
  }
}
