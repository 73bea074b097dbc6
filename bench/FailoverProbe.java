import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * Failover probe (bench/failover.sh): one user launches and logs off in a loop against the appliances of a site
 * while the script takes the hub or a node away; prints the time from the loss (epoch ms read from STOP_FILE) to
 * local mode, and the brokering gap: the longest time without a successful launch. After a failed launch it
 * retries on the next appliance, like a client with several addresses.
 *
 * Usage: java FailoverProbe.java URL[,URL...] CA_FILE[,CA_FILE...] USER PASSWORD SECONDS STOP_FILE
 */
public class FailoverProbe {
  static final Pattern TOKEN = Pattern.compile("\"token\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern SESSION = Pattern.compile("\"session\"\\s*:\\s*\\{\"id\"\\s*:\\s*\"([^\"]+)\"");
  static final Pattern MODE = Pattern.compile("\"mode\"\\s*:\\s*\"([a-z]+)\"");

  public static void main(String[] args) throws Exception {
    String[] urls = args[0].split(",");
    String[] cas = args[1].split(",");
    HttpClient[] clients = new HttpClient[urls.length];
    for (int i = 0; i < urls.length; i++) {
      clients[i] = HttpClient.newBuilder().sslContext(trust(Path.of(cas[i]))).connectTimeout(Duration.ofSeconds(2))
          .build();
    }
    int current = 0;
    String body = "{\"username\":\"" + args[2] + "\",\"password\":\"" + args[3] + "\"}";
    long end = System.currentTimeMillis() + Long.parseLong(args[4]) * 1000;
    Path stopFile = Path.of(args[5]);
    String token = null;
    long lastOk = 0;
    long worstGap = 0;
    long gapStart = 0;
    long localAt = 0;
    int ok = 0;
    int failed = 0;
    long nextStatus = 0;
    while (System.currentTimeMillis() < end) {
      String url = urls[current];
      HttpClient http = clients[current];
      long now = System.currentTimeMillis();
      if (now >= nextStatus) {
        nextStatus = now + 100;
        Matcher m = MODE.matcher(get(http, url + "/api/v1/status", null));
        if (m.find() && "local".equals(m.group(1)) && localAt == 0) {
          localAt = now;
        }
      }
      try {
        if (token == null) {
          Matcher t = TOKEN.matcher(post(http, url + "/api/v1/login", null, body, 200));
          token = t.find() ? t.group(1) : null;
        }
        String launch = post(http, url + "/api/v1/resources/bench/launch", token, "", 200);
        Matcher s = SESSION.matcher(launch);
        if (s.find()) {
          post(http, url + "/api/v1/sessions/" + s.group(1) + "/logoff", token, "", 200);
        }
        long at = System.currentTimeMillis();
        if (lastOk > 0) {
          worstGap = Math.max(worstGap, at - lastOk);
        }
        lastOk = at;
        ok++;
      } catch (Exception e) {
        failed++;
        if (e.getMessage() != null && e.getMessage().startsWith("401")) {
          token = null;
        }
        current = (current + 1) % urls.length; // the next appliance, as a client with several addresses would
        Thread.sleep(50); // a client's retry pause after a failed launch
      }
    }
    long stoppedAt = Files.exists(stopFile) ? Long.parseLong(Files.readString(stopFile).trim()) : 0;
    System.out.printf("launches ok %d, failed %d, longest gap between successful launches %d ms%n", ok, failed,
        worstGap);
    System.out.printf("lost -> local mode: %s%n", stoppedAt == 0 || localAt == 0 ? "not seen"
        : (localAt - stoppedAt) + " ms");
  }

  static String get(HttpClient http, String url, String token) {
    try {
      HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5)).GET();
      if (token != null) {
        b.header("Authorization", "Bearer " + token);
      }
      return http.send(b.build(), HttpResponse.BodyHandlers.ofString()).body();
    } catch (Exception e) {
      return "";
    }
  }

  static String post(HttpClient http, String url, String token, String body, int expected) throws Exception {
    HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(5))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      b.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> r = http.send(b.build(), HttpResponse.BodyHandlers.ofString());
    if (r.statusCode() != expected) {
      throw new IllegalStateException(r.statusCode() + " " + r.body());
    }
    return r.body();
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
