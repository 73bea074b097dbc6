package dev.outpost.appliance;

import dev.outpost.admin.cli.AdminCliException;
import dev.outpost.admin.cli.AdminConnection;
import dev.outpost.admin.cli.AdminConnection.Answer;
import dev.outpost.admin.cli.AdminConnection.Session;
import dev.outpost.client.UserHome;
import dev.outpost.crypto.Fingerprints;
import dev.outpost.crypto.Pem;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;
import picocli.CommandLine.ParentCommand;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

/** {@code outpost admin}: a thin command line over the admin REST API. */
@Command(name = "admin", mixinStandardHelpOptions = true, sortOptions = false,
    description = {
        "Command-line admin over the admin REST API (/admin/api/v1). Sign in once with 'login'; the URL, the",
        "trusted CA fingerprint and the session token are kept (mode 0600) under --home. Results print as JSON;",
        "problems print 'outpost admin: <status> <detail>' on stderr and exit 1. 'backup' and 'restore' work on a",
        "node's data dir instead, on its machine.",
        "",
        "  outpost admin --url https://APPLIANCE:8443 --ca-sha256 FP login --user admin --password-file F",
        "  outpost admin enroll-token create --pool linux --uses 5 --ttl 1d",
        "  outpost admin get pools        outpost admin post pools '{\"name\":\"p\",\"maxSessionsPerHost\":5}'",
        "  outpost admin audit verify     outpost admin audit export --output audit.jsonl",
        "  outpost admin backup FILE --data-dir /var/lib/outpost --passphrase-file F",
        ""},
    subcommands = {AdminCommand.Login.class, AdminCommand.Logout.class, AdminCommand.EnrollTokens.class,
        AdminCommand.Get.class, AdminCommand.Post.class, AdminCommand.Put.class, AdminCommand.Delete.class,
        AuditCommands.class, BackupCommands.Backup.class, BackupCommands.Restore.class})
final class AdminCommand implements Runnable {

  static final int FAILED = 1;
  static final int USAGE = 2;

  @Spec
  CommandSpec spec;

  @Option(names = "--url", paramLabel = "URL", description = "The appliance, https://HOST:PORT (default: the one "
      + "of the last login).")
  String url;

  @Option(names = "--ca-sha256", paramLabel = "FP", description = "Trust the appliance whose site CA has this "
      + "SHA-256 fingerprint (as 'outpost appliance' prints it; colons optional).")
  String caSha256;

  @Option(names = "--cacert", paramLabel = "FILE", description = "Trust the site CA in this PEM file (e.g. "
      + "DATA_DIR/tls/ca.crt).")
  Path caCert;

  @Option(names = "--home", paramLabel = "DIR", description = "Where the session is kept (default: "
      + "$HOME/.outpost-admin).")
  Path home;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  Path home() {
    return home != null ? home : UserHome.dir().resolve(".outpost-admin");
  }

  /** The fingerprint given on the command line, or null. */
  String pinnedFingerprint() {
    if (caSha256 != null && caCert != null) {
      throw new AdminCliException(USAGE, "pass either --ca-sha256 or --cacert, not both");
    }
    if (caSha256 != null) {
      try {
        return Fingerprints.normalize(caSha256);
      } catch (IllegalArgumentException e) {
        throw new AdminCliException(USAGE, "--ca-sha256: " + e.getMessage());
      }
    }
    if (caCert != null) {
      try {
        return Fingerprints.sha256(Pem.readCertificate(caCert));
      } catch (IOException e) {
        throw new AdminCliException(USAGE, "--cacert: cannot read a PEM certificate from " + caCert);
      }
    }
    return null;
  }

  URI parseUrl(String text) {
    URI uri;
    try {
      uri = URI.create(text.strip());
    } catch (IllegalArgumentException e) {
      throw new AdminCliException(USAGE, "--url '" + text + "' is not a URL");
    }
    if (!"https".equalsIgnoreCase(uri.getScheme()) || uri.getHost() == null) {
      throw new AdminCliException(USAGE, "--url must be https://HOST:PORT");
    }
    return URI.create("https://" + uri.getRawAuthority());
  }

  /** A connection for a command after login. */
  AdminConnection connection() {
    Session session = AdminConnection.load(home());
    if (session == null || session.token() == null) {
      throw new AdminCliException(FAILED, "not signed in: run 'outpost admin --url https://HOST:8443 login --user "
          + "NAME' first");
    }
    URI target = url != null ? parseUrl(url) : URI.create(session.url());
    String fingerprint = pinnedFingerprint();
    if (fingerprint == null) {
      if (!target.toString().equals(session.url())) {
        throw new AdminCliException(FAILED, "signed in to " + session.url() + ", not " + target + "; log in there");
      }
      fingerprint = session.caSha256();
    }
    return new AdminConnection(target, fingerprint, session.token());
  }

