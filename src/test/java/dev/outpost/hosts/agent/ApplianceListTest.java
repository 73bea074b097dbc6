package dev.outpost.hosts.agent;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.hosts.AgentLinkProtocol;
import dev.outpost.hosts.ApplianceOrder;
import io.vertx.core.json.JsonArray;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** How an agent takes the appliance list an appliance sends, and the per-host order the appliance sends it in. */
class ApplianceListTest {

  private static final URI A = URI.create("https://a.example:8443");
  private static final URI B = URI.create("https://b.example:8443");
  private static final URI C = URI.create("https://c.example:8443");

  @TempDir
  Path tmp;

  private static Optional<List<URI>> learn(Object offered, List<URI> known, URI current) {
    return ApplianceList.learn(offered, known, current);
  }

  @Test
  void nothingUsableOfferedKeepsTheList() {
    List<URI> known = List.of(A);
    // GIVEN offers an older appliance sends (none), or that hold nothing an agent may dial
    for (Object offer : new Object[] {null, "https://b.example:8443", new JsonArray(),
        new JsonArray().add(42).add("http://b.example:8443").add("https://user@b.example:8443").add("not a url")}) {
      assertThat(learn(offer, known, A)).as(String.valueOf(offer)).isEmpty();
    }
  }

  @Test
  void theOfferedOrderIsKeptAndTheCurrentApplianceStays() {
    assertThat(learn(new JsonArray().add(B.toString()).add(A.toString()).add(C.toString()), List.of(A), A))
        .contains(List.of(B, A, C));
    // an appliance that names itself otherwise than the agent reached it: the reached address is kept, last
    assertThat(learn(new JsonArray().add(B.toString()).add(C.toString()), List.of(A), A)).contains(List.of(B, C, A));
  }

  @Test
  void theSameListWrittenDifferentlyIsNoChange() {
    JsonArray offer = new JsonArray().add("https://A.example:8443/").add("https://b.example:8443/agent")
        .add("https://b.example:8443");
    assertThat(learn(offer, List.of(A, B), A)).isEmpty();
    assertThat(ApplianceList.indexOf(List.of(A, B), URI.create("https://B.EXAMPLE:8443/"))).isEqualTo(1);
    assertThat(learn(new JsonArray().add("https://a.example"), List.of(A), A))
        .contains(List.of(URI.create("https://a.example:443"), A));
  }

  @Test
  void anOfferIsCutToTheLimit() {
    JsonArray many = new JsonArray();
    IntStream.range(0, 100).forEach(i -> many.add("https://node-" + i + ".example:8443"));

    assertThat(learn(many, List.of(A), A).orElseThrow()).hasSize(AgentLinkProtocol.MAX_APPLIANCES + 1).endsWith(A);
  }

  @Test
  void theLearnedListIsStoredWithTheIdentity() throws Exception {
    AgentIdentity identity = new AgentIdentity("host-id", "host-1", "10.0.0.5", "linux", List.of(A.toString()),
        "CERT", "KEY", "CA");

    identity.with(identity.address(), List.of(B.toString(), A.toString())).save(tmp);

    assertThat(AgentIdentity.load(tmp).orElseThrow().appliances()).containsExactly(B.toString(), A.toString());
  }

  @Test
  void eachHostGetsItsOwnOrderAndTheAgentsOfALostNodeSpreadOverTheOthers() {
    List<String> site = List.of(A.toString(), B.toString(), C.toString());
    Map<String, Integer> first = new HashMap<>();
    Map<String, Integer> afterA = new HashMap<>();
    for (int h = 0; h < 300; h++) {
      List<String> order = ApplianceOrder.forHost("host-" + h, site);
      assertThat(order).containsExactlyInAnyOrderElementsOf(site);
      List<String> reversed = new ArrayList<>(site);
      Collections.reverse(reversed);
      assertThat(ApplianceOrder.forHost("host-" + h, reversed)).as("whatever order the roster lists")
          .isEqualTo(order);
      first.merge(order.get(0), 1, Integer::sum);
      if (order.get(0).equals(A.toString())) {
        afterA.merge(order.get(1), 1, Integer::sum);
      }
    }
    // every node is the first choice of some hosts, and the hosts that start on A go on to B or C, not all to one
    assertThat(first.keySet()).containsExactlyInAnyOrderElementsOf(site);
    assertThat(afterA.keySet()).containsExactlyInAnyOrder(B.toString(), C.toString());
    System.out.printf("first choice per node of 300 hosts: %s; next after A: %s%n", first, afterA);
  }
}
