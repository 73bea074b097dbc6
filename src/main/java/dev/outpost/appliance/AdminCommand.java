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
import java.net.URLEncoder;
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
        "trusted CA fingerprint and the session token are kept (mode 0600) under --home. Or use an API token",
        "(--token, or the environment variable OUTPOST_ADMIN_TOKEN): no login, no second factor, within the",
        "token's scope. Results print as JSON; problems print 'outpost admin: <status> <detail>' on stderr and",
        "exit 1. 'backup' and 'restore' work on a node's data dir instead, on its machine.",
        "",
        "  outpost admin --url https://APPLIANCE:8443 --ca-sha256 FP login --user admin --password-file F",
        "  outpost admin enroll-token create --pool linux --uses 5 --ttl 1d",
        "  outpost admin api-token create --name ci --scope read-only --days 30",
        "  OUTPOST_ADMIN_TOKEN=opat.... outpost admin --url https://APPLIANCE:8443 --ca-sha256 FP get sessions",
        "  outpost admin second-factor reset alice",
        "  outpost admin get pools        outpost admin post pools '{\"name\":\"p\",\"maxSessionsPerHost\":5}'",
        "  outpost admin audit verify     outpost admin audit export --output audit.jsonl",
        "  outpost admin backup FILE --data-dir /var/lib/outpost --passphrase-file F",
        ""},
    subcommands = {AdminCommand.Login.class, AdminCommand.Logout.class, AdminCommand.EnrollTokens.class,
        AdminCommand.ApiTokens.class, AdminCommand.SecondFactors.class,
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

  /** The problem type of a sign-in that needs a second factor. */
  static final String SECOND_FACTOR_REQUIRED = "urn:outpost:problem:second-factor-required";

  /** The environment variable that holds an API token, for scripts. */
  static final String TOKEN_ENV = "OUTPOST_ADMIN_TOKEN";

  @Option(names = "--token", paramLabel = "TOKEN", description = "Act with this API token (opat....) instead of "
      + "the stored session; default: the environment variable " + TOKEN_ENV + ". Needs --url and --ca-sha256 "
      + "(or --cacert) unless a login stored them.")
  String token;

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

  /** The API token given by --token or the environment, or {@code null}. */
  String apiToken() {
    String given = token != null ? token : System.getenv(TOKEN_ENV);
    return given == null || given.isBlank() ? null : given.strip();
  }

  /** A connection for a command: with an API token, else the session of the last login. */
  AdminConnection connection() {
    String apiToken = apiToken();
    if (apiToken != null) {
      return tokenConnection(apiToken);
    }
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

  /** A connection with an API token: the URL and CA given, or those of the last login. */
  private AdminConnection tokenConnection(String apiToken) {
    Session stored = AdminConnection.load(home());
    if (url == null && stored == null) {
      throw new AdminCliException(USAGE, "with an API token, pass --url https://HOST:8443 and --ca-sha256 FP");
    }
    URI target = parseUrl(url != null ? url : stored.url());
    String fingerprint = pinnedFingerprint();
    if (fingerprint == null) {
      if (stored == null || !target.toString().equals(stored.url())) {
        throw new AdminCliException(USAGE, "with an API token, pass --ca-sha256 FP (or --cacert FILE) for " + target);
      }
      fingerprint = stored.caSha256();
    }
    return new AdminConnection(target, fingerprint, apiToken);
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
      detail += apiToken() != null ? " (check the API token: --token or " + TOKEN_ENV + ")"
          : " (sign in again with 'outpost admin login')";
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

    @Option(names = "--code", paramLabel = "CODE", description = "For an account with a second factor: the current "
        + "code of the authenticator app, or a recovery code. Default: asked for on the terminal when needed; "
        + "without a terminal, the line after the password on stdin.")
    String code;

    private BufferedReader stdin;

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
        JsonObject credentials = new JsonObject().put("username", user).put("password", password);
        if (code != null) {
          credentials.put("code", code.strip());
        }
        Answer answer = connection.send("POST", "/api/v1/login", credentials.encode());
        if (answer.status() == 401 && code == null && secondFactorAsked(answer)) {
          answer = connection.send("POST", "/api/v1/login/second-factor", new JsonObject()
              .put("secondFactorToken", new JsonObject(answer.body()).getString("secondFactorToken"))
              .put("code", askCode()).encode());
        }
        if (answer.status() != 200) {
          parent.print(answer);
        }
        JsonObject signedIn = new JsonObject(answer.body());
        AdminConnection.save(parent.home(),
            new Session(url.toString(), fingerprint, user, signedIn.getString("token")));
        JsonObject shown = new JsonObject().put("url", url.toString()).put("user", user)
            .put("caSha256", Fingerprints.display(fingerprint)).put("home", parent.home().toString());
        JsonObject account = signedIn.getJsonObject("user", new JsonObject());
        if (account.getString("secondFactor") != null) {
          shown.put("secondFactor", account.getString("secondFactor"));
        }
        if (account.getString("restriction") != null) {
          // a group requires a second factor this account has not enrolled: the session may only enrol
          shown.put("restriction", account.getString("restriction")).put("hint", "a group requires a second "
              + "factor: enrol one (POST /api/v1/second-factor/totp, then /api/v1/second-factor/totp/confirm) and "
              + "sign in again before using the admin API");
        }
        return parent.print(new Answer(200, shown.encode()));
      });
    }

    private static boolean secondFactorAsked(Answer answer) {
      try {
        return SECOND_FACTOR_REQUIRED.equals(new JsonObject(answer.body()).getString("type"));
      } catch (DecodeException | ClassCastException e) {
        return false;
      }
    }

    /** The code, when the appliance asks for one and --code gave none: typed, or the next line piped in. */
    private String askCode() throws IOException {
      java.io.Console terminal = System.console();
      String typed = terminal != null
          ? terminal.readLine("Code from your authenticator app (or a recovery code) for %s: ", user) : stdinLine();
      if (typed == null || typed.isBlank()) {
        throw new AdminCliException(FAILED, user + " signs in with a second factor: pass --code with the current "
            + "code of the authenticator app (or a recovery code), pipe it in on the line after the password, or "
            + "use an API token (--token)");
      }
      return typed.strip();
    }

    /** The next line of stdin, or {@code null}: one reader, so that a password line and a code line both count. */
    private String stdinLine() throws IOException {
      if (stdin == null) {
        stdin = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
      }
      return stdin.readLine();
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
      String line = stdinLine();
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

  @Command(name = "api-token", mixinStandardHelpOptions = true,
      description = {"API tokens for scripts and curl (Authorization: Bearer TOKEN, or outpost admin --token).",
          "Needs a signed-in person: a token never manages tokens."},
      subcommands = {ApiTokens.Create.class, ApiTokens.ListTokens.class, ApiTokens.Revoke.class})
  static final class ApiTokens implements Runnable {
    @ParentCommand
    AdminCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "create", mixinStandardHelpOptions = true,
        description = "Create a token; prints it once. It acts with its owner's roles, cut to its scope.")
    static final class Create implements Callable<Integer> {
      @ParentCommand
      ApiTokens tokens;

      @Option(names = "--name", required = true, paramLabel = "NAME", description = "What it is for.")
      String name;

      @Option(names = "--scope", required = true, paramLabel = "SCOPE",
          description = "read-only (GET only), session-admin (sessions only) or admin.")
      String scope;

      @Option(names = "--days", paramLabel = "N", defaultValue = "30",
          description = "How long it is valid, 1-366 days (default: ${DEFAULT-VALUE}).")
      int days;

      @Option(names = "--owner", paramLabel = "ACCOUNT",
          description = "A service account to make it for (admins only; default: yourself).")
      String owner;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        JsonObject body = new JsonObject().put("name", name).put("scope", scope).put("expiresInDays", days);
        if (owner != null) {
          body.put("owner", owner);
        }
        return admin.guarded(() -> admin.print(admin.connection().send("POST", "api-tokens", body.encode())));
      }
    }

    @Command(name = "list", mixinStandardHelpOptions = true, description = "List tokens (never their secret).")
    static final class ListTokens implements Callable<Integer> {
      @ParentCommand
      ApiTokens tokens;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("GET", "api-tokens", null)));
      }
    }

    @Command(name = "revoke", mixinStandardHelpOptions = true, description = "Revoke a token by id.")
    static final class Revoke implements Callable<Integer> {
      @ParentCommand
      ApiTokens tokens;

      @Parameters(paramLabel = "ID", description = "The token's id.")
      String id;

      @Override
      public Integer call() {
        AdminCommand admin = tokens.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("DELETE",
            "api-tokens/" + URLEncoder.encode(id, StandardCharsets.UTF_8), null)));
      }
    }
  }

  @Command(name = "second-factor", mixinStandardHelpOptions = true,
      description = "People's second factors (each person enrols their own: POST /api/v1/second-factor/totp).",
      subcommands = {SecondFactors.Reset.class})
  static final class SecondFactors implements Runnable {
    @ParentCommand
    AdminCommand parent;

    @Spec
    CommandSpec spec;

    @Override
    public void run() {
      spec.commandLine().usage(spec.commandLine().getOut());
    }

    @Command(name = "reset", mixinStandardHelpOptions = true, description = {
        "Remove a user's second factor and recovery codes, e.g. after a lost phone; audited. The user signs in with",
        "the password alone (or, in a group that requires one, may only enrol a new one)."})
    static final class Reset implements Callable<Integer> {
      @ParentCommand
      SecondFactors factors;

      @Parameters(paramLabel = "USER", description = "The user's name or id.")
      String user;

      @Override
      public Integer call() {
        AdminCommand admin = factors.parent;
        return admin.guarded(() -> admin.print(admin.connection().send("POST",
            "users/" + URLEncoder.encode(user, StandardCharsets.UTF_8) + "/second-factor/reset", null)));
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
