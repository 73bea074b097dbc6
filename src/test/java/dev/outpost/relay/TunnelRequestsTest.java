package dev.outpost.relay;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static dev.outpost.testing.Await.await;

import dev.outpost.crypto.SiteCertificates;
import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import dev.outpost.http.HealthRoutes;
import dev.outpost.http.HttpListener;
import dev.outpost.http.Tls;
import dev.outpost.hub.HubOperations;
import dev.outpost.hub.HubServer;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.JsonObject;
import io.vertx.junit5.Checkpoint;
import io.vertx.junit5.Timeout;
import io.vertx.junit5.VertxExtension;
import io.vertx.junit5.VertxTestContext;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * Requests over a real TLS tunnel between a hub and an appliance link, in both directions, on one Vert.x for the
 * class (the extension closes it, and with it both ends, after the last test).
 */
@ExtendWith(VertxExtension.class)
class TunnelRequestsTest {

  @TempDir
  static Path tmp;
  static HubServer hub;
  static HubLink link;
  static volatile HubOperations.Caller lastCaller;

  @BeforeAll
  static void connect(Vertx vertx) throws Exception {
    SiteCertificates certs = SiteCertificates.loadOrCreate(tmp.resolve("tls"), "test", List.of());
    HubOperations operations = (caller, op) -> {
      lastCaller = caller;
      return Map.<String, Function<JsonObject, Future<JsonObject>>>of(
          "echo", body -> Future.succeededFuture(body.copy().put("location", caller.location())),
          "refuse", body -> Future.failedFuture(ClientErrorException.conflict("no room on any host")),
          "crash", body -> {
            throw new IllegalStateException("bug");
          }).get(op);
    };
    hub = new HubServer(HttpListener.of(Tls.server(certs, "127.0.0.1", 0)),
        (credential, peer) -> "secret".equals(credential) ? Future.succeededFuture("site-a")
            : Future.failedFuture(new IllegalArgumentException("no")),
        operations, new HealthRoutes());
    await(vertx.deployVerticle(hub));
    link = new HubLink(Tls.siteWebSocketClient(certs), URI.create("https://127.0.0.1:" + hub.port()),
        new HubLink.Identity("node-1", "site-a", "test", "secret"), Duration.ofMillis(200),
        op -> "whoami".equals(op) ? body -> Future.succeededFuture(new JsonObject().put("node", "node-1")) : null);
    await(vertx.deployVerticle(link));
    awaitTrue(link::reachable);
  }

  @Test
  void anApplianceRequestReachesTheHubScopedToItsLocation() throws Exception {
    JsonObject answer = await(link.request("echo", new JsonObject().put("n", 7)));

    assertThat(answer.getInteger("n")).isEqualTo(7);
    assertThat(answer.getString("location")).isEqualTo("site-a");
    assertThat(lastCaller.node()).isEqualTo("node-1");
  }

  @Test
  void theHubCanAskTheApplianceThroughTheSameTunnel() throws Exception {
    JsonObject answer = await(lastCaller.channel().request("whoami", new JsonObject()));

    assertThat(answer.getString("node")).isEqualTo("node-1");
  }

  @Test
  void problemsTravelWithTheirStatusAndDetail() {
    assertThatThrownBy(() -> await(link.request("refuse", new JsonObject())))
        .hasCauseInstanceOf(ClientErrorException.class)
        .cause().hasMessage("no room on any host")
        .satisfies(e -> assertThat(((ClientErrorException) e).status()).isEqualTo(409));
    assertThatThrownBy(() -> await(link.request("nope", new JsonObject())))
        .cause().hasMessageContaining("unknown tunnel operation nope");
    assertThatThrownBy(() -> await(link.request("crash", new JsonObject())))
        .cause().isInstanceOf(ServerErrorException.class).hasMessageContaining("could not complete crash");
  }

  @Test
  @Timeout(value = 2, timeUnit = TimeUnit.MINUTES)
  void manyConcurrentRequestsAreEachAnsweredOnce(VertxTestContext test) {
    // GIVEN 2,000 requests in flight at once WHEN each is answered THEN with its own body, once
    int requests = 2_000;
    Checkpoint answered = test.checkpoint(requests);
    for (int i = 0; i < requests; i++) {
      int n = i;
      link.request("echo", new JsonObject().put("n", n)).onComplete(test.succeeding(answer -> test.verify(() -> {
        assertThat(answer.getInteger("n")).isEqualTo(n);
        answered.flag();
      })));
    }
  }

  @Test
  void aWrongCredentialIsRefused(Vertx vertx) throws Exception {
    SiteCertificates certs = SiteCertificates.loadOrCreate(tmp.resolve("tls"), "test", List.of());
    HubLink intruder = new HubLink(Tls.siteWebSocketClient(certs), URI.create("https://127.0.0.1:" + hub.port()),
        new HubLink.Identity("node-x", "site-a", "test", "wrong"), Duration.ofMillis(200), op -> null);
    await(vertx.deployVerticle(intruder));

    assertThat(intruder.reachable()).isFalse();
    assertThatThrownBy(() -> await(intruder.request("echo", new JsonObject())))
        .cause().isInstanceOf(ServerErrorException.class);
    assertThat(hub.appliances()).doesNotContainKey("node-x");
  }

  static void awaitTrue(java.util.function.BooleanSupplier condition) throws InterruptedException {
    dev.outpost.testing.Poll.until("condition", Duration.ofSeconds(20), condition);
  }
}
