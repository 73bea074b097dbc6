package dev.outpost.bench;

import static dev.outpost.testing.Await.await;
import dev.outpost.broker.BrokerModels.HostRegistration;
import dev.outpost.http.Tls;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.Sshd;
import dev.outpost.testing.TestSite;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.WebSocket;
import io.vertx.core.http.WebSocketClientOptions;
import io.vertx.core.http.WebSocketConnectOptions;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Tuple;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;

/**
 * Browser terminal benchmark, run by {@code bench/browser-sessions.sh}: a real single-node site in this JVM and a
 * real OpenSSH sshd trusting the site's SSH user CA. Measures, in one run, the keystroke-to-echo round trip of a
 * browser terminal (the terminal gateway, the appliance speaking SSH) and of the real {@code ssh} with
 * {@code outpost client connect --stdio} as its ProxyCommand (the byte gateway), both to {@code cat} on a
 * pseudo-terminal; then the appliance's heap and CPU per open browser terminal, with the terminals opened by
 * {@link TerminalLoad} in a JVM of its own. Arguments: terminal counts (comma-separated), round trips.
 */
public final class BrowserSessionsBench {

  private static final PrintStream OUT = System.out;
  private static final String PASSWORD = "bench-password-1";

  private BrowserSessionsBench() {
  }

