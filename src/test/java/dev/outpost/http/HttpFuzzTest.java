package dev.outpost.http;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.testing.RawHttps;
import dev.outpost.testing.RawHttps.Answer;
import dev.outpost.testing.SiteClient;
import dev.outpost.testing.TestHub;
import dev.outpost.testing.TestSite;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.TreeMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile input on every route of an appliance and a hub: each operation of the OpenAPI document they serve, the
 * store API, sign-in, enrollment and WebSocket endpoints get NUL bytes, control characters, malformed
 * percent-encoding and oversized values in path parameters, query parameters and JSON string fields, and the
 * listeners get oversized and malformed framing on raw TLS sockets. No answer may be a server error (the one 5xx
 * Outpost sends on purpose is 501 for an unknown HTTP version), and every error answer is problem+json with the
 * security headers. The cases are drawn with a fixed seed and capped, so a failure reproduces.
 */
class HttpFuzzTest {

  private static final long SEED = 20261107L;
  private static final int MAX_CASES_PER_TARGET = 1_000;
  private static final List<String> SECURITY_HEADERS = List.of("strict-transport-security", "x-content-type-options",
      "x-frame-options", "content-security-policy", "referrer-policy");
  private static final Pattern PATH_PARAM = Pattern.compile("\\{([^}]+)}");

  /** Path segments as sent on the wire (already percent-encoded where meant). */
  private static final List<String> PATH_POISONS = List.of("%00", "fuzz%00user", "%0a", "%0d%0aX-Injected:%201",
      "%1b%5b31m", "%7f", "%c2%9b", "%zz", "%", "%c0%80", "%ff%fe", "..%2f..%2fetc%2fpasswd", "%25%30%30",
      "00000000-0000-0000-0000-000000000000", "-1", "x".repeat(300), "x".repeat(5000));
  /** Query values as sent on the wire. */
  private static final List<String> QUERY_POISONS = List.of("%00", "a%00b", "%0a", "%1b%5b31m", "%7f", "%zz",
      "%c0%80", "-1", "99999999999999999999", "1e3", "true", "", "x".repeat(3000));
  /** JSON string values. */
  private static final List<String> STRING_POISONS = List.of("\u0000", "a\u0000b", "\n", "line\r\nbreak",
      "\u001b[31mred", "\u007f", "\u0085", "\u009b2J", "\ud800", "", " ", "x".repeat(2000), "'; DROP TABLE users; --",
      "\u202eevil");
  /** JSON values for fields that want something other than a string. */
  private static final List<Object> OTHER_POISONS = List.of(-1, Integer.MAX_VALUE, new java.math.BigInteger(
      "99999999999999999999999"), 1.5, "1", true, new JsonArray(), new JsonObject());

  @TempDir
  static Path tmp;
  static TestSite site;
  static TestHub hub;
  static List<Target> targets;

  /** One listener under attack, with an admin's token for the routes behind sign-in. */
  record Target(String name, SiteClient client, RawHttps raw, String token, Map<String, String> names) {
  }

  /** One route of a listener: method, path template, query parameters, JSON body schema (or null). */
  record Route(String method, String template, List<String> query, JsonObject schema, boolean anonymous) {
  }

  /** One request to send: a raw request target, an optional JSON body text, with or without the admin's token. */
  record Case(String what, String method, String target, String body, boolean anonymous) {
  }

