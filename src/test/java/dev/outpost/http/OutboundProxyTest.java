package dev.outpost.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.outpost.appliance.config.ConfigException;
import dev.outpost.appliance.config.ConfigLoader;
import io.netty.handler.proxy.HttpProxyHandler;
import io.vertx.core.net.ProxyOptions;
import java.net.ConnectException;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** Reading proxy URLs and {@code NO_PROXY} rules the way operators write them, and never showing a password. */
class OutboundProxyTest {

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', nullValues = "-", value = {
      "http://proxy.corp:3128                | proxy.corp | 3128 | -         | -",
      "proxy.corp:3128                       | proxy.corp | 3128 | -         | -",
      "http://proxy.corp                     | proxy.corp | 80   | -         | -",
      "http://proxy.corp:3128/               | proxy.corp | 3128 | -         | -",
      "HTTP://bob:s3cret@proxy.corp:8080     | proxy.corp | 8080 | bob       | s3cret",
      "http://corp%5Cbob:p%40ss%3Aw+rd@10.0.0.1:3128 | 10.0.0.1 | 3128 | corp\\bob | p@ss:w+rd",
      "http://bob@[fd00::1]:3128             | fd00::1    | 3128 | bob       | ''",
  })
  void readsProxyUrls(String url, String host, int port, String user, String password) {
    // WHEN the URL is read
    OutboundProxy proxy = OutboundProxy.of(url, List.of());

    // THEN host, port and decoded credentials are as written
    assertThat(proxy.enabled()).isTrue();
    assertThat(proxy.host()).isEqualTo(host);
    assertThat(proxy.port()).isEqualTo(port);
    assertThat(proxy.username()).isEqualTo(user);
    assertThat(proxy.password()).isEqualTo(password);
  }

  @ParameterizedTest(name = "{0}")
  @CsvSource(delimiter = '|', value = {
      "https://proxy.corp:3128          | https:// is not supported",
      "socks5://proxy.corp:1080         | socks5:// is not supported",
      "http://proxy.corp:3128/some/path | nothing after the port",
      "http://:3128                     | a host",
      "http://proxy corp:3128           | is not a proxy URL",
  })
  void refusesWhatIsNotAConnectProxy(String url, String reason) {
    assertThatThrownBy(() -> OutboundProxy.of(url, List.of()))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(reason);
  }

  @Test
  void emptyOrDirectMeansNoProxy() {
    assertThat(OutboundProxy.of("", List.of()).enabled()).isFalse();
    assertThat(OutboundProxy.of("direct", List.of()).enabled()).isFalse();
    assertThat(OutboundProxy.of("http://p:3128", List.of()).forTarget("hub.example.com")).isPresent();
    assertThat(OutboundProxy.direct().forTarget("hub.example.com")).isEmpty();
  }

  @ParameterizedTest(name = "NO_PROXY={0}, target {1} -> direct {2}")
  @CsvSource(delimiter = '|', value = {
      "*                          | hub.example.com     | true",
      "example.com                | hub.example.com     | true",
      "example.com                | example.com         | true",
      ".example.com               | hub.example.com     | true",
      ".example.com               | example.com         | true",
      "example.com                | badexample.com      | false",
      "hub.example.com            | other.example.com   | false",
      "'localhost, 10.0.0.7'      | 10.0.0.7            | true",
      "'localhost 10.0.0.7'       | LOCALHOST           | true",
      "10.0.0.7                   | 10.0.0.70           | false",
      "hub.example.com:9443       | hub.example.com     | true",
      "'[fd00::1]'                | fd00::1             | true",
      "''                         | hub.example.com     | false",
  })
  void noProxyMatchesExactHostsAndDomainSuffixes(String noProxy, String target, boolean direct) {
    OutboundProxy proxy = OutboundProxy.of("http://proxy.corp:3128", OutboundProxy.parseBypass(noProxy));

    assertThat(proxy.bypasses(target)).isEqualTo(direct);
    assertThat(proxy.forTarget(target).isEmpty()).isEqualTo(direct);
  }

  @Test
  void proxyOptionsCarryTheCredentialsButNothingPrintsThem() {
    // GIVEN a proxy with credentials
    OutboundProxy proxy = OutboundProxy.of("http://bob:s3cret@proxy.corp:3128", List.of("internal"));

    // THEN the Vert.x options carry them for the CONNECT request
    ProxyOptions options = proxy.forTarget("hub.example.com").orElseThrow();
    assertThat(options.getHost()).isEqualTo("proxy.corp");
    assertThat(options.getPort()).isEqualTo(3128);
    assertThat(options.getUsername()).isEqualTo("bob");
    assertThat(options.getPassword()).isEqualTo("s3cret");

    // AND its descriptions never show them
    assertThat(proxy.describe()).isEqualTo("http://proxy.corp:3128 (with credentials), not for internal");
    assertThat(proxy.toString()).doesNotContain("s3cret").doesNotContain("bob");
  }

  @Test
  void theStandardEnvironmentIsReadUpperCaseFirst() {
    OutboundProxy proxy = OutboundProxy.fromEnvironment(Map.of("https_proxy", "http://lower:1", "HTTPS_PROXY",
        "http://upper:2", "no_proxy", "a.example"));

    assertThat(proxy.host()).isEqualTo("upper");
    assertThat(proxy.bypass()).containsExactly("a.example");
    assertThat(OutboundProxy.fromEnvironment(Map.of()).enabled()).isFalse();
  }

  @Test
  void theApplianceConfigurationFallsBackToTheStandardVariables() {
    Map<String, String> env = Map.of("HTTPS_PROXY", "http://env-proxy:3128", "NO_PROXY", "hub.internal");

    // WHEN nothing Outpost-specific is set THEN HTTPS_PROXY and NO_PROXY apply
    OutboundProxy fromEnv = ConfigLoader.create(Map.of(), env, null).load().proxy();
    assertThat(fromEnv.host()).isEqualTo("env-proxy");
    assertThat(fromEnv.bypasses("hub.internal")).isTrue();

    // WHEN the flag names another proxy THEN it wins, and NO_PROXY still applies
    OutboundProxy flagged = ConfigLoader.create(Map.of("proxy.url", "http://flag-proxy:8080"), env, null).load()
        .proxy();
    assertThat(flagged.host()).isEqualTo("flag-proxy");
    assertThat(flagged.bypasses("hub.internal")).isTrue();

    // WHEN proxy.url is 'direct' THEN no proxy is used in spite of HTTPS_PROXY
    assertThat(ConfigLoader.create(Map.of(), Map.of("OUTPOST_PROXY_URL", "direct", "HTTPS_PROXY",
        "http://env-proxy:3128"), null).load().proxy().enabled()).isFalse();
  }

  @Test
  void aBadProxyUrlInTheEnvironmentIsNamedWithoutEchoingIt() {
    assertThatThrownBy(() -> ConfigLoader.create(Map.of(), Map.of("HTTPS_PROXY", "https://bob:s3cret@p:1"), null)
        .load())
        .isInstanceOf(ConfigException.class)
        .hasMessageContaining("proxy.url")
        .hasMessageContaining("(from HTTPS_PROXY)")
        .hasMessageNotContaining("s3cret");
  }

  @Test
  void failuresAreExplainedOnlyForLinksThatUseTheProxy() {
    OutboundProxy proxy = OutboundProxy.of("http://proxy.corp:3128", List.of("direct.example"));
    Exception refused = new RuntimeException("wrapped", new HttpProxyHandler.HttpProxyConnectException(
        "http, basic, proxy.corp/10.0.0.1:3128 => hub.example.com:9443, status: "
            + "407 Proxy Authentication Required", null));

    assertThat(proxy.explain(refused, "hub.example.com", 9443)).contains("the proxy proxy.corp:3128 refused the "
        + "tunnel to hub.example.com:9443 (407 Proxy Authentication Required); check the user and password in the "
        + "proxy URL");
    assertThat(proxy.explain(new ConnectException("Connection refused"), "hub.example.com", 9443))
        .contains("cannot reach the proxy proxy.corp:3128: Connection refused");
    assertThat(proxy.explain(new ConnectException("Connection refused"), "direct.example", 443)).isEmpty();
  }
}
