package dev.outpost.appliance;

import java.io.PrintStream;

/**
 * What the CLI tells the person at the terminal (banners, one-time passwords), as opposed to the log.
 * Secrets go here, never to the log.
 */
public final class Console {

  private final PrintStream out;

  public Console(PrintStream out) {
    this.out = out;
  }

  public static Console stdout() {
    return new Console(System.out);
  }

  public void line(String text) {
    out.println(text);
    out.flush();
  }
}