  /** Runs a command body, printing its problems the one way. */
  int guarded(Callable<Integer> body) {
    PrintWriter err = spec.commandLine().getErr();
    try {
      return body.call();
    } catch (AdminCliException e) {
      err.println("outpost admin: " + e.getMessage());
      err.flush();
      return e.exitCode();
    } catch (Exception e) {
      err.println("outpost admin: " + e.getMessage());
      err.flush();
      return FAILED;
    }
  }

  /** Prints a JSON answer, or the problem on stderr; returns the exit code. */
  int print(Answer answer) {
    if (answer.status() >= 200 && answer.status() < 300) {
      if (!answer.body().isBlank()) {
        PrintWriter out = spec.commandLine().getOut();
        out.println(pretty(answer.body()));
        out.flush();
      }
      return 0;
    }
    String detail;
    try {
      detail = new JsonObject(answer.body()).getString("detail", "");
    } catch (DecodeException | ClassCastException e) {
      detail = answer.body().length() > 200 ? answer.body().substring(0, 200) : answer.body();
    }
    if (answer.status() == 401) {
      detail += " (sign in again with 'outpost admin login')";
    }
    throw new AdminCliException(FAILED, answer.status() + " " + detail);
  }

  private static String pretty(String body) {
    try {
      return new JsonObject(body).encodePrettily();
    } catch (DecodeException e) {
      return body;
    }
  }

  static String jsonArgument(String text) {
    String json = text;
    try {
      if (text.startsWith("@")) {
        json = Files.readString(Path.of(text.substring(1)), StandardCharsets.UTF_8);
      }
      return new JsonObject(json).encode();
    } catch (IOException e) {
      throw new AdminCliException(USAGE, "cannot read " + text.substring(1) + ": " + e.getMessage());
    } catch (DecodeException e) {
      throw new AdminCliException(USAGE, "the body must be a JSON object (or @FILE holding one)");
    }
  }

  @Command(name = "login", mixinStandardHelpOptions = true, description = {
      "Sign in and keep the session. The appliance is trusted by --ca-sha256/--cacert or, at first contact, by",
      "confirming the CA fingerprint it shows (like ssh); without a terminal an unknown CA is refused."})
  static final class Login implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Option(names = "--user", required = true, paramLabel = "NAME", description = "Account name.")
    String user;

    @Option(names = "--password-file", paramLabel = "FILE", description = "Read the password from this file "
        + "(default: ask on the terminal, or read one line from stdin).")
    Path passwordFile;

    @Override
    public Integer call() {
      return parent.guarded(() -> {
        Session stored = AdminConnection.load(parent.home());
        if (parent.url == null && stored == null) {
          throw new AdminCliException(USAGE, "pass --url https://HOST:8443 for the first login");
        }
        URI url = parent.parseUrl(parent.url != null ? parent.url : stored.url());
        String fingerprint = parent.pinnedFingerprint();
        if (fingerprint == null && stored != null && url.toString().equals(stored.url())) {
          fingerprint = stored.caSha256();
        }
        if (fingerprint == null) {
          fingerprint = confirm(url, AdminConnection.discoverCa(url));
        }
        String password = password();
        AdminConnection connection = new AdminConnection(url, fingerprint, null);
        Answer answer = connection.send("POST", "/api/v1/login",
            new JsonObject().put("username", user).put("password", password).encode());
        if (answer.status() != 200) {
          parent.print(answer);
        }
        String token = new JsonObject(answer.body()).getString("token");
        AdminConnection.save(parent.home(), new Session(url.toString(), fingerprint, user, token));
        return parent.print(new Answer(200, new JsonObject().put("url", url.toString()).put("user", user)
            .put("caSha256", Fingerprints.display(fingerprint)).put("home", parent.home().toString()).encode()));
      });
    }

    private String confirm(URI url, String presented) {
      java.io.Console terminal = System.console();
      String shown = Fingerprints.display(presented);
      if (terminal == null) {
        throw new AdminCliException(FAILED, "the appliance at " + url + " presents CA sha256 " + shown
            + ", which is not trusted yet; check it against what 'outpost appliance' printed and pass --ca-sha256 "
            + shown);
      }
      String reply = terminal.readLine("The appliance at %s presents CA sha256%n  %s%nTrust it? [y/N] ", url, shown);
      if (reply == null || !reply.strip().toLowerCase(Locale.ROOT).startsWith("y")) {
        throw new AdminCliException(FAILED, "not trusted; nothing stored");
      }
      return presented;
    }

