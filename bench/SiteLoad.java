import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Steady load of bench/site-failover.sh on a site of several appliances while the script kills the leader:
 * WRITERS admins create users through the nodes round-robin (every 201 is an acknowledged write; after an I/O
 * error the writer goes on at the next node at once, after any other answer it pauses 50 ms, as a client would),
 * and LAUNCHERS users launch and log off in a loop through the nodes listed in LAUNCH_NODES (after a failed launch
 * they pause 50 ms and move to the next of those nodes). Prints the acknowledged writes and successful launches,
 * the longest time without either after the kill (and before it, for comparison), when each came back after the kill (epoch ms read from KILL_FILE); writes
 * the acknowledged usernames to ACKED_FILE, one a line, for the script's loss check.
 *
 * Usage: java -cp target/outpost.jar bench/SiteLoad.java URL[,URL...] CA_FILE[,CA_FILE...] ADMIN_PASSWORD WRITERS
 *        LAUNCHERS LAUNCH_NODES LAUNCH_USER_PREFIX LAUNCH_PASSWORD RESOURCE SECONDS KILL_FILE ACKED_FILE
 *        (LAUNCH_NODES: 1-based node numbers, e.g. 2,3; launcher i signs in as LAUNCH_USER_PREFIX + i)
 */
public class SiteLoad {
  static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern SESSION = Pattern.compile("\"session\"\\s*:\\s*\\{\"id\"\\s*:\\s*\"([^\"]+)\"");
  static final Duration WRITE_TIMEOUT = Duration.ofSeconds(15); // longer than a node's 10 s wait for the authority
  static final Duration LAUNCH_TIMEOUT = Duration.ofSeconds(5);
  static final long RETRY_PAUSE_MS = 50;

  static String[] urls;
  static HttpClient[] clients;
  static String adminPassword;
  static long end;

  static final List<Long> ackTimes = Collections.synchronizedList(new ArrayList<>());
  static final List<String> acked = Collections.synchronizedList(new ArrayList<>());
  static final List<Long> launchTimes = Collections.synchronizedList(new ArrayList<>());
  static final AtomicLong writeRefused = new AtomicLong();
  static final AtomicLong writeIoErrors = new AtomicLong();
  static final AtomicLong launchFailed = new AtomicLong();
  static final AtomicLong launchIoErrors = new AtomicLong();
  static final AtomicLong logoffFailed = new AtomicLong();

  /** An answer that was not the expected status: the node answered, so this is not an I/O error. */
  static final class Refused extends Exception {
    final int status;

    Refused(int status, String body) {
      super(status + " " + body);
      this.status = status;
    }
  }

  public static void main(String[] args) throws Exception {
    if (args.length != 12) {
      System.err.println("usage: SiteLoad URLS CAS ADMIN_PASSWORD WRITERS LAUNCHERS LAUNCH_NODES USER_PREFIX "
          + "PASSWORD RESOURCE SECONDS KILL_FILE ACKED_FILE");
      System.exit(2);
    }
    urls = args[0].split(",");
    String[] cas = args[1].split(",");
    clients = new HttpClient[urls.length];
    for (int i = 0; i < urls.length; i++) {
      clients[i] = HttpClient.newBuilder().sslContext(trust(Path.of(cas[i]))).connectTimeout(Duration.ofSeconds(2))
          .version(HttpClient.Version.HTTP_1_1).build();
    }
    adminPassword = args[2];
    int writers = Integer.parseInt(args[3]);
    int launchers = Integer.parseInt(args[4]);
    String[] launchNodeNumbers = args[5].split(",");
    int[] launchNodes = new int[launchNodeNumbers.length];
    for (int i = 0; i < launchNodes.length; i++) {
      launchNodes[i] = Integer.parseInt(launchNodeNumbers[i]) - 1;
    }
    String userPrefix = args[6];
    String userPassword = args[7];
    String resource = args[8];
    long start = System.currentTimeMillis();
    end = start + Long.parseLong(args[9]) * 1000;
    Path killFile = Path.of(args[10]);

    List<Thread> threads = new ArrayList<>();
    for (int w = 0; w < writers; w++) {
      int writer = w;
      threads.add(new Thread(() -> write(writer), "writer-" + w));
    }
    for (int l = 0; l < launchers; l++) {
      int launcher = l;
      threads.add(new Thread(() -> launch(launcher, launchNodes, userPrefix + (launcher + 1), userPassword,
          resource), "launcher-" + l));
    }
    threads.forEach(Thread::start);
    System.err.println("load started"); // the script's clock for the kill starts here, not at the JVM's start
    for (Thread t : threads) {
      t.join();
    }
    long stop = System.currentTimeMillis();

    Files.write(Path.of(args[11]), acked);
    long killedAt = Files.exists(killFile) ? Long.parseLong(Files.readString(killFile).trim()) : 0;
    List<Long> writes = sorted(ackTimes);
    List<Long> launches = sorted(launchTimes);
    long writesBefore = killedAt == 0 ? writes.size() : writes.stream().filter(t -> t < killedAt).count();
    System.out.printf("writes acknowledged %d (%d before the kill, %d after), refused %d, I/O errors %d%n",
        writes.size(), writesBefore, writes.size() - writesBefore, writeRefused.get(), writeIoErrors.get());
    System.out.printf("launches ok %d, failed %d (of them I/O errors or timeouts %d), log-offs failed %d%n",
        launches.size(), launchFailed.get(), launchIoErrors.get(), logoffFailed.get());
    System.out.println(gapLine("write_gap_ms", writes, stop, killedAt));
    System.out.println(gapLine("launch_gap_ms", launches, stop, killedAt));
  }