  public static void main(String[] args) throws Exception {
    int[] counts = Arrays.stream((args.length > 0 ? args[0] : "100,500").split(",")).mapToInt(Integer::parseInt)
        .toArray();
    int roundTrips = args.length > 1 ? Integer.parseInt(args[1]) : 1000;
    ((ch.qos.logback.classic.Logger) org.slf4j.LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME))
        .setLevel(ch.qos.logback.classic.Level.WARN);
    Path dir = Files.createTempDirectory("outpost-terminal-bench");
    TestSite site = TestSite.start(dir.resolve("node"), Map.of("broker.heartbeat-interval", "10m"));
    SiteClient client = site.client();
    Path trusted = Files.writeString(dir.resolve("outpost_user_ca.pub"), client.get("/api/v1/ssh-user-ca", null)
        .body());
    Sshd sshd = Sshd.start(dir.resolve("sshd"), List.of("TrustedUserCAKeys " + trusted, "MaxStartups 50:30:100"));
    String token = populate(site, client, sshd);
    Path caFile = site.dataDir().resolve("tls/ca.crt");
    Vertx vertx = Vertx.vertx();
    try {
      OUT.printf("keystroke echo round trip to cat on a pty, %d round trips each (after 100 to warm up)%n",
          roundTrips);
      long[] browser = browserRoundTrips(vertx, site, client, token, roundTrips);
      long[] ssh = sshRoundTrips(dir, site, sshd, roundTrips);
      OUT.printf("  %-34s p50 %7.3f ms   p99 %7.3f ms%n", "browser terminal (terminal gateway)", ms(browser, 50),
          ms(browser, 99));
      OUT.printf("  %-34s p50 %7.3f ms   p99 %7.3f ms%n", "ssh + ProxyCommand (byte gateway)", ms(ssh, 50),
          ms(ssh, 99));
      OUT.printf("  added by the browser path:         p50 %+7.3f ms   p99 %+7.3f ms%n", ms(browser, 50) - ms(ssh, 50),
          ms(browser, 99) - ms(ssh, 99));
      for (int count : counts) {
        capacity(site, token, caFile, count);
      }
    } finally {
      vertx.close().toCompletionStage().toCompletableFuture().get(30, TimeUnit.SECONDS);
      sshd.close();
      site.close();
    }
    System.exit(0);
  }

  private static String populate(TestSite site, SiteClient client, Sshd sshd) throws Exception {
    String admin = site.adminToken();
    String poolId = client.post("/admin/api/v1/pools", admin,
        "{\"name\":\"bench\",\"maxSessionsPerHost\":10000}").json().getString("id");
    client.post("/admin/api/v1/resources", admin, new JsonObject().put("name", "shell").put("pool", "bench")
        .put("kind", "app").put("port", sshd.port()).put("launchHint", "ssh").put("hostLogin", Sshd.USER).encode());
    client.post("/admin/api/v1/users", admin, new JsonObject().put("username", "bench").put("password", PASSWORD)
        .encode());
    client.post("/admin/api/v1/entitlements", admin, "{\"resource\":\"shell\",\"user\":\"bench\"}");
    UUID hostId = UUID.randomUUID();
    await(site.node().database().pool().preparedQuery("INSERT INTO hosts(id, name, pool_id, address, "
        + "certificate_sha256) VALUES ($1, $2, $3, $4, $5)")
        .execute(Tuple.of(hostId, "sshd", UUID.fromString(poolId), "127.0.0.1", "bench-" + hostId)));
    await(site.node().hostEvents().registered(new HostRegistration(hostId.toString(), "sshd", poolId, "127.0.0.1",
        "node", Map.of(sshd.port(), true), 0.1, List.of())));
    String token = client.login("bench", PASSWORD);
    for (int i = 0; i < 300 && client.get("/api/v1/resources", token).json().getJsonArray("items").isEmpty(); i++) {
      Thread.sleep(100); // polling for the host to be listed, with a bound
    }
    return token;
  }

  /** Round trips through a browser terminal: one byte typed, its echo read. */
  private static long[] browserRoundTrips(Vertx vertx, TestSite site, SiteClient client, String token, int count)
      throws Exception {
    String ticket = client.post("/api/v1/resources/shell/launch", token, null).json().getString("ticket");
    BlockingQueue<byte[]> output = new LinkedBlockingQueue<>();
    WebSocket ws = await(vertx.createWebSocketClient(new WebSocketClientOptions().setSsl(true)
        .setTrustOptions(Tls.siteTrust(site.node().certificates())).setVerifyHost(false))
        .connect(new WebSocketConnectOptions().setHost("localhost").setPort(site.httpsPort())
            .setURI("/gateway/terminal")));
    ws.binaryMessageHandler(data -> output.add(data.getBytes()));
    ws.writeTextMessage(new JsonObject().put("v", 1).put("ticket", ticket).encode());
    Echo echo = new Echo(output) {
      @Override
      void write(byte[] bytes) throws Exception {
        await(ws.writeBinaryMessage(Buffer.buffer(bytes)));
      }
    };
    echo.write("exec cat\r".getBytes(StandardCharsets.US_ASCII));
    long[] times = echo.roundTrips(count);
    ws.close();
    return times;
  }

  /** Round trips through the real ssh with {@code outpost client connect --stdio} as its ProxyCommand. */
  private static long[] sshRoundTrips(Path dir, TestSite site, Sshd sshd, int count) throws Exception {
    Path home = dir.resolve("client-home");
    Path password = Files.writeString(dir.resolve("password"), PASSWORD + "\n");
    List<String> self = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-jar",
        System.getProperty("outpost.jar", "target/outpost.jar"));
    List<String> login = new ArrayList<>(self);
    login.addAll(List.of("client", "--home", home.toString(), "login", "https://localhost:" + site.httpsPort(),
        "--user", "bench", "--password-file", password.toString(), "--ca-sha256",
        site.node().caFingerprintDisplay()));
    Process signIn = new ProcessBuilder(login).redirectErrorStream(true).start();
    String said = new String(signIn.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (signIn.waitFor() != 0) {
      throw new IOException("outpost client login failed: " + said);
    }
    List<String> proxy = new ArrayList<>(self);
    proxy.addAll(List.of("client", "--home", home.toString(), "connect", "shell", "--stdio"));
    Process ssh = new ProcessBuilder("ssh", "-tt", "-F", "/dev/null", "-o", "StrictHostKeyChecking=no", "-o",
        "UserKnownHostsFile=/dev/null", "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", "-i",
        sshd.clientKey().toString(), "-o", "ProxyCommand=" + String.join(" ", proxy), Sshd.USER + "@shell", "cat")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    OutputStream in = ssh.getOutputStream();
    InputStream out = ssh.getInputStream();
    BlockingQueue<byte[]> output = new LinkedBlockingQueue<>();
    Thread reader = new Thread(() -> {
      byte[] buffer = new byte[4096];
      try {
        for (int n; (n = out.read(buffer)) >= 0; ) {
          output.add(Arrays.copyOf(buffer, n));
        }
      } catch (IOException e) {
        // ssh ended
      }
    }, "ssh-output");
    reader.setDaemon(true);
    reader.start();
    Echo echo = new Echo(output) {
      @Override
      void write(byte[] bytes) throws Exception {
        in.write(bytes);
        in.flush();
      }
    };
    long[] times = echo.roundTrips(count);
    ssh.destroy();
    return times;
  }

  /** Typing into {@code cat} on a pty: each byte comes back as the pty's echo. */
  private abstract static class Echo {
    private final BlockingQueue<byte[]> output;

    Echo(BlockingQueue<byte[]> output) {
      this.output = output;
    }

    abstract void write(byte[] bytes) throws Exception;

    byte[] read() throws Exception {
      byte[] next = output.poll(30, TimeUnit.SECONDS);
      if (next == null) {
        throw new IOException("no output within 30 s");
      }
      return next;
    }

    long[] roundTrips(int count) throws Exception {
      // in step once cat echoes a marker line (the pty's echo, then cat's copy); typed again each second, since
      // what arrives while the shell still reads its command line is not echoed
      StringBuilder seen = new StringBuilder();
      for (int tries = 0; seen.indexOf("READY\r\nREADY") < 0; tries++) {
        if (tries > 60) {
          throw new IOException("cat did not start: " + seen);
        }
        write("READY\r".getBytes(StandardCharsets.US_ASCII));
        long until = System.nanoTime() + 1_000_000_000L;
        for (byte[] next; seen.indexOf("READY\r\nREADY") < 0
            && (next = output.poll(until - System.nanoTime(), TimeUnit.NANOSECONDS)) != null; ) {
          seen.append(new String(next, StandardCharsets.ISO_8859_1));
        }
      }
      Thread.sleep(500); // lets the echoes of earlier markers arrive before timing starts
      output.clear();
      long[] times = new long[count];
      for (int i = -100; i < count; i++) {
        long start = System.nanoTime();
        write(new byte[] {'q'});
        boolean echoed = false;
        while (!echoed) {
          for (byte b : read()) {
            echoed |= b == 'q';
          }
        }
        if (i >= 0) {
          times[i] = System.nanoTime() - start;
        }
        if (i % 200 == 199) {
          write("\r".getBytes(StandardCharsets.US_ASCII)); // keeps cat's line short
          StringBuilder line = new StringBuilder();
          while (line.indexOf("\n") < 0 || line.chars().filter(c -> c == '\n').count() < 2) {
            line.append(new String(read(), StandardCharsets.ISO_8859_1));
          }
        }
      }
      Arrays.sort(times);
      return times;
    }
  }

  /** Opens {@code count} browser terminals from another JVM and reads the appliance's heap and CPU per terminal. */
  private static void capacity(TestSite site, String token, Path caFile, int count) throws Exception {
    long heapBefore = settledHeap();
    long start = System.nanoTime();
    Process load = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx1g",
        "-cp", System.getProperty("java.class.path"), TerminalLoad.class.getName(),
        Integer.toString(site.httpsPort()), token, caFile.toString(), "shell", Integer.toString(count))
        .redirectError(ProcessBuilder.Redirect.INHERIT).start();
    BufferedReader said = new BufferedReader(new InputStreamReader(load.getInputStream(), StandardCharsets.UTF_8));
    String line = said.readLine();
    if (line == null || !line.equals("open " + count)) {
      load.destroy();
      OUT.printf("%d terminals: the load generator stopped (%s)%n", count, line);
      return;
    }
    double openSeconds = (System.nanoTime() - start) / 1e9;
    long heapAfter = settledHeap();
    com.sun.management.OperatingSystemMXBean os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpuBefore = os.getProcessCpuTime();
    long wallBefore = System.nanoTime();
    Thread.sleep(30_000); // a quiet half-minute of open terminals with the pages' pings, to read CPU over
    double cores = (os.getProcessCpuTime() - cpuBefore) / (double) (System.nanoTime() - wallBefore);
    OUT.printf("%d browser terminals: opened in %.1f s; appliance heap +%.1f MiB = %.0f KiB per terminal; "
        + "CPU while open and idle %.3f cores%n", count, openSeconds, (heapAfter - heapBefore) / 1048576.0,
        (heapAfter - heapBefore) / 1024.0 / count, cores);
    load.getOutputStream().close();
    load.waitFor(60, TimeUnit.SECONDS);
    load.destroyForcibly();
  }

  /** Used heap after full collections, once it stops shrinking. */
  private static long settledHeap() throws InterruptedException {
    long previous = Long.MAX_VALUE;
    for (int i = 0; i < 10; i++) {
      System.gc();
      Thread.sleep(200); // lets the collector and finalisation settle between readings
      long used = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      if (used >= previous - 64 * 1024) {
        return used;
      }
      previous = used;
    }
    return previous;
  }

  private static double ms(long[] sorted, int percentile) {
    int index = Math.min(sorted.length - 1, (int) Math.ceil(percentile / 100.0 * sorted.length) - 1);
    return sorted[Math.max(0, index)] / 1e6;
  }
}