  @BeforeAll
  static void start() {
    // a short head deadline: some framing cases leave a request head unfinished, and the deadline ends them
    site = TestSite.start(tmp.resolve("node"), Map.of("http.header-timeout", "2s"));
    hub = TestHub.start(tmp.resolve("hub"), Map.of("http.header-timeout", "2s"));
    String siteAdmin = site.adminToken();
    String hubAdmin = hub.adminToken();
    // entities that body cases may name, so that they get past "no such pool" to the fields under test
    created(site.client().post("/admin/api/v1/pools", siteAdmin, "{\"name\":\"fuzz-pool\",\"maxSessionsPerHost\":2}"));
    created(hub.client().post("/admin/api/v1/locations", hubAdmin, "{\"name\":\"fuzz-loc\"}"));
    created(hub.client().post("/admin/api/v1/pools", hubAdmin,
        "{\"name\":\"fuzz-pool\",\"maxSessionsPerHost\":2,\"location\":\"fuzz-loc\"}"));
    for (var target : List.of(Map.entry(site.client(), siteAdmin), Map.entry(hub.client(), hubAdmin))) {
      SiteClient client = target.getKey();
      String admin = target.getValue();
      created(client.post("/admin/api/v1/resources", admin,
          "{\"name\":\"fuzz-res\",\"pool\":\"fuzz-pool\",\"kind\":\"app\",\"port\":22}"));
      created(client.post("/admin/api/v1/users", admin, "{\"username\":\"fuzz-user\"}"));
      created(client.post("/admin/api/v1/groups", admin, "{\"name\":\"fuzz-group\",\"members\":[\"fuzz-user\"]}"));
    }
    Map<String, String> names = Map.of("users", "fuzz-user", "groups", "fuzz-group", "pools", "fuzz-pool",
        "resources", "fuzz-res", "locations", "fuzz-loc");
    targets = List.of(
        new Target("appliance", site.client(), new RawHttps(site.dataDir().resolve("tls/ca.crt"), site.httpsPort()),
            siteAdmin, names),
        new Target("hub", hub.client(), new RawHttps(hub.dataDir().resolve("tls/ca.crt"), hub.port()), hubAdmin,
            names));
  }

  @AfterAll
  static void stop() {
    if (hub != null) {
      hub.close();
    }
    if (site != null) {
      site.close();
    }
  }

  @Test
  void hostileValuesOnEveryRouteNeverCauseAServerError() throws Exception {
    List<String> failures = new ArrayList<>();
    Map<Integer, Integer> statuses = new TreeMap<>();
    for (Target target : targets) {
      // GIVEN every route the listener serves: its OpenAPI document, and the routes outside the admin API
      List<Route> routes = routes(target);
      assertThat(routes).as(target.name() + " routes").hasSizeGreaterThan(30);

      // WHEN hostile values are put in each path parameter, query parameter and JSON field, a capped seeded draw
      List<Case> cases = cases(target, routes);
      RawHttps.KeptAlive connection = target.raw().keptAlive();
      for (Case c : cases) {
        Optional<Answer> answer = connection.send(request(target, c));
        // THEN each one is answered, below 500, and an error is a problem with the security headers
        String where = target.name() + " " + c.what() + ": " + c.method() + " " + shorten(c.target());
        if (answer.isEmpty()) {
          failures.add(where + " -> closed without an answer");
          continue;
        }
        statuses.merge(answer.get().status(), 1, Integer::sum);
        check(where, answer.get(), failures);
      }
      connection.close();
    }
    assertThat(failures).as("cases answered badly (statuses seen: " + statuses + ")").isEmpty();
  }

