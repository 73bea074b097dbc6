package dev.outpost.it;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.SiteClient.Response;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A separate hub frozen ({@code kill -STOP}) under a location of two appliances, as real processes with real TCP
 * streams through the gateway. A freeze of 45 s ends no session: when the hub runs again, the appliances' report is
 * authoritative, no host is lost, the sessions keep their ids and the host counts stay exact. Frozen again, the
 * appliance holding the agent's link is killed: the agent relinks to the survivor, which verifies it from what the
 * location knows, and launches go on through it with the placements the dead node made.
 */
class HubFreezeIT {

  private static final String ADMIN_PASSWORD = "hub-admin-password-1";
  private static final Duration FREEZE = Duration.ofSeconds(45);
  private static final Duration HEARTBEAT = Duration.ofSeconds(2);
  private static final int CAPACITY = 10;

  @TempDir
  Path tmp;

  @Test
  void aFrozenHubEndsNoSessionAndTheSurvivorOfADeadApplianceTakesTheAgentAtOnce() throws Exception {
    int hubPort = FreePorts.next();
    try (Processes processes = new Processes(tmp); EchoService echo = new EchoService()) {
      OutpostProcess hub = HubSite.startHub(tmp, Map.of("OUTPOST_BROKER_HEARTBEAT_INTERVAL", HEARTBEAT.toSeconds()
          + "s"), hubPort, ADMIN_PASSWORD, processes::start);
      SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
      String connector = HubSite.publish(hubApi, hubApi.login("admin", ADMIN_PASSWORD), CAPACITY, echo.port(), 6);
      try {
        // GIVEN two appliances of the location in one cluster, the host's agent linked to node-1 (the leader)
        List<SiteClient> nodes = new ArrayList<>();
        List<Integer> gateways = new ArrayList<>();
        List<OutpostProcess> appliances = HubSite.startNodes(2, tmp, Map.of("OUTPOST_HUB_TOKEN", connector,
            "OUTPOST_HUB_OUTAGE_THRESHOLD", "3s", "OUTPOST_HUB_SYNC_INTERVAL", "1s",
            "OUTPOST_BROKER_HEARTBEAT_INTERVAL", HEARTBEAT.toSeconds() + "s"), hubPort, nodes, gateways,
            processes::start);
        String enroll = hubApi.post("/admin/api/v1/enroll-tokens", hubApi.login("admin", ADMIN_PASSWORD),
            "{\"pool\":\"linux\"}").created().getString("token");
        OutpostProcess agent = processes.start(Map.of(), "agent", "--appliance", "https://localhost:"
            + nodes.get(0).port(), "--token", enroll, "--address", "127.0.0.1", "--name", "host-1", "--data-dir",
            tmp.resolve("agent").toString());
        agent.awaitStdout("Linked to https://localhost:" + nodes.get(0).port(), Duration.ofMinutes(2));
        for (SiteClient node : nodes) {
          String probe = node.login("user6", "user-password-6");
          Poll.until("the node sees the host", Duration.ofSeconds(60), () -> HubSite.available(node, probe));
        }

        // AND two sessions placed by the hub, through each node, with streams open through its gateway
        List<Stream> streams = new ArrayList<>();
        for (int u = 1; u <= 2; u++) {
          streams.add(launchAndConnect(nodes, gateways, u - 1, u));
        }

        // WHEN the hub is frozen, the nodes broker alone, and a third session is made then, with its stream
        signal(hub, "STOP");
        Instant frozen = Instant.now();
        awaitMode(nodes, "local");
        streams.add(launchAndConnect(nodes, gateways, 1, 3));

        // AND the freeze lasts 45 s (many times the hub's 6 s silence limit of hosts), every stream used meanwhile
        Poll.until("45 s of freeze with every stream echoing", FREEZE.plusSeconds(30),
            () -> streams.stream().allMatch(Stream::echoes) && Instant.now().isAfter(frozen.plus(FREEZE)));
        signal(hub, "CONT");
        Instant thawed = Instant.now();

        // THEN the nodes hand over to the hub, and the hub keeps hearing the host for three intervals and more
        awaitMode(nodes, "hub");
        String hubAdmin = hubApi.login("admin", ADMIN_PASSWORD);
        Poll.until("the hub hears the host for 3 intervals after the thaw", Duration.ofSeconds(60),
            () -> hostAtHub(hubApi, hubAdmin).map(h -> Instant.parse(h.getString("lastSeen"))
                .isAfter(thawed.plus(HEARTBEAT.multipliedBy(4)))).orElse(false));

        // AND the sessions are the same ones, open at the hub and at the node, and the host counts them exactly
        Set<String> ids = streams.stream().map(Stream::sessionId).collect(Collectors.toSet());
        assertThat(openSessions(hubApi, hubAdmin)).isEqualTo(ids);
        assertThat(openSessions(nodes.get(1), nodes.get(1).login("admin", ADMIN_PASSWORD))).isEqualTo(ids);
        assertThat(hostAtHub(hubApi, hubAdmin).orElseThrow().getInteger("sessions")).isEqualTo(3);
        assertThat(streams).allMatch(Stream::echoes);
        assertThat(hub.stdout() + hub.stderr()).doesNotContain("missed " + 3 + " heartbeats")
            .contains("reports again after");
        assertThat(endedAtHub(hubApi, hubAdmin)).as("sessions the hub ended").isEmpty();

        // WHEN the hub is frozen again and node-1, which holds the agent's link, places a session and is killed
        signal(hub, "STOP");
        awaitMode(nodes, "local");
        Stream placedByTheDead = launchAndConnect(nodes, gateways, 0, 4);
        appliances.get(0).kill();
        long killed = System.nanoTime();

        // THEN the agent links to node-2, and a launch through node-2 succeeds (measured from the kill)
        String user5 = nodes.get(1).login("user5", "user-password-5");
        Response[] launched = new Response[1];
        Poll.until("a launch through the survivor", Duration.ofSeconds(90), () -> {
          launched[0] = nodes.get(1).post("/api/v1/resources/app/launch", user5, null);
          return launched[0].status() == 200;
        });
        long gapMs = (System.nanoTime() - killed) / 1_000_000;
        System.out.printf("appliance holding the agent link killed during a hub outage -> launch through the "
            + "survivor after %d ms%n", gapMs);
        // (the agent names the survivor as the site lists it: by its host name or as localhost)
        agent.awaitStdout("Linked to https://[^ ]+:" + nodes.get(1).port() + " ", Duration.ofSeconds(30));
        assertThat(agent.stdout() + agent.stderr()).doesNotContain("enroll again");

        // AND the survivor knows what the dead node placed: the session is listed and counted on the host
        String nodeAdmin = nodes.get(1).login("admin", ADMIN_PASSWORD);
        assertThat(openSessions(nodes.get(1), nodeAdmin)).contains(placedByTheDead.sessionId(),
            launched[0].json().getJsonObject("session").getString("id")).hasSize(5);
        assertThat(nodes.get(1).get("/admin/api/v1/hosts", nodeAdmin).json().getJsonArray("items").getJsonObject(0)
            .getInteger("sessions")).isEqualTo(5);
      } finally {
        signal(hub, "CONT");
      }
    }
  }

