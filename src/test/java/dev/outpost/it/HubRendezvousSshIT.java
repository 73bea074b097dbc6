package dev.outpost.it;

import dev.outpost.testing.Sshd;
import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import dev.outpost.crypto.PinnedCaTrust;
import dev.outpost.it.OutpostProcess.Result;
import dev.outpost.testing.FreePorts;
import dev.outpost.testing.Poll;
import dev.outpost.testing.SiteClient;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.WebSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * External users through the hub, end to end with real processes: {@code outpost hub}, an {@code outpost appliance
 * --hub} that only dials out, an {@code outpost agent} on the "session host", and a real sshd. The client reaches
 * sshd through the hub's rendezvous gateway: the hub asks the appliance over its tunnel to open the stream, and
 * the appliance dials a data channel out to the hub.
 */
class HubRendezvousSshIT {

  private static final Duration START = ShellOverHub.START;
  private static final String ADMIN_PASSWORD = ShellOverHub.ADMIN_PASSWORD;

  @TempDir
  Path tmp;

  @Test
  void sshThroughTheHubsRendezvousGateway() throws Exception {
    try (Sshd sshd = Sshd.start(tmp.resolve("sshd"))) {
      // GIVEN a hub with a location, an SSH resource on sshd's port, and alice entitled to it
      int hubPort = FreePorts.next();
      try (OutpostProcess hub = OutpostProcess.start(tmp, Map.of(), ShellOverHub.hubArgs(tmp, hubPort))) {
        hub.awaitStdout("Outpost hub .* ready", START);
        SiteClient hubApi = new SiteClient(tmp.resolve("hub/tls/ca.crt"), hubPort);
        String admin = hubApi.login("admin", ADMIN_PASSWORD);
        String connectorToken = ShellOverHub.publish(hubApi, admin, sshd.port());

        // AND an appliance of that location, and the session host's agent linked to the appliance
        Path applianceData = tmp.resolve("appliance");
        int https = FreePorts.next();
        try (OutpostProcess appliance = OutpostProcess.start(tmp, Map.of("OUTPOST_HUB_TOKEN", connectorToken),
            "appliance", "--data-dir", applianceData.toString(), "--https-port", Integer.toString(https),
            "--cluster-bus-port", Integer.toString(FreePorts.next()), "--cluster-port",
            Integer.toString(FreePorts.next()), "--gateway-port", Integer.toString(FreePorts.next()),
            "--hub", "https://localhost:" + hubPort);
            OutpostProcess agent = ShellOverHub.startAgent(tmp, appliance, https, hubApi, admin)) {
          SiteClient store = new SiteClient(applianceData.resolve("tls/ca.crt"), https);
          String alice = store.login("alice", "alice-password-1");
          Poll.until("shell is available to alice", Duration.ofSeconds(60), () -> store.get("/api/v1/resources", alice)
              .json().getJsonArray("items").getJsonObject(0).getBoolean("available"));

          // WHEN alice launches THEN the launch offers the hub's gateway with its location and CA fingerprint
          JsonObject launch = store.post("/api/v1/resources/shell/launch", alice, null).json();
          JsonObject hubGateway = gateway(launch.getJsonArray("gateways"), "hub-wss");
          assertThat(hubGateway.getString("url"))
              .isEqualTo("wss://localhost:" + hubPort + "/gateway?location=branch-1");
          assertThat(hubGateway.getString("caSha256"))
              .isEqualTo(Fingerprints.sha256(Pem.readCertificate(tmp.resolve("hub/tls/ca.crt"))));

          // AND that ticket opens a stream through the hub once; a replay, a made-up ticket and a ticket without
          // its location are refused, each with its own close code
          assertThat(presentAtHub(hubGateway, hubGateway.getString("url"), launch.getString("ticket")))
              .startsWith("text {\"v\":1,\"status\":200,\"sessionId\":\""
                  + launch.getJsonObject("session").getString("id"));
          assertThat(presentAtHub(hubGateway, hubGateway.getString("url"), launch.getString("ticket")))
              .startsWith("close 4401");
          assertThat(presentAtHub(hubGateway, hubGateway.getString("url"), "made-up-ticket"))
              .startsWith("close 4401");
          assertThat(presentAtHub(hubGateway, "wss://localhost:" + hubPort + "/gateway", "made-up-ticket"))
              .startsWith("close 4400").contains("location");

          // WHEN alice signs in with the client and ssh uses the hub's gateway as its ProxyCommand
          Path home = tmp.resolve("home");
          Files.writeString(tmp.resolve("alice-password"), "alice-password-1\n");
          Result login = OutpostProcess.run(tmp, "client", "--home", home.toString(), "login",
              "https://localhost:" + https, "--user", "alice", "--password-file",
              tmp.resolve("alice-password").toString(),
              "--ca-sha256", Fingerprints.sha256(Pem.readCertificate(applianceData.resolve("tls/ca.crt"))));
          assertThat(login.exitCode()).as(login.stderr()).isZero();
          String proxy = String.join(" ", OutpostProcess.command("client", "--home", home.toString(), "connect", "%n",
              "--stdio", "--gateway", "hub"));
          Sshd.SshResult viaHub = sshd.ssh(List.of("-o", "ProxyCommand=" + proxy, Sshd.USER + "@shell",
              Sshd.REMOTE), null);

          // THEN the command's output comes back whole, carried by the hub and the appliance's data channel
          assertThat(viaHub.exitCode()).as(viaHub.stderr()).isZero();
          assertThat(viaHub.stdoutText()).isEqualTo(Sshd.remoteOutput());
          assertThat(appliance.stdout()).doesNotContain("Exception");
          assertThat(agent.stdout()).doesNotContain("Exception");
        }
      }
    }
  }

  /** Presents a ticket at the hub's gateway; returns "text ..." for the first answer or "close CODE REASON". */
  private static String presentAtHub(JsonObject hubGateway, String url, String ticket) throws Exception {
    CompletableFuture<String> first = new CompletableFuture<>();
    WebSocket.Listener listener = new WebSocket.Listener() {
      @Override
      public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
        first.complete("text " + data);
        return null;
      }

      @Override
      public CompletionStage<?> onClose(WebSocket ws, int status, String reason) {
        first.complete("close " + status + " " + reason);
        return null;
      }

      @Override
      public void onError(WebSocket ws, Throwable error) {
        first.completeExceptionally(error);
      }
    };
    HttpClient http = HttpClient.newBuilder()
        .sslContext(PinnedCaTrust.of(hubGateway.getString("caSha256")).sslContext()).build();
    WebSocket ws = http.newWebSocketBuilder().buildAsync(URI.create(url), listener).get(30, TimeUnit.SECONDS);
    ws.sendText(new JsonObject().put("v", 1).put("ticket", ticket).encode(), true).get(30, TimeUnit.SECONDS);
    try {
      return first.get(30, TimeUnit.SECONDS);
    } finally {
      ws.abort();
    }
  }

  private static JsonObject gateway(JsonArray gateways, String type) {
    List<String> types = new ArrayList<>();
    for (Object o : gateways) {
      JsonObject gateway = (JsonObject) o;
      if (type.equals(gateway.getString("type"))) {
        return gateway;
      }
      types.add(gateway.getString("type"));
    }
    throw new AssertionError("no " + type + " gateway among " + types);
  }
}
