package dev.outpost.appliance;

import dev.outpost.wire.SchemaVersion;

/** The running Outpost version, from the jar manifest (or "dev" when run from classes). */
public final class Version {

  /**
   * Testing aid for rolling upgrades: a process started with {@code -Doutpost.testing.version=V} announces version
   * V (cluster member attribute, status, hub hello) and writes wire and cluster messages as the next minor schema
   * version would, with a field this version does not know (see {@link SchemaVersion}). Never set
   * it in production.
   */
  public static final String TESTING_PROPERTY = SchemaVersion.TESTING_PROPERTY;

  private Version() {
  }

  public static String current() {
    if (SchemaVersion.testingNext()) {
      return System.getProperty(TESTING_PROPERTY);
    }
    String version = Version.class.getPackage().getImplementationVersion();
    return version == null ? "dev" : version;
  }

}