  /** One admin creating users, each with a new name, through the nodes in turn. */
  static void write(int writer) {
    int node = writer % urls.length;
    String token = null;
    long seq = 0;
    while (System.currentTimeMillis() < end) {
      String name = "bench-w" + writer + "-" + seq++;
      try {
        if (token == null) {
          token = signIn(node, "admin", adminPassword, WRITE_TIMEOUT);
        }
        post(node, "/admin/api/v1/users", token, "{\"username\":\"" + name + "\",\"password\":\"written-by-bench-1\"}",
            201, WRITE_TIMEOUT);
        long at = System.currentTimeMillis();
        ackTimes.add(at);
        acked.add(name);
        node = (node + 1) % urls.length;
      } catch (IOException e) {
        writeIoErrors.incrementAndGet();
        node = (node + 1) % urls.length; // a dead or unreachable node: the next one at once
      } catch (Refused e) {
        writeRefused.incrementAndGet();
        if (e.status == 401) {
          token = null;
        }
        node = (node + 1) % urls.length;
        pause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** One user launching and logging off in a loop, moving to the next of its nodes after a failure. */
  static void launch(int launcher, int[] nodes, String user, String password, String resource) {
    int current = launcher % nodes.length;
    String token = null;
    while (System.currentTimeMillis() < end) {
      int node = nodes[current];
      try {
        if (token == null) {
          token = signIn(node, user, password, LAUNCH_TIMEOUT);
        }
        String answer = post(node, "/api/v1/resources/" + resource + "/launch", token, "", 200, LAUNCH_TIMEOUT);
        launchTimes.add(System.currentTimeMillis());
        Matcher s = SESSION.matcher(answer);
        if (s.find()) {
          try {
            post(node, "/api/v1/sessions/" + s.group(1) + "/logoff", token, "", 200, LAUNCH_TIMEOUT);
          } catch (IOException | Refused e) {
            logoffFailed.incrementAndGet();
          }
        }
      } catch (IOException | Refused e) {
        launchFailed.incrementAndGet();
        if (e instanceof IOException) {
          launchIoErrors.incrementAndGet();
        }
        if (e instanceof Refused r && r.status == 401) {
          token = null;
        }
        current = (current + 1) % nodes.length; // the next node, as a client with several addresses would
        pause();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /**
   * The longest time without a success that ends after the kill (the one across the kill included, and the end of
   * the run counts as an end), the longest before it (what the load alone gives), and the first success after it.
   */
  static String gapLine(String name, List<Long> times, long stop, long killedAt) {
    if (times.isEmpty()) {
      return name + " none_succeeded";
    }
    long after = 0;
    long afterFrom = killedAt;
    long before = 0;
    String firstAfterKill = "none";
    for (int i = 1; i <= times.size(); i++) {
      long from = times.get(i - 1);
      long to = i < times.size() ? times.get(i) : stop;
      if (to >= killedAt) {
        if (to - from > after) {
          after = to - from;
          afterFrom = from;
        }
      } else {
        before = Math.max(before, to - from);
      }
      if (killedAt > 0 && i < times.size() && to >= killedAt && "none".equals(firstAfterKill)) {
        firstAfterKill = Long.toString(to - killedAt);
      }
    }
    if (killedAt > 0 && times.get(0) >= killedAt) { // nothing succeeded before the kill: count from the kill
      firstAfterKill = Long.toString(times.get(0) - killedAt);
      if (times.get(0) - killedAt > after) {
        after = times.get(0) - killedAt;
        afterFrom = killedAt;
      }
    }
    return String.format("%s %d from_kill_ms %d before_kill_ms %d first_after_kill_ms %s", name, after,
        afterFrom - killedAt, before, firstAfterKill);
  }

  static List<Long> sorted(List<Long> times) {
    synchronized (times) {
      List<Long> copy = new ArrayList<>(times);
      Collections.sort(copy);
      return copy;
    }
  }

  static String signIn(int node, String user, String password, Duration timeout)
      throws IOException, Refused, InterruptedException {
    String answer = post(node, "/api/v1/login", null,
        "{\"username\":\"" + user + "\",\"password\":\"" + password + "\"}", 200, timeout);
    Matcher t = TOKEN.matcher(answer);
    if (!t.find()) {
      throw new Refused(200, "no token in " + answer);
    }
    return t.group(1);
  }

  static String post(int node, String path, String token, String body, int expected, Duration timeout)
      throws IOException, Refused, InterruptedException {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(urls[node] + path)).timeout(timeout)
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = clients[node].send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new Refused(r.statusCode(), r.body());
    }
    return r.body();
  }

  static void pause() {
    try {
      Thread.sleep(RETRY_PAUSE_MS); // a client's retry pause after a refused request
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  static SSLContext trust(Path ca) throws Exception {
    KeyStore store = KeyStore.getInstance(KeyStore.getDefaultType());
    store.load(null, null);
    try (var in = Files.newInputStream(ca)) {
      store.setCertificateEntry("site-ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
    }
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init(store);
    SSLContext context = SSLContext.getInstance("TLS");
    context.init(null, tmf.getTrustManagers(), null);
    return context;
  }
}
