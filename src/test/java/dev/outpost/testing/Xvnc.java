package dev.outpost.testing;

import java.io.IOException;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * A real TigerVNC {@code Xvnc} (Debian's tigervnc-standalone-server) on a free display and a free loopback RFB port,
 * in the foreground as a child of the test: an X server whose screen is a VNC desktop, with no window manager. Its
 * root window is painted a solid colour with {@code xsetroot} (x11-xserver-utils), which a viewer can then look for.
 * Without a password it offers security type None; with one, VncAuth (the file made by TigerVNC's
 * {@code vncpasswd}). Never skipped: a missing Xvnc is a failed set-up, which {@code ./run-tests} fixes by
 * installing it.
 */
public final class Xvnc implements AutoCloseable {

  public static final Path XVNC = Path.of("/usr/bin/Xvnc");
  public static final Path XSETROOT = Path.of("/usr/bin/xsetroot");
  public static final Path VNCPASSWD = Path.of("/usr/bin/vncpasswd");
  public static final Path XCLIP = Path.of("/usr/bin/xclip");
  public static final int WIDTH = 800;
  public static final int HEIGHT = 600;
  /** X displays the helper tries, above those a developer's own X servers usually take. */
  private static final int FIRST_DISPLAY = 40;
  private static final int LAST_DISPLAY = 99;

  private final Process process;
  private final int display;
  private final int port;
  private final Thread stopAtExit;

  private Xvnc(Process process, int display, int port) {
    this.process = process;
    this.display = display;
    this.port = port;
    // a test JVM that ends without closing its site must not leave X servers holding displays behind
    this.stopAtExit = new Thread(process::destroy, "xvnc-" + display + "-stop");
    Runtime.getRuntime().addShutdownHook(stopAtExit);
  }

  /** Starts Xvnc with no VNC authentication (security type None). */
  public static Xvnc start(Path dir) throws Exception {
    return start(dir, null);
  }

  /** Starts Xvnc that asks for this VNC password (security type VncAuth); {@code null} asks for none. */
  public static Xvnc start(Path dir, String password) throws Exception {
    for (Path tool : List.of(XVNC, XSETROOT, VNCPASSWD, XCLIP)) {
      if (!Files.isExecutable(tool)) {
        throw new AssertionError(tool + " is missing: run ./run-tests, which installs tigervnc-standalone-server, "
            + "x11-xserver-utils and xclip");
      }
    }
    Files.createDirectories(dir);
    List<String> security = new ArrayList<>(List.of("-SecurityTypes", "None"));
    if (password != null) {
      Path file = dir.resolve("passwd");
      Files.write(file, obfuscated(password));
      security = List.of("-SecurityTypes", "VncAuth", "-PasswordFile", file.toString());
    }
    AssertionError last = null;
    for (int display = FIRST_DISPLAY; display <= LAST_DISPLAY; display++) {
      if (Files.exists(Path.of("/tmp/.X" + display + "-lock"))
          || Files.exists(Path.of("/tmp/.X11-unix/X" + display))) {
        continue; // taken by another X server
      }
      try {
        return start(dir, display, security);
      } catch (DisplayTaken e) {
        last = e; // another server took it meanwhile: try the next
      }
    }
    throw last != null ? last : new AssertionError("no free X display between :" + FIRST_DISPLAY + " and :"
        + LAST_DISPLAY);
  }

  private static Xvnc start(Path dir, int display, List<String> security) throws Exception {
    int port = FreePorts.next();
    Path log = dir.resolve("xvnc-" + display + ".log");
    List<String> command = new ArrayList<>(List.of(XVNC.toString(), ":" + display, "-rfbport", String.valueOf(port),
        "-localhost", "-nolisten", "tcp", "-geometry", WIDTH + "x" + HEIGHT, "-depth", "24",
        "-AlwaysShared", "-desktop", "outpost-test"));
    command.addAll(security);
    Process xvnc = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    Instant deadline = Instant.now().plusSeconds(20);
    while (true) {
      try (Socket probe = new Socket("127.0.0.1", port)) {
        probe.shutdownOutput();
        return new Xvnc(xvnc, display, port);
      } catch (IOException e) {
        if (!xvnc.isAlive() || Instant.now().isAfter(deadline)) {
          xvnc.destroy();
          xvnc.waitFor(10, TimeUnit.SECONDS);
          String output = Files.readString(log);
          if (output.contains("already active")) {
            throw new DisplayTaken("display :" + display + " is taken: " + output);
          }
          throw new AssertionError("Xvnc did not start: " + output);
        }
        Thread.sleep(50); // polling for the listener, with a deadline
      }
    }
  }

  /** The VNC password file format: the password's first 8 bytes, DES-encrypted with VNC's fixed key. */
  private static byte[] obfuscated(String password) throws Exception {
    Process passwd = new ProcessBuilder(VNCPASSWD.toString(), "-f").redirectError(ProcessBuilder.Redirect.DISCARD)
        .start();
    passwd.getOutputStream().write((password + "\n").getBytes(StandardCharsets.UTF_8));
    passwd.getOutputStream().close();
    byte[] file = passwd.getInputStream().readAllBytes();
    if (!passwd.waitFor(30, TimeUnit.SECONDS) || passwd.exitValue() != 0 || file.length == 0) {
      throw new AssertionError("vncpasswd -f failed");
    }
    return file;
  }

  /** The loopback port of the RFB protocol. */
  public int port() {
    return port;
  }

  /** The X display, e.g. {@code :40}. */
  public String display() {
    return ":" + display;
  }

  /** Paints the root window (the whole desktop, there are no windows) in a colour such as {@code #336699}. */
  public void paintBackground(String colour) throws Exception {
    Process xsetroot = new ProcessBuilder(XSETROOT.toString(), "-display", display(), "-solid", colour)
        .redirectErrorStream(true).start();
    byte[] output = xsetroot.getInputStream().readAllBytes();
    if (!xsetroot.waitFor(30, TimeUnit.SECONDS) || xsetroot.exitValue() != 0) {
      throw new AssertionError("xsetroot failed on " + display() + ": "
          + new String(output, StandardCharsets.UTF_8));
    }
  }

  /**
   * What a program on the desktop would paste: the CLIPBOARD selection's text, read with {@code xclip}; empty when
   * nothing holds it. When a viewer holds it, Xvnc asks that viewer for the text.
   */
  public String clipboard() throws Exception {
    Process xclip = new ProcessBuilder(XCLIP.toString(), "-display", display(), "-selection", "clipboard", "-o")
        .redirectError(ProcessBuilder.Redirect.DISCARD).start();
    byte[] text = xclip.getInputStream().readAllBytes();
    if (!xclip.waitFor(30, TimeUnit.SECONDS)) {
      xclip.destroyForcibly();
      throw new AssertionError("xclip -o did not finish on " + display());
    }
    return xclip.exitValue() == 0 ? new String(text, StandardCharsets.UTF_8) : "";
  }

  /**
   * A program on the desktop copies text: {@code xclip} holds the CLIPBOARD selection (in the foreground) until the
   * returned handle is closed, and Xvnc offers the text to its viewers.
   */
  public AutoCloseable copy(String text) throws Exception {
    Process xclip = new ProcessBuilder(XCLIP.toString(), "-display", display(), "-selection", "clipboard", "-i",
        "-quiet").redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
    xclip.getOutputStream().write(text.getBytes(StandardCharsets.UTF_8));
    xclip.getOutputStream().close();
    return () -> {
      xclip.destroy();
      if (!xclip.waitFor(10, TimeUnit.SECONDS)) {
        xclip.destroyForcibly();
      }
    };
  }

  /** Stops Xvnc and waits for it, so that it removes its display's lock and socket. */
  @Override
  public void close() {
    try {
      Runtime.getRuntime().removeShutdownHook(stopAtExit);
    } catch (IllegalStateException e) {
      // the JVM is already shutting down: the hook stops Xvnc
    }
    process.destroy();
    try {
      if (!process.waitFor(10, TimeUnit.SECONDS)) {
        process.destroyForcibly();
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  /** Xvnc refused the display because another X server holds it. */
  private static final class DisplayTaken extends AssertionError {
    DisplayTaken(String message) {
      super(message);
    }
  }
}