    private String password() throws IOException {
      if (passwordFile != null) {
        return Files.readString(passwordFile, StandardCharsets.UTF_8).lines().findFirst().orElse("").strip();
      }
      java.io.Console terminal = System.console();
      if (terminal != null) {
        char[] typed = terminal.readPassword("Password for %s: ", user);
        return typed == null ? "" : new String(typed);
      }
      // no terminal: the first line piped in (echo "$PW" | outpost admin login ...)
      String line = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8)).readLine();
      if (line == null || line.isBlank()) {
        throw new AdminCliException(USAGE, "no password: pipe it in on stdin, use --password-file FILE, or run this "
            + "in a terminal to be asked");
      }
      return line.strip();
    }
  }

  @Command(name = "logout", mixinStandardHelpOptions = true, description = "End the session and forget its token.")
  static final class Logout implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Override
    public Integer call() {
      return parent.guarded(() -> {
        AdminConnection connection = parent.connection();
        Session session = AdminConnection.load(parent.home());
        connection.send("POST", "/api/v1/logout", null);
        AdminConnection.save(parent.home(), new Session(session.url(), session.caSha256(), session.user(), null));
        return 0;
      });
    }
  }

  @Command(name = "enroll-token", mixinStandardHelpOptions = true,
      description = "Enrollment tokens for session hosts ('outpost agent --token').",
      subcommands = {EnrollTokens.Create.class, EnrollTokens.ListTokens.class, EnrollTokens.Revoke.class})
  static final class EnrollTokens implements Runnable {
    @ParentCommand
    AdminCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a token; prints it once, with the agent command to run on the host.")
    static final class Create implements Callable<Integer> {
      private static final Pattern TTL = Pattern.compile("(\\d{1,9})([smhd]?)");

      @ParentCommand
      EnrollTokens tokens;

      @Option(names = "--pool", required = true, paramLabel = "POOL", description = "Pool name or id.")
      String pool;

      @Option(names = "--uses", paramLabel = "N", defaultValue = "1",
          description = "How many hosts may enroll with it, 1-1000 (default: ${DEFAULT-VALUE}).")
      int uses;

      @Option(names = "--ttl", paramLabel = "DURATION", defaultValue = "1d",
          description = "How long it is valid: 60s-30d, as N[s|m|h|d] (default: ${DEFAULT-VALUE}).")
      String ttl;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("POST", "enroll-tokens",
            new JsonObject().put("pool", pool).put("uses", uses).put("ttlSeconds", seconds(ttl)).encode())));
      }

      static long seconds(String text) {
        Matcher m = TTL.matcher(text.strip().toLowerCase(Locale.ROOT));
        if (!m.matches()) {
          throw new AdminCliException(USAGE, "--ttl must look like 90s, 30m, 12h or 7d");
        }
        long n = Long.parseLong(m.group(1));
        return switch (m.group(2)) {
          case "m" -> n * 60;
          case "h" -> n * 3600;
          case "d" -> n * 86_400;
          default -> n;
        };
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secret).")
    static final class ListTokens implements Callable<Integer> {
      @ParentCommand
      EnrollTokens tokens;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("GET", "enroll-tokens", null)));
      }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by id.")
    static final class Revoke implements Callable<Integer> {
      @ParentCommand
      EnrollTokens tokens;

      @Parameters(paramLabel = "ID", description = "The token's id.")
      String id;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("DELETE", "enroll-tokens/" + id, null)));
      }
    }
  }

  @Command(name = "get", mixinStandardHelpOptions = true,
      description = "GET an admin API path, e.g. pools, pools/linux, audit?limit=5, agents, nodes.")
  static final class Get implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Parameters(paramLabel = "PATH", description = "Relative to /admin/api/v1 (or absolute /admin/... or /api/...).")
    String path;

    @Override
    public Integer call() {
      return parent.guarded(() -> parent.print(parent.connection().send("GET", path, null)));
    }
  }

  @Command(name = "post", mixinStandardHelpOptions = true, description = "POST a JSON object to an admin API path.")
  static final class Post implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Parameters(index = "0", paramLabel = "PATH", description = "Relative to /admin/api/v1, e.g. pools.")
    String path;

    @Parameters(index = "1", paramLabel = "JSON", description = "The body, or @FILE.")
    String json;

    @Override
    public Integer call() {
      return parent.guarded(() -> parent.print(parent.connection().send("POST", path, jsonArgument(json))));
    }
  }

  @Command(name = "put", mixinStandardHelpOptions = true, description = "PUT a partial update to an admin API path.")
  static final class Put implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Parameters(index = "0", paramLabel = "PATH", description = "Relative to /admin/api/v1, e.g. pools/linux.")
    String path;

    @Parameters(index = "1", paramLabel = "JSON", description = "The fields to change, or @FILE.")
    String json;

    @Override
    public Integer call() {
      return parent.guarded(() -> parent.print(parent.connection().send("PUT", path, jsonArgument(json))));
    }
  }

  @Command(name = "delete", mixinStandardHelpOptions = true, description = "DELETE an admin API path.")
  static final class Delete implements Callable<Integer> {
    @ParentCommand
    AdminCommand parent;

    @Parameters(paramLabel = "PATH", description = "Relative to /admin/api/v1, e.g. pools/linux.")
    String path;

    @Override
    public Integer call() {
      return parent.guarded(() -> parent.print(parent.connection().send("DELETE", path, null)));
    }
  }
}