  @Test
  void malformedFramingIsRefusedWithAProblemAndTheSecurityHeaders() throws Exception {
    Random random = new Random(SEED);
    byte[] garbage = new byte[512];
    random.nextBytes(garbage);
    Map<String, Object> framing = new LinkedHashMap<>();
    framing.put("huge header", get("X-Big: " + "a".repeat(20_000)));
    framing.put("too many headers", "GET /health/live HTTP/1.1\r\nHost: localhost\r\n"
        + "X-H: v\r\n".repeat(3_000) + "Connection: close\r\n\r\n");
    framing.put("huge URI", "GET /api/v1/" + "a".repeat(10_000) + " HTTP/1.1\r\nHost: localhost\r\n\r\n");
    framing.put("not a request line", "NOT A REQUEST\r\n\r\n");
    framing.put("method only", "GET\r\n\r\n");
    framing.put("control bytes", "\u0000\u0001\u0002\u0003\r\n\r\n");
    framing.put("random bytes", garbage);
    framing.put("unknown HTTP version", "GET /health/live HTTP/9.9\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    framing.put("HTTP/1.2", "GET /health/live HTTP/1.2\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    framing.put("malformed version", "GET /health/live FOO/1.1\r\nHost: localhost\r\n\r\n");
    framing.put("bad chunk size", post("Transfer-Encoding: chunked", "zz\r\nabc\r\n0\r\n\r\n"));
    framing.put("overflowing chunk size", post("Transfer-Encoding: chunked", "fffffffffffffffffff\r\nab\r\n0\r\n\r\n"));
    framing.put("chunk without CRLF", post("Transfer-Encoding: chunked", "3\r\nabcdef0\r\n\r\n"));
    framing.put("unknown transfer coding", post("Transfer-Encoding: gzip, chunked", "0\r\n\r\n"));
    framing.put("length and chunked", post("Content-Length: 5\r\nTransfer-Encoding: chunked", "0\r\n\r\n"));
    framing.put("non-numeric length", post("Content-Length: abc", ""));
    framing.put("negative length", post("Content-Length: -1", ""));
    framing.put("two lengths", post("Content-Length: 2\r\nContent-Length: 3", "{}"));
    framing.put("header without colon", get("BadHeader"));
    framing.put("space in header name", get("Bad Name: x"));
    framing.put("NUL in header value", get("X-A: a\u0000b"));
    framing.put("control byte in header value", get("X-A: a\u0001b"));
    framing.put("folded header", get("X-A: a\r\n folded"));
    framing.put("request id with control bytes", get("X-Request-Id: abcdefgh\u001b[31m"));
    framing.put("no Host on HTTP/1.1", "GET /health/live HTTP/1.1\r\nConnection: close\r\n\r\n");
    framing.put("absolute URI", "GET https://elsewhere.example/ HTTP/1.1\r\nHost: localhost\r\nConnection: close"
        + "\r\n\r\n");
    framing.put("asterisk target", "OPTIONS * HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    framing.put("CONNECT", "CONNECT elsewhere.example:443 HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    framing.put("unknown method", "BREW /health/live HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
    framing.put("bare LF", "GET /health/live HTTP/1.1\nHost: localhost\nConnection: close\n\n");
    framing.put("raw NUL in path", "GET /admin/api/v1/users/a\u0000b HTTP/1.1\r\nHost: localhost\r\nConnection: "
        + "close\r\n\r\n");
    framing.put("raw escape in path", "GET /admin/api/v1/users/a\u001b[31m HTTP/1.1\r\nHost: localhost\r\n"
        + "Connection: close\r\n\r\n");
    framing.put("huge declared body", post("Content-Length: 1000000000000\r\nExpect: 100-continue", ""));
    framing.put("WebSocket upgrade with a bad version", "GET /gateway HTTP/1.1\r\nHost: localhost\r\nUpgrade: "
        + "websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n"
        + "Sec-WebSocket-Version: 99\r\n\r\n");
    framing.put("WebSocket upgrade by POST", "POST /gateway HTTP/1.1\r\nHost: localhost\r\nUpgrade: websocket\r\n"
        + "Connection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n"
        + "Content-Length: 0\r\n\r\n");
    framing.put("WebSocket upgrade without a key", "GET /gateway HTTP/1.1\r\nHost: localhost\r\n"
        + "Upgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Version: 13\r\n\r\n");

    List<String> failures = new ArrayList<>();
    Map<String, Integer> closedWithoutAnswer = new LinkedHashMap<>();
    for (Target target : targets) {
      for (var entry : framing.entrySet()) {
        // WHEN the bytes are sent as they are on a TLS connection
        byte[] bytes = entry.getValue() instanceof byte[] raw ? raw
            : ((String) entry.getValue()).getBytes(StandardCharsets.UTF_8);
        Optional<Answer> answer = target.raw().exchange(bytes);
        String where = target.name() + " " + entry.getKey();
        // THEN the server either answers below 500 (or 501 for the unknown version) with a problem and the
        // security headers, or closes the connection
        if (answer.isEmpty()) {
          closedWithoutAnswer.merge(entry.getKey(), 1, Integer::sum);
          continue;
        }
        check(where, answer.get(), failures);
      }
      // AND the listeners tell a client what was wrong with the framing
      Map<String, Integer> expected = Map.of("huge header", 431, "too many headers", 431, "huge URI", 414,
          "not a request line", 400, "unknown HTTP version", 501, "bad chunk size", 400, "no Host on HTTP/1.1", 400);
      for (var entry : expected.entrySet()) {
        Answer answer = target.raw().exchange((String) framing.get(entry.getKey())).orElseThrow();
        assertThat(answer.status()).as(target.name() + " " + entry.getKey() + ": " + answer.body())
            .isEqualTo(entry.getValue());
      }
    }
    assertThat(failures).as("framing answered badly (closed without an answer: " + closedWithoutAnswer + ")")
        .isEmpty();
  }

  @Test
  void controlCharactersAreRefusedWithAUsefulDetailWhereTheyWouldBeStored() throws Exception {
    for (Target target : targets) {
      // GIVEN an admin of the appliance or the hub
      SiteClient client = target.client();
      String admin = target.token();

      // WHEN a NUL comes in a path id, a query parameter and a JSON string THEN each is a 400 that names it
      Answer path = target.raw().exchange(get(target, "/admin/api/v1/users/fuzz%00user")).orElseThrow();
      assertThat(path.status()).as(path.body()).isEqualTo(400);
      assertThat(new JsonObject(path.body()).getString("detail")).contains("path", "U+0000");
      Answer query = target.raw().exchange(get(target, "/admin/api/v1/audit?actor=a%00b")).orElseThrow();
      assertThat(query.status()).as(query.body()).isEqualTo(400);
      assertThat(new JsonObject(query.body()).getString("detail")).contains("query", "U+0000");
      SiteClient.Response body = client.put("/admin/api/v1/users/fuzz-user", admin,
          new JsonObject().put("displayName", "Eve\u0000").encode());
      assertThat(body.status()).as(body.body()).isEqualTo(400);
      assertThat(body.json().getString("detail")).contains("displayName", "NUL");

      // AND a line break or terminal escape in a name is refused, while a description may span lines
      SiteClient.Response name = client.put("/admin/api/v1/users/fuzz-user", admin,
          new JsonObject().put("displayName", "Eve\n\u001b[31mAdmin").encode());
      assertThat(name.status()).as(name.body()).isEqualTo(400);
      assertThat(name.json().getString("detail")).contains("displayName", "control characters");
      SiteClient.Response description = client.put("/admin/api/v1/pools/fuzz-pool", admin,
          new JsonObject().put("description", "first line\nsecond line").encode());
      assertThat(description.status()).as(description.body()).isEqualTo(200);
    }
  }

  @Test
  void onlyApplicationJsonIsReadAsJson() {
    for (Target target : targets) {
      // GIVEN a valid body for sign-in
      String body = new JsonObject().put("username", "fuzz-user").put("password", "not-the-password").encode();
      // WHEN it is sent with media types that merely start like JSON THEN they are 415 problems
      for (String type : List.of("application/jsonx", "application/json-patch+json", "application/json5",
          "text/json", "application/x-www-form-urlencoded", "application/json; charset=iso-8859-1")) {
        SiteClient.Response answer = target.client().send("POST", "/api/v1/login", null, body, type);
        assertThat(answer.status()).as(target.name() + " " + type + ": " + answer.body()).isEqualTo(415);
        assertThat(answer.contentType()).startsWith(Problems.CONTENT_TYPE);
      }
      // AND application/json with its optional parameters is read (a wrong password: 401, not 415)
      for (String type : List.of("application/json", "Application/JSON", "application/json; charset=utf-8",
          "application/json;charset=\"UTF-8\"")) {
        SiteClient.Response answer = target.client().send("POST", "/api/v1/login", null, body, type);
        assertThat(answer.status()).as(target.name() + " " + type + ": " + answer.body()).isIn(401, 429);
      }
    }
  }

  private static List<Route> routes(Target target) {
    SiteClient.Response document = target.client().get("/admin/api/v1/openapi.json", null);
    assertThat(document.status()).isEqualTo(200);
    JsonObject openApi = document.json();
    String base = openApi.getJsonArray("servers").getJsonObject(0).getString("url");
    List<Route> routes = new ArrayList<>();
    JsonObject paths = openApi.getJsonObject("paths");
    for (String path : paths.fieldNames()) {
      JsonObject item = paths.getJsonObject(path);
      for (String method : item.fieldNames()) {
        if (method.equals("parameters")) {
          continue;
        }
        JsonObject operation = item.getJsonObject(method);
        List<String> query = new ArrayList<>();
        for (Object p : operation.getJsonArray("parameters", new JsonArray())) {
          JsonObject parameter = (JsonObject) p;
          if ("query".equals(parameter.getString("in"))) {
            query.add(parameter.getString("name"));
          }
        }
        JsonObject schema = operation.getJsonObject("requestBody") == null ? null
            : resolve(openApi, operation.getJsonObject("requestBody").getJsonObject("content")
                .getJsonObject("application/json").getJsonObject("schema"));
        routes.add(new Route(method.toUpperCase(), base + path, query, schema, false));
      }
    }
    JsonObject credentials = schema("username", "password", "deviceKey");
    routes.add(new Route("POST", "/api/v1/login", List.of(), credentials, true));
    routes.add(new Route("POST", "/api/v1/logout", List.of(), null, true));
    routes.add(new Route("GET", "/api/v1/me", List.of(), null, false));
    routes.add(new Route("GET", "/api/v1/status", List.of(), null, false));
    routes.add(new Route("GET", "/api/v1/resources", List.of("all"), null, false));
    routes.add(new Route("POST", "/api/v1/resources/{id}/launch", List.of("format"), null, false));
    routes.add(new Route("GET", "/api/v1/sessions", List.of(), null, false));
    routes.add(new Route("POST", "/api/v1/sessions/{id}/logoff", List.of(), null, false));
    routes.add(new Route("POST", "/api/v1/sessions/{id}/disconnect", List.of(), null, false));
    routes.add(new Route("GET", "/api/v1/lease", List.of(), null, false));
    routes.add(new Route("POST", "/api/v1/lease-launch", List.of(), schema("lease", "resource", "proof"), true));
    routes.add(new Route("POST", "/agent/v1/enroll", List.of(), schema("token", "csr", "publicKey", "name"), true));
    routes.add(new Route("GET", "/agent/v1/link", List.of(), null, true));
    routes.add(new Route("POST", "/hub/v1/enroll", List.of(),
        schema("token", "node", "name", "publicKey", "siteCaSha256"), true));
    routes.add(new Route("GET", "/gateway", List.of("location"), null, true));
    routes.add(new Route("GET", "/health/live", List.of(), null, true));
    routes.add(new Route("GET", "/health/ready", List.of(), null, true));
    routes.add(new Route("GET", "/metrics", List.of(), null, true));
    routes.add(new Route("GET", "/index.html", List.of(), null, true));
    routes.add(new Route("GET", "/admin/{page}", List.of(), null, true));
    return routes;
  }

  private static JsonObject schema(String... stringFields) {
    JsonObject properties = new JsonObject();
    for (String field : stringFields) {
      properties.put(field, new JsonObject().put("type", "string"));
    }
    return new JsonObject().put("type", "object").put("properties", properties);
  }

  private static JsonObject resolve(JsonObject openApi, JsonObject schema) {
    String ref = schema.getString("$ref");
    if (ref == null) {
      return schema;
    }
    JsonObject node = openApi;
    for (String part : ref.substring(2).split("/")) {
      node = node.getJsonObject(part);
    }
    return node;
  }

  /** Every case for every route of the target, drawn in a seeded order and capped. */
  private static List<Case> cases(Target target, List<Route> routes) {
    List<Case> all = new ArrayList<>();
    for (Route route : routes) {
      List<String> params = new ArrayList<>();
      Matcher m = PATH_PARAM.matcher(route.template());
      while (m.find()) {
        params.add(m.group(1));
      }
      String valid = fill(target, route, null, null);
      for (String param : params) {
        for (String poison : PATH_POISONS) {
          all.add(new Case("path " + param + "=" + shorten(poison), route.method(),
              fill(target, route, param, poison), route.schema() == null ? null : "{}", route.anonymous()));
        }
      }
      List<String> queries = new ArrayList<>(route.query());
      queries.add("q");
      for (String name : queries) {
        for (String poison : QUERY_POISONS) {
          all.add(new Case("query " + name + "=" + shorten(poison), route.method(), valid + "?" + name + "="
              + poison, route.schema() == null ? null : "{}", route.anonymous()));
        }
      }
      all.add(new Case("query name with NUL", route.method(), valid + "?a%00b=1", null, route.anonymous()));
      if (route.schema() != null) {
        JsonObject base = validBody(target, route.schema());
        JsonObject properties = route.schema().getJsonObject("properties", new JsonObject());
        for (String field : properties.fieldNames()) {
          boolean text = "string".equals(properties.getJsonObject(field).getString("type"));
          for (Object poison : text ? STRING_POISONS : OTHER_POISONS) {
            all.add(new Case("field " + field + "=" + shorten(String.valueOf(poison)), route.method(), valid,
                base.copy().put(field, poison).encode(), route.anonymous()));
          }
        }
        all.add(new Case("NUL in a field name", route.method(), valid, base.copy().put("a\u0000b", 1).encode(),
            route.anonymous()));
        all.add(new Case("body too large", route.method(), valid,
            base.copy().put("x", "y".repeat(70_000)).encode(), route.anonymous()));
        all.add(new Case("nested too deep", route.method(), valid, "{\"a\":" + "[".repeat(3_000)
            + "]".repeat(3_000) + "}", route.anonymous()));
        all.add(new Case("not an object", route.method(), valid, "[1,2]", route.anonymous()));
        all.add(new Case("truncated JSON", route.method(), valid, "{\"a\":", route.anonymous()));
      }
    }
    Collections.shuffle(all, new Random(SEED ^ target.name().hashCode()));
    return all.subList(0, Math.min(all.size(), MAX_CASES_PER_TARGET));
  }

  /**
   * The path of a route with valid values in its parameters, or {@code poison} (raw) in {@code param}. A DELETE
   * never names an entity that the other cases need.
   */
  private static String fill(Target target, Route route, String param, String poison) {
    String template = route.template();
    Matcher m = PATH_PARAM.matcher(template);
    StringBuilder path = new StringBuilder();
    while (m.find()) {
      String value;
      if (m.group(1).equals(param)) {
        value = poison;
      } else {
        String collection = template.substring(0, m.start()).replaceAll(".*/([^/]+)/$", "$1");
        value = route.method().equals("DELETE") ? "fuzz-target"
            : target.names().getOrDefault(collection, "fuzz-target");
      }
      m.appendReplacement(path, Matcher.quoteReplacement(value));
    }
    m.appendTail(path);
    return path.toString();
  }

  /** A body the route would accept, or nearly: its required fields with plausible values. */
  private static JsonObject validBody(Target target, JsonObject schema) {
    JsonObject body = new JsonObject();
    JsonObject properties = schema.getJsonObject("properties", new JsonObject());
    for (String field : schema.getJsonArray("required", new JsonArray()).stream().map(String::valueOf).toList()) {
      JsonObject property = properties.getJsonObject(field, new JsonObject());
      Object value = switch (String.valueOf(property.getString("type"))) {
        case "integer" -> property.getInteger("minimum", 1);
        case "boolean" -> false;
        case "array" -> new JsonArray().add(property.getJsonObject("items", new JsonObject())
            .getJsonArray("enum", new JsonArray().add("fuzz-user")).getValue(0));
        default -> property.getJsonArray("enum") != null ? property.getJsonArray("enum").getValue(0)
            : target.names().getOrDefault(field + "s", field.equals("location") ? "fuzz-loc" : "fuzz-new-" + field);
      };
      body.put(field, value);
    }
    return body;
  }

  private static byte[] request(Target target, Case c) {
    StringBuilder head = new StringBuilder(c.method()).append(' ').append(c.target()).append(" HTTP/1.1\r\n")
        .append("Host: localhost\r\n");
    if (!c.anonymous()) {
      head.append("Authorization: Bearer ").append(target.token()).append("\r\n");
    }
    byte[] body = c.body() == null ? new byte[0] : c.body().getBytes(StandardCharsets.UTF_8);
    if (c.body() != null) {
      head.append("Content-Type: application/json\r\nContent-Length: ").append(body.length).append("\r\n");
    }
    head.append("\r\n");
    byte[] headBytes = head.toString().getBytes(StandardCharsets.UTF_8);
    byte[] all = new byte[headBytes.length + body.length];
    System.arraycopy(headBytes, 0, all, 0, headBytes.length);
    System.arraycopy(body, 0, all, headBytes.length, body.length);
    return all;
  }

  private static void check(String where, Answer answer, List<String> failures) {
    int status = answer.status();
    boolean versionRefusal = where.contains("version") || where.contains("HTTP/1.2");
    if (status < 100 || status >= 500 && !(versionRefusal && status == 501)) {
      failures.add(where + " -> " + status + " " + shorten(answer.body()));
      return;
    }
    for (String header : SECURITY_HEADERS) {
      if (answer.header(header) == null && status != 101) {
        failures.add(where + " -> " + status + " without " + header);
      }
    }
    if (answer.body().contains("\tat ") || answer.body().contains("Exception")) {
      failures.add(where + " -> " + status + " with what looks like a stack trace: " + shorten(answer.body()));
    }
    if (status < 400) {
      return;
    }
    String type = answer.header("content-type");
    if (type == null || !type.startsWith(Problems.CONTENT_TYPE)) {
      failures.add(where + " -> " + status + " as " + type + ": " + shorten(answer.body()));
      return;
    }
    try {
      JsonObject problem = new JsonObject(answer.body());
      if (problem.getInteger("status", -1) != status || problem.getString("detail", "").isBlank()) {
        failures.add(where + " -> " + status + " with an incomplete problem: " + shorten(answer.body()));
      }
    } catch (DecodeException | ClassCastException e) {
      failures.add(where + " -> " + status + " with a body that is not a problem: " + shorten(answer.body()));
    }
  }

  private static String get(String header) {
    return "GET /health/live HTTP/1.1\r\nHost: localhost\r\n" + header + "\r\nConnection: close\r\n\r\n";
  }

  private static String get(Target target, String path) {
    return "GET " + path + " HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + target.token()
        + "\r\nConnection: close\r\n\r\n";
  }

  private static String post(String headers, String body) {
    return "POST /api/v1/login HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n" + headers
        + "\r\nConnection: close\r\n\r\n" + body;
  }

  private static void created(SiteClient.Response response) {
    response.created();
  }

  private static String shorten(String text) {
    String oneLine = text.replaceAll("\\p{Cntrl}", "?");
    return oneLine.length() > 120 ? oneLine.substring(0, 120) + "...(" + text.length() + ")" : oneLine;
  }
}
