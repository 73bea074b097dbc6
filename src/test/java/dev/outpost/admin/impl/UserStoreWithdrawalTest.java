package dev.outpost.admin.impl;

import static org.assertj.core.api.Assertions.assertThat;

import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/** Which account changes take access away (and end the user's leases and sessions), and the reason they give. */
class UserStoreWithdrawalTest {

  static Stream<Arguments> changes() {
    return Stream.of(
        Arguments.of("disabled", "{\"disabled\":true}", "account disabled"),
        Arguments.of("new password", "{\"passwordHash\":\"$argon2id$...\"}", "password changed"),
        Arguments.of("a role removed", "{\"roles\":[\"user\"]}", "role removed: admin"),
        Arguments.of("two roles removed", "{\"roles\":[\"session-admin\"]}", "role removed: admin, user"),
        Arguments.of("disabled with a new password", "{\"disabled\":true,\"passwordHash\":\"x\"}",
            "account disabled, password changed"),
        Arguments.of("the same fields saved again", "{\"disabled\":false,\"roles\":[\"admin\",\"user\"]}", ""),
        Arguments.of("a role added", "{\"roles\":[\"admin\",\"user\",\"session-admin\"]}", ""),
        Arguments.of("the display name only", "{\"displayName\":\"Alice\"}", ""));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("changes")
  void aChangeWithdrawsAccessOnlyWhenItTakesSomethingAway(String name, String changes, String reason) {
    // GIVEN an enabled account with the admin and user roles
    JsonObject current = new JsonObject().put("disabled", false).put("roles", new JsonArray().add("admin").add("user"));

    // WHEN it changes THEN access is withdrawn for the reason, or not at all
    assertThat(UserStore.withdrawnBy(current, new JsonObject(changes))).isEqualTo(reason);
  }

  @Test
  void savingADisabledAccountAsDisabledAgainWithdrawsNothing() {
    // GIVEN a disabled account WHEN it is saved as disabled again THEN nothing more is withdrawn
    JsonObject current = new JsonObject().put("disabled", true).put("roles", new JsonArray().add("user"));
    assertThat(UserStore.withdrawnBy(current, new JsonObject().put("disabled", true))).isEmpty();
  }
}
