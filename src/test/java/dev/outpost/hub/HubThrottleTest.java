package dev.outpost.hub;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.appliance.config.ConfigLoader;
import dev.outpost.appliance.config.OutpostConfig;
import dev.outpost.crypto.EnrollmentToken;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.SecureTokens;
import dev.outpost.crypto.SiteCertificates;
import dev.outpost.testing.Burst;
import io.vertx.core.json.JsonObject;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The hub (no cluster: its counts live in its process) holds its limits under parallel bursts too: wrong
 * passwords for one user, and connector enrollments with guessed tokens from one address, get no more checks than
 * the limit; the rest are refused with 429 before anything is checked.
 */
class HubThrottleTest {

  private static final int PER_USER = 3;
  private static final Duration WINDOW = Duration.ofMinutes(10);
  /** Failed connector enrollments one address may make in ten minutes ({@link ConnectorEnrollmentRoutes}). */
  private static final int ENROLLMENTS_PER_ADDRESS = 20;

  @TempDir
  static Path tmp;
  static HubNode hub;
  static SiteCertificates certificates;

  @BeforeAll
  static void startHub() throws Exception {
    Path data = tmp.resolve("hub");
    Files.createDirectories(data);
    Path password = tmp.resolve("hub-admin-password");
    Files.writeString(password, "hub-throttle-admin-1");
    OutpostConfig config = ConfigLoader.create(Map.of("data-dir", data.toString(), "hub.host", "127.0.0.1",
        "hub.port", "0", "admin.password-file", password.toString(),
        "identity.login.max-failures-per-user", Integer.toString(PER_USER),
        "identity.login.max-failures-per-address", "1000", "identity.login.window", WINDOW.toMinutes() + "m"),
        Map.of(), null).load();
    certificates = SiteCertificates.loadOrCreate(data.resolve("tls"), "hub", List.of());
    hub = HubNode.start(config.hubSettings(), certificates, line -> { }).toCompletionStage()
        .toCompletableFuture().get(3, TimeUnit.MINUTES);
  }

  @AfterAll
  static void stopHub() throws Exception {
    if (hub != null) {
      hub.stop().toCompletionStage().toCompletableFuture().get(1, TimeUnit.MINUTES);
    }
  }

  @Test
  void twoHundredParallelWrongPasswordsAtTheHubCheckNoMoreThanTheUserLimit() throws Exception {
    // GIVEN 200 wrong passwords for the hub's admin, sent at once from 20 addresses
    List<Burst.Request> guesses = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      guesses.add(new Burst.Request("127.0.6." + (1 + i % 20), hub.port(), "/api/v1/login", new JsonObject()
          .put("username", "admin").put("password", "guess-" + i).encode()));
    }

    // WHEN they arrive
    Burst.Result burst = Burst.send(tmp.resolve("hub/tls/ca.crt"), guesses);

    // THEN at most the limit were checked (answered "wrong password"); the rest were refused unchecked
    assertThat(burst.answers()).allSatisfy(a -> assertThat(a.status()).as(a.body()).isIn(401, 429));
    assertThat(burst.count(401)).as("passwords checked").isLessThanOrEqualTo(PER_USER * windowsTouched(burst));
  }

  @Test
  void twoHundredParallelConnectorEnrollmentsWithGuessedTokensCheckNoMoreThanTheAddressLimit() throws Exception {
    // GIVEN 200 connector enrollments with well-formed tokens of this hub whose secrets are guesses, from one address
    String ofThisHub = EnrollmentToken.CONNECTOR + "." + certificates.caFingerprint() + ".";
    String publicKey = Pem.encode(SiteCertificates.newKeyPair().getPublic());
    List<Burst.Request> guesses = new ArrayList<>();
    for (int i = 0; i < 200; i++) {
      guesses.add(new Burst.Request("127.0.7.1", hub.port(), ConnectorEnrollmentRoutes.MOUNT + "/enroll",
          new JsonObject().put("node", UUID.randomUUID().toString()).put("token", ofThisHub + SecureTokens.random(32))
              .put("publicKey", publicKey).put("siteCaSha256", "ab".repeat(32)).encode()));
    }

    // WHEN they arrive
    Burst.Result burst = Burst.send(tmp.resolve("hub/tls/ca.crt"), guesses);

    // THEN at most the address's limit of tokens were looked up; the rest were refused unchecked
    assertThat(burst.answers()).allSatisfy(a -> assertThat(a.status()).as(a.body()).isIn(401, 429));
    assertThat(burst.count(401)).as("tokens checked")
        .isLessThanOrEqualTo(ENROLLMENTS_PER_ADDRESS * windowsTouched(burst));
  }

  /** How many windows the burst touched: 1 unless the machine crawled. */
  private static long windowsTouched(Burst.Result burst) {
    return burst.took().toMillis() / WINDOW.toMillis() + 1;
  }
}
