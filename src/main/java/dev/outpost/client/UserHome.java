package dev.outpost.client;

import java.nio.file.Path;
import java.util.Map;

/**
 * The home directory of the person running a command-line tool: {@code $HOME} as the shell has it, else Java's
 * {@code user.home} (which reads the password database and ignores {@code $HOME}, so that {@code HOME=/tmp/x
 * outpost client ...} would otherwise still write to the account's real home).
 */
public final class UserHome {

  private UserHome() {
  }

  /** {@code $HOME}, else {@code user.home}. */
  public static Path dir() {
    return dir(System.getenv(), System.getProperty("user.home"));
  }

  static Path dir(Map<String, String> env, String userHome) {
    String home = env.get("HOME");
    return Path.of(home == null || home.isBlank() ? userHome : home);
  }

  /** Whether this process runs as root (uid 0), for defaults that differ for a system service. */
  public static boolean root() {
    return "root".equals(System.getProperty("user.name"));
  }
}
