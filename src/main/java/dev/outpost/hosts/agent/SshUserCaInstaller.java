package dev.outpost.hosts.agent;

import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.http.HttpClient;
import io.vertx.core.http.HttpClientOptions;
import io.vertx.core.http.HttpMethod;
import io.vertx.core.http.RequestOptions;
import io.vertx.core.net.PemTrustOptions;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.function.Consumer;
import java.util.stream.Stream;

/**
 * {@code outpost agent --trust-ssh-user-ca[=FILE]}: the explicit opt-in that lets this host's sshd accept the
 * short-lived certificates the site signs for browser terminals. Fetches the site's SSH user CA key from the
 * appliance (over TLS pinned to the site CA the agent enrolled with), writes it to FILE, and tells whether sshd's
 * configuration names FILE in {@code TrustedUserCAKeys}, or the line to add. It never edits sshd's configuration or
 * reloads sshd: that stays the host administrator's step.
 */
public final class SshUserCaInstaller {

  /** Where the key goes unless the flag names a file. */
  public static final Path DEFAULT_FILE = Path.of("/etc/ssh/outpost_user_ca.pub");
  /** sshd's main configuration; its {@code sshd_config.d/*.conf} are read too. */
  public static final Path SSHD_CONFIG = Path.of("/etc/ssh/sshd_config");
  static final String PATH = "/api/v1/ssh-user-ca";

  private final Path file;
  private final Path sshdConfig;
  private final Consumer<String> console;

  public SshUserCaInstaller(Path file, Path sshdConfig, Consumer<String> console) {
    this.file = Objects.requireNonNull(file);
    this.sshdConfig = Objects.requireNonNull(sshdConfig);
    this.console = Objects.requireNonNull(console);
  }

  /** Fetches the key from the identity's first appliance that answers, installs it, and reports; never fails. */
  public Future<Void> install(Vertx vertx, AgentIdentity identity) {
    HttpClient http = vertx.createHttpClient(new HttpClientOptions().setSsl(true).setVerifyHost(true)
        .setTrustOptions(new PemTrustOptions().addCertValue(Buffer.buffer(identity.caPem())))
        .setConnectTimeout(10_000));
    return fetch(http, identity.appliances(), 0)
        .compose(line -> vertx.executeBlocking(() -> write(line), false))
        .onSuccess(console::accept)
        .recover(e -> {
          console.accept("Could not install the site's SSH user CA: " + e.getMessage()
              + ". Browser terminals of resources with a host login cannot log in to this host until it is.");
          return Future.succeededFuture();
        })
        .<Void>mapEmpty()
        .eventually(http::close);
  }

  private Future<String> fetch(HttpClient http, List<String> appliances, int index) {
    if (index >= appliances.size()) {
      return Future.failedFuture(new IOException("no appliance answered " + PATH));
    }
    URI appliance = URI.create(appliances.get(index));
    return http.request(new RequestOptions().setMethod(HttpMethod.GET).setHost(appliance.getHost())
            .setPort(appliance.getPort() > 0 ? appliance.getPort() : 443).setURI(PATH))
        .compose(request -> request.send())
        .compose(response -> response.statusCode() == 200 ? response.body()
            : Future.failedFuture(new IOException(appliance + " answered " + response.statusCode())))
        .map(body -> body.toString().strip())
        .compose(line -> line.startsWith("ecdsa-sha2-nistp256 ") && !line.contains("\n")
            ? Future.succeededFuture(line)
            : Future.failedFuture(new IOException(appliance + " did not answer an SSH public key")))
        .recover(e -> index + 1 < appliances.size() ? fetch(http, appliances, index + 1) : Future.failedFuture(e));
  }

  /** Writes the key (if it changed) and says what sshd still needs. */
  String write(String line) throws IOException {
    String wanted = line + "\n";
    boolean same = Files.isRegularFile(file) && Files.readString(file).equals(wanted);
    if (!same) {
      Files.createDirectories(file.toAbsolutePath().getParent());
      Files.writeString(file, wanted);
    }
    String installed = (same ? "The site's SSH user CA is already in " : "Installed the site's SSH user CA in ")
        + file + ".";
    if (trusted()) {
      return installed + " sshd trusts it (TrustedUserCAKeys in " + sshdConfig + ").";
    }
    return installed + " Add this line to " + sshdConfig + " and reload sshd (e.g. systemctl reload ssh): "
        + "TrustedUserCAKeys " + file;
  }

  /** Whether sshd's configuration (or a file it includes from sshd_config.d) names the file as trusted. */
  private boolean trusted() throws IOException {
    List<Path> configs = new ArrayList<>();
    if (Files.isRegularFile(sshdConfig)) {
      configs.add(sshdConfig);
    }
    Path included = sshdConfig.resolveSibling("sshd_config.d");
    if (Files.isDirectory(included)) {
      try (Stream<Path> files = Files.list(included)) {
        files.filter(p -> p.toString().endsWith(".conf")).sorted().forEach(configs::add);
      }
    }
    for (Path config : configs) {
      for (String raw : Files.readAllLines(config)) {
        String[] words = raw.strip().split("\\s+");
        if (words.length >= 2 && words[0].toLowerCase(Locale.ROOT).equals("trustedusercakeys")
            && Path.of(words[1]).equals(file)) {
          return true;
        }
      }
    }
    return false;
  }
}
