package dev.outpost.it;

import java.util.ArrayList;
import java.util.List;

/**
 * iptables rules that drop every packet from and to one node's loopback address, so that it neither reaches the
 * other members nor is reached by them; tagged so that they can be removed, also after a killed run. Needs
 * {@code iptables} and root (run-tests installs it).
 */
final class Firewall {
  private final String tag;
  private final List<List<String>> added = new ArrayList<>();

  Firewall(String tag) {
    this.tag = tag;
  }

  void isolate(String address) throws Exception {
    for (String direction : List.of("-s", "-d")) {
      List<String> rule = List.of("INPUT", direction, address, "-m", "comment", "--comment", tag, "-j", "DROP");
      iptables("-I", rule);
      added.add(rule);
    }
  }

  /** Removes the rules added by {@link #isolate}. */
  void heal() throws Exception {
    for (List<String> rule : added) {
      iptables("-D", rule);
    }
    added.clear();
  }

  /** Deletes rules of earlier runs of this test that were not removed (a run killed mid-way). */
  static void removeLeftovers(String prefix) throws Exception {
    for (String line : run(List.of("iptables", "-S", "INPUT")).split("\n")) {
      if (line.contains(prefix) && line.startsWith("-A ")) {
        List<String> rule = new ArrayList<>(List.of(line.substring(3).replace("\"", "").split(" ")));
        iptables("-D", rule);
      }
    }
  }

  private static void iptables(String action, List<String> rule) throws Exception {
    List<String> command = new ArrayList<>(List.of("iptables", action));
    command.addAll(rule);
    run(command);
  }

  private static String run(List<String> command) throws Exception {
    Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(process.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    int exit = process.waitFor();
    if (exit != 0) {
      throw new IllegalStateException(String.join(" ", command) + " failed (" + exit + "): " + output
          + " (the test needs iptables and root)");
    }
    return output;
  }
}
