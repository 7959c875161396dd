package org.plusresilient.solr;

import java.io.IOException;
import java.io.PrintStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.concurrent.CountDownLatch;

/**
 * What both launchers share: their contract with the caller (one {@code READY} line on
 * stdout, one {@code solr: } line on stderr and an exit code on failure, a clean stop on
 * SIGTERM) and the small checks they make before starting Solr.
 */
final class LauncherSupport {

  static final int EXIT_USAGE = 2;
  static final int EXIT_PORT_IN_USE = 3;
  static final int EXIT_CORE_FAILED = 4;
  static final int EXIT_STARTUP_FAILED = 5;

  /** JettySolrRunner always binds its connector to the loopback address. */
  static final String HOST = "127.0.0.1";

  static final PrintStream OUT = System.out;
  static final PrintStream ERR = System.err;

  /** Strong reference: java.util.logging only keeps loggers weakly. */
  private static final java.util.logging.Logger JERSEY_JUL_LOGGER =
      java.util.logging.Logger.getLogger("org.glassfish.jersey");

  private LauncherSupport() {}

  /** Jersey (Solr's v2 API) logs through java.util.logging: silence its harmless startup warning. */
  static void quietJersey() {
    JERSEY_JUL_LOGGER.setLevel(java.util.logging.Level.SEVERE);
  }

  /** TERM/INT/HUP count the latch down, so the main thread stops Solr and exits 0 (not 143/130). */
  @SuppressWarnings("restriction")
  static void installSignalHandlers(CountDownLatch stopRequested) {
    for (String name : new String[] {"TERM", "INT", "HUP"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stopRequested.countDown());
      } catch (Throwable ignored) {
        // signal not available (or ignored by the parent): the shutdown hook still stops Solr
      }
    }
  }

  /** A port number from an argument, or a usage failure. */
  static int parsePort(String arg) {
    try {
      int port = Integer.parseInt(arg.trim());
      if (port > 0 && port <= 65535) return port;
    } catch (NumberFormatException ignored) {
      // reported below
    }
    fail(EXIT_USAGE, "invalid port '" + arg + "'");
    return -1; // not reached
  }

  static Path absolute(String path) {
    return Paths.get(path).toAbsolutePath().normalize();
  }

  /** Fail fast, with a clear message, when something already listens on the port. */
  static void claimPort(int port) {
    if (!portIsFree(port)) {
      fail(EXIT_PORT_IN_USE, "port " + port + " on " + HOST + " is already in use");
    }
  }

  static boolean portIsFree(int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(HOST), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  /** A loopback port nobody listens on now (for ZooKeeper, which nobody outside this JVM needs). */
  static int freePort() throws IOException {
    try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getByName(HOST))) {
      return s.getLocalPort();
    }
  }

  static void requireFile(Path file, String hint) {
    if (!Files.isRegularFile(file)) {
      fail(EXIT_USAGE, "no " + file.getFileName() + " in " + file.getParent() + " (" + hint + ")");
    }
  }

  static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  static Throwable rootCause(Throwable t) {
    if (t == null) return null;
    Throwable cur = t;
    while (cur.getCause() != null && cur.getCause() != cur) {
      cur = cur.getCause();
    }
    return cur;
  }

  /** One line: the exception's simple name and message, without its line breaks. */
  static String describe(Throwable t) {
    if (t == null) return "unknown error";
    String msg = t.getMessage();
    if (msg == null || msg.isBlank()) msg = t.getClass().getName();
    else msg = t.getClass().getSimpleName() + ": " + msg;
    return msg.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }

  static void ready(String url) {
    OUT.println("READY solr " + url);
    OUT.flush();
  }

  static void warn(String message) {
    ERR.println("solr: " + message);
    ERR.flush();
  }

  /** The one error line, then exit without running the shutdown hooks a second time. */
  static void fail(int code, String message) {
    OUT.flush();
    warn(message);
    Runtime.getRuntime().halt(code);
  }
}
