package dev.outpost.client;

import io.vertx.core.json.JsonObject;
import java.io.IOException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * The second factor of {@code outpost client login}: a remembered device's grant (kept in {@code
 * remembered-device.json}, for one appliance and user) with a fresh proof of the device key; else the code given with
 * {@code --code}, or one asked for (on the terminal, or the next line piped in) when the appliance asks for one.
 */
final class SecondFactorPrompt {

  static final String FILE = "remembered-device.json";
  static final String REQUIRED = "urn:outpost:problem:second-factor-required";

  private final ClientHome home;
  private final DeviceKey device;
  private final URI appliance;
  private final String user;
  private final Supplier<String> askCode;

  /** @param askCode asked for a code only when the appliance wants one and none was given; never answers null */
  SecondFactorPrompt(ClientHome home, DeviceKey device, URI appliance, String user, Supplier<String> askCode) {
    this.home = Objects.requireNonNull(home);
    this.device = Objects.requireNonNull(device);
    this.appliance = Objects.requireNonNull(appliance);
    this.user = Objects.requireNonNull(user);
    this.askCode = Objects.requireNonNull(askCode);
  }

  /**
   * Signs in; answers what the appliance answered to the sign-in that succeeded.
   *
   * @param code a code given on the command line, or {@code null}
   * @param remember whether to ask the appliance to remember this device after a code
   */
  JsonObject signIn(StoreClient store, String password, String code, boolean remember) {
    JsonObject body = new JsonObject().put("username", user).put("password", password)
        .put("deviceKey", device.publicKeyBase64());
    String grant = code == null ? grant() : null;
    if (grant != null) {
      body.put("rememberedDevice", grant).put("deviceProof", device.signInProof(home, user, Instant.now()));
    }
    if (code != null) {
      body.put("code", code.strip()).put("rememberDevice", remember);
    }
    StoreClient.Answer answer = store.postAnswer("/api/v1/login", body);
    if (answer.status() == 401 && REQUIRED.equals(answer.body().getString("type"))) {
      answer = store.postAnswer("/api/v1/login/second-factor", new JsonObject()
          .put("secondFactorToken", answer.body().getString("secondFactorToken")).put("code", askCode.get())
          .put("rememberDevice", remember).put("deviceKey", device.publicKeyBase64()));
    }
    if (answer.status() != 200) {
      throw new ClientFailure(StoreClient.problem(answer));
    }
    keep(answer.body());
    return answer.body();
  }

  /** The grant kept for this appliance and user, or {@code null}. */
  private String grant() {
    Path file = home.file(FILE);
    try {
      if (!Files.isRegularFile(file)) {
        return null;
      }
      JsonObject kept = new JsonObject(Files.readString(file, StandardCharsets.UTF_8));
      return appliance.toString().equals(kept.getString("appliance")) && user.equals(kept.getString("user"))
          ? kept.getString("grant") : null;
    } catch (IOException | RuntimeException e) {
      return null; // unreadable: sign in with a code, which makes a new one
    }
  }

  private void keep(JsonObject answer) {
    String grant = answer.getString("rememberedDevice");
    if (grant != null) {
      home.write(FILE, new JsonObject().put("appliance", appliance.toString()).put("user", user).put("grant", grant)
          .put("until", answer.getString("rememberedUntil")).encodePrettily());
    }
  }
}
