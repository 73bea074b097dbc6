package dev.outpost.client;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;

/**
 * Copies one direction of a stream with a fixed buffer; blocking I/O gives back-pressure for free. When either
 * direction ends, the caller closes both: the gateway has no half-close.
 */
final class Pump {

  static final int BUFFER = 64 * 1024;

  private Pump() {
  }

  /** Copies until end of input or an error; returns the bytes copied. Never throws. */
  static long copy(InputStream in, OutputStream out) {
    byte[] buffer = new byte[BUFFER];
    long total = 0;
    try {
      for (int n; (n = in.read(buffer)) >= 0; ) {
        if (n > 0) {
          out.write(buffer, 0, n);
          out.flush();
          total += n;
        }
      }
    } catch (IOException e) {
      // the other side closed: the stream is over either way
    }
    return total;
  }

  /** Runs a copy on a daemon thread and then {@code after}. */
  static Thread start(String name, InputStream in, OutputStream out, Runnable after) {
    Thread thread = new Thread(() -> {
      copy(in, out);
      after.run();
    }, name);
    thread.setDaemon(true);
    thread.start();
    return thread;
  }
}
