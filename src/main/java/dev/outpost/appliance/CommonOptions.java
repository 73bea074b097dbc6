package dev.outpost.appliance;

import dev.outpost.appliance.config.ConfigKeys;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import picocli.CommandLine.Option;

/** Options every server role takes; each maps to a documented configuration key. */
final class CommonOptions {

  @Option(names = "--config", paramLabel = "FILE",
      description = "YAML configuration file (see conf/outpost.yaml). Precedence: flags > OUTPOST_* env > file > "
          + "defaults.")
  Path config;

  @Option(names = "--data-dir", paramLabel = "DIR", description = "Node state: keys, certificates, embedded database "
      + "(default: ./data).")
  String dataDir;

  @Option(names = "--db-url", paramLabel = "URL", description = "External PostgreSQL: "
      + "postgresql://USER:PASSWORD@HOST:PORT/DB (default: embedded PostgreSQL under the data dir).")
  String dbUrl;

  @Option(names = "--admin-password-file", paramLabel = "FILE",
      description = "Bootstrap admin password (default: a random one, printed once on first start).")
  String adminPasswordFile;

  @Option(names = "--log-format", paramLabel = "text|json", description = "Log line format (default: text).")
  String logFormat;

  @Option(names = "--log-level", paramLabel = "LEVEL",
      description = "error, warn, info, debug or trace (default: info).")
  String logLevel;

  Map<String, String> flags() {
    Map<String, String> flags = new LinkedHashMap<>();
    put(flags, ConfigKeys.DATA_DIR.name(), dataDir);
    put(flags, ConfigKeys.DB_URL.name(), dbUrl);
    put(flags, ConfigKeys.ADMIN_PASSWORD_FILE.name(), adminPasswordFile);
    put(flags, ConfigKeys.LOG_FORMAT.name(), logFormat);
    put(flags, ConfigKeys.LOG_LEVEL.name(), logLevel);
    return flags;
  }

  static void put(Map<String, String> flags, String key, String value) {
    if (value != null) {
      flags.put(key, value);
    }
  }
}
