package dev.outpost.appliance;

/** Names a node goes by when nothing is configured. */
final class ApplianceNames {

  private ApplianceNames() {
  }

  /** This machine's host name, or {@code appliance} when it has none. */
  static String localHostName() {
    try {
      return java.net.InetAddress.getLocalHost().getHostName();
    } catch (java.net.UnknownHostException e) {
      return "appliance";
    }
  }
}
