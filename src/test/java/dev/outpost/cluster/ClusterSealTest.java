package dev.outpost.cluster;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.ClusterKeys;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** Sealed cluster values open only for the map and key they were sealed for, under the site's secret. */
class ClusterSealTest {

  private static final String SECRET = "seal-test-secret-0123456789";
  private final SimpleMeterRegistry metrics = new SimpleMeterRegistry();
  private final ClusterSeal seal = ClusterSeal.create(ClusterKeys.of(SECRET), metrics);

  @Test
  void aSealedValueOpensWhereItWasSealedAndNowhereElse() {
    String sealed = seal.seal("outpost.identity.sessions", "k1", "{\"roles\":[\"user\"]}");

    // the same map and key: the value; nothing of it in clear
    assertThat(seal.open("outpost.identity.sessions", "k1", sealed)).hasValue("{\"roles\":[\"user\"]}");
    assertThat(sealed).startsWith("s1.").doesNotContain("roles");

    // moved to another key or map, under another secret, altered, in clear, or absent: nothing
    record Case(String why, ClusterSeal seal, String map, String key, String value) {
    }
    char[] flipped = sealed.toCharArray();
    flipped[10] = flipped[10] == 'A' ? 'B' : 'A';
    ClusterSeal other = ClusterSeal.create(ClusterKeys.of("another-secret-0123456789"), new SimpleMeterRegistry());
    for (Case c : new Case[] {
        new Case("another key", seal, "outpost.identity.sessions", "k2", sealed),
        new Case("another map", seal, "outpost.gateway.tickets", "k1", sealed),
        new Case("another secret", other, "outpost.identity.sessions", "k1", sealed),
        new Case("one character changed", seal, "outpost.identity.sessions", "k1", new String(flipped)),
        new Case("cut short", seal, "outpost.identity.sessions", "k1", sealed.substring(0, 20)),
        new Case("in clear", seal, "outpost.identity.sessions", "k1", "{\"roles\":[\"admin\"]}"),
        new Case("not base64", seal, "outpost.identity.sessions", "k1", "s1.***")}) {
      assertThat(c.seal().open(c.map(), c.key(), c.value())).as(c.why()).isEqualTo(Optional.empty());
    }
    assertThat(seal.open("outpost.identity.sessions", "k1", null)).isEmpty();
    // every refusal of this seal is counted by map (null is no refusal)
    assertThat(seal.rejected("outpost.identity.sessions")).isEqualTo(5);
    assertThat(seal.rejected("outpost.gateway.tickets")).isEqualTo(1);
  }

  @Test
  void sealingIsDeterministicPerEntrySoThatCompareAndSetWorks() {
    assertThat(seal.seal("m", "k", "v")).isEqualTo(seal.seal("m", "k", "v"));
    assertThat(seal.seal("m", "k", "v")).isNotEqualTo(seal.seal("m", "k2", "v"));
    assertThat(seal.seal("m", "k", "v")).isNotEqualTo(seal.seal("m", "k", "w"));
  }
}