  /** Launches the app as user {@code u} through node {@code n} and opens its stream on that node's raw gateway. */
  private Stream launchAndConnect(List<SiteClient> nodes, List<Integer> gateways, int n, int u) throws IOException {
    SiteClient node = nodes.get(n);
    Response launch = node.post("/api/v1/resources/app/launch", node.login("user" + u, "user-password-" + u), null);
    assertThat(launch.status()).as(launch.body()).isEqualTo(200);
    Stream stream = Stream.open(tmp.resolve("node-" + (n + 1) + "/tls/ca.crt"), gateways.get(n),
        launch.json().getString("ticket"));
    assertThat(stream.sessionId()).isEqualTo(launch.json().getJsonObject("session").getString("id"));
    assertThat(stream.echoes()).isTrue();
    return stream;
  }

  private static void awaitMode(List<SiteClient> nodes, String mode) throws InterruptedException {
    for (SiteClient node : nodes) {
      Poll.until(mode + " mode", Duration.ofSeconds(60), () -> mode.equals(HubSite.mode(node)));
    }
  }

  private static void signal(OutpostProcess process, String signal) throws Exception {
    Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(process.pid())).inheritIO().start();
    assertThat(kill.waitFor(30, TimeUnit.SECONDS)).isTrue();
  }

  private static java.util.Optional<JsonObject> hostAtHub(SiteClient hub, String admin) {
    return hub.get("/admin/api/v1/hosts", admin).json().getJsonArray("items").stream().map(JsonObject.class::cast)
        .filter(h -> "host-1".equals(h.getString("name"))).findFirst();
  }

  private static Set<String> openSessions(SiteClient api, String admin) {
    return sessions(api, admin).stream().filter(s -> !"ended".equals(s.getString("state")))
        .map(s -> s.getString("id")).collect(Collectors.toSet());
  }

  private static List<String> endedAtHub(SiteClient api, String admin) {
    return sessions(api, admin).stream().filter(s -> "ended".equals(s.getString("state")))
        .map(s -> s.getString("id") + ": " + s.getString("endReason")).toList();
  }

  private static List<JsonObject> sessions(SiteClient api, String admin) {
    return api.get("/admin/api/v1/sessions", admin).json().getJsonArray("items").stream()
        .map(JsonObject.class::cast).toList();
  }

  /** One stream through a node's raw gateway to the echo service, kept open. */
  private record Stream(SSLSocket socket, String sessionId, BufferedReader in, OutputStream out) {

    static Stream open(Path ca, int port, String ticket) throws IOException {
      SSLSocket socket = (SSLSocket) SiteClient.trusting(ca).getSocketFactory().createSocket("localhost", port);
      socket.setSoTimeout(30_000);
      OutputStream out = socket.getOutputStream();
      out.write(("OUTPOST/1 " + ticket + "\n").getBytes(StandardCharsets.US_ASCII));
      out.flush();
      BufferedReader in = new BufferedReader(new InputStreamReader(socket.getInputStream(), StandardCharsets.UTF_8));
      String answer = in.readLine();
      assertThat(answer).startsWith("OK ");
      return new Stream(socket, answer.substring(3).trim(), in, out);
    }

    /** Whether a line written comes back. */
    boolean echoes() {
      try {
        String line = "ping " + System.nanoTime();
        out.write((line + "\n").getBytes(StandardCharsets.UTF_8));
        out.flush();
        return line.equals(in.readLine());
      } catch (IOException e) {
        return false;
      }
    }
  }

  /** A TCP service that echoes what each connection sends, a thread per connection. */
  private static final class EchoService implements AutoCloseable {
    private final ServerSocket server = new ServerSocket(0);
    private final List<Socket> accepted = new java.util.concurrent.CopyOnWriteArrayList<>();

    EchoService() throws IOException {
      Thread acceptor = new Thread(this::accept, "echo-accept");
      acceptor.setDaemon(true);
      acceptor.start();
    }

    int port() {
      return server.getLocalPort();
    }

    private void accept() {
      while (!server.isClosed()) {
        try {
          Socket socket = server.accept();
          accepted.add(socket);
          Thread pump = new Thread(() -> pump(socket), "echo");
          pump.setDaemon(true);
          pump.start();
        } catch (IOException e) {
          return;
        }
      }
    }

    private static void pump(Socket socket) {
      try (InputStream in = socket.getInputStream(); OutputStream out = socket.getOutputStream()) {
        in.transferTo(out);
      } catch (IOException e) {
        // the stream closed
      }
    }

    @Override
    public void close() {
      try {
        server.close();
        for (Socket socket : accepted) {
          socket.close();
        }
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
  }
}
