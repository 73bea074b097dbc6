package dev.outpost.hub;

import static dev.outpost.testing.Await.await;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.broker.BrokerOperations;
import dev.outpost.crypto.SecretBox;
import dev.outpost.testing.TestSite;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.vertx.core.Future;
import io.vertx.core.json.JsonObject;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub role offers its operations only while its services run, so that no request (an appliance's tunnel, the
 * in-process hub) reaches its broker service before that is deployed or after it was undeployed.
 */
class HubRoleTest {

  @TempDir
  Path tmp;

  @Test
  void itsOperationsAnswerOnlyBetweenStartAndStop() throws Exception {
    try (TestSite site = TestSite.start(tmp.resolve("node"))) {
      // GIVEN a hub role on a site's database, not started yet
      OutpostConfig config = ConfigLoader.create(Map.of("data-dir", tmp.resolve("role").toString()), Map.of(), null)
          .load();
      HubRole role = new HubRole(site.node().vertx(), site.node().database(),
          SecretBox.loadOrCreate(site.dataDir().resolve("secrets/directory.key")), site.node().caFingerprint(),
          config.broker(), config.lease(), config.dataDir(), new SimpleMeterRegistry());
      HubOperations.Caller caller = new HubOperations.Caller(config.location(), "node-1",
          (op, body) -> Future.succeededFuture(new JsonObject()));

      // WHEN an appliance asks it for the site model before it started
      // THEN it offers no operation yet (the tunnel and the in-process hub answer "starting")
      assertThat(role.running()).isFalse();
      assertThat(role.operation(caller, BrokerOperations.SITE_SNAPSHOT)).isNull();

      // WHEN it has started THEN the same request is answered with the model
      await(role.start());
      JsonObject snapshot = await(role.operation(caller, BrokerOperations.SITE_SNAPSHOT).apply(new JsonObject()));
      assertThat(snapshot.containsKey("model")).as(snapshot.encode()).isTrue();

      // WHEN it stopped THEN it offers no operation again
      await(role.stop());
      assertThat(role.operation(caller, BrokerOperations.SITE_SNAPSHOT)).isNull();
    }
  }
}
