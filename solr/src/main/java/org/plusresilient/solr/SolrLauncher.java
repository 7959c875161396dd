package org.plusresilient.solr;

import java.io.IOException;
import java.io.PrintStream;
import java.net.BindException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

import org.apache.solr.core.CoreContainer;
import org.apache.solr.core.SolrCore;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;

/**
 * Runs a standalone Solr 9 node (Jetty + CoreContainer) for CKAN's {@code ckan} core.
 *
 * <pre>
 *   java [-Xmx512m] -cp target/classes:$(cat target/cp.txt) \
 *        org.plusresilient.solr.SolrLauncher SOLR_HOME PORT
 * </pre>
 *
 * Arguments may also be given as system properties {@code -Dsolr.solr.home} and
 * {@code -Dsolr.port}. The node always listens on 127.0.0.1 only (JettySolrRunner binds
 * its connector to the loopback address). The core name defaults to {@code ckan}
 * ({@code -Dsolr.core=...}); its index lives in SOLR_HOME/ckan/data.
 *
 * <p>Contract with the caller:
 * <ul>
 *   <li>success: exactly one line {@code READY solr http://HOST:PORT/solr/ckan} on stdout;</li>
 *   <li>failure: one line starting with {@code solr: } on stderr and a non-zero exit
 *       (2 = usage, 3 = port in use, 4 = core failed to load, 5 = other startup error);</li>
 *   <li>SIGTERM / SIGINT: the node is stopped cleanly (index closed, update log flushed)
 *       and the process exits 0.</li>
 * </ul>
 */
public final class SolrLauncher {

  private static final int EXIT_USAGE = 2;
  private static final int EXIT_PORT_IN_USE = 3;
  private static final int EXIT_CORE_FAILED = 4;
  private static final int EXIT_STARTUP_FAILED = 5;

  private static final PrintStream OUT = System.out;
  private static final PrintStream ERR = System.err;

  private static volatile JettySolrRunner runner;
  private static final AtomicBoolean stopped = new AtomicBoolean(false);
  private static final CountDownLatch stopRequested = new CountDownLatch(1);

  /** Strong reference: java.util.logging only keeps loggers weakly. */
  private static final java.util.logging.Logger JERSEY_JUL_LOGGER =
      java.util.logging.Logger.getLogger("org.glassfish.jersey");

  private SolrLauncher() {}

  public static void main(String[] args) {
    String homeArg = args.length > 0 ? args[0] : System.getProperty("solr.solr.home");
    String portArg = args.length > 1 ? args[1] : System.getProperty("solr.port");
    // JettySolrRunner always binds its connector to 127.0.0.1.
    String host = "127.0.0.1";
    String coreName = System.getProperty("solr.core", "ckan");

    if (homeArg == null || portArg == null || args.length > 2) {
      fail(EXIT_USAGE, "usage: SolrLauncher SOLR_HOME PORT");
    }
    int port;
    try {
      port = Integer.parseInt(portArg.trim());
      if (port <= 0 || port > 65535) throw new NumberFormatException();
    } catch (NumberFormatException e) {
      fail(EXIT_USAGE, "invalid port '" + portArg + "'");
      return;
    }
    Path home = Paths.get(homeArg).toAbsolutePath().normalize();
    if (!Files.isRegularFile(home.resolve("solr.xml"))) {
      fail(EXIT_USAGE, "no solr.xml in solr home " + home + " (run solr/prepare-home.sh first)");
    }
    if (!Files.isRegularFile(home.resolve(coreName).resolve("core.properties"))) {
      fail(EXIT_USAGE, "no " + coreName + "/core.properties in solr home " + home
          + " (run solr/prepare-home.sh first)");
    }

    // Fail fast, with a clear message, when something already listens on the port.
    if (!portIsFree(host, port)) {
      fail(EXIT_PORT_IN_USE, "port " + port + " on " + host + " is already in use");
    }

    // Settings normally provided by bin/solr.
    System.setProperty("solr.solr.home", home.toString());
    setIfAbsent("solr.install.dir", home.toString());
    setIfAbsent("host", host);
    setIfAbsent("jetty.port", Integer.toString(port));
    // Solr only reads/writes files under solr home (and the paths allowed here).
    setIfAbsent("solr.allowPaths", home.toString());

    // Jersey (Solr's v2 API) logs through java.util.logging; silence its harmless
    // "jakarta.activation.DataSource ... was not found" startup warning.
    JERSEY_JUL_LOGGER.setLevel(java.util.logging.Level.SEVERE);

    installSignalHandlers();
    Runtime.getRuntime().addShutdownHook(new Thread(SolrLauncher::stopQuietly, "solr-launcher-shutdown"));

    JettyConfig config = JettyConfig.builder()
        .setContext("/solr")
        .setPort(port)
        .stopAtShutdown(false) // our own hook/signal handler stops the runner exactly once
        .withPortRetryTime(0) // default: retry a busy port for 60 s
        .build();

    try {
      runner = new JettySolrRunner(home.toString(), config);
      runner.start();
    } catch (Throwable t) {
      stopQuietly();
      Throwable root = rootCause(t);
      if (root instanceof BindException) {
        fail(EXIT_PORT_IN_USE, "port " + port + " on " + host + " is already in use");
      }
      fail(EXIT_STARTUP_FAILED, "failed to start: " + describe(root));
    }

    CoreContainer cc = runner.getCoreContainer();
    if (cc == null) {
      stopQuietly();
      fail(EXIT_STARTUP_FAILED, "failed to start: no CoreContainer (see log above)");
    }
    cc.waitForLoadingCoresToFinish(120_000);

    Map<String, CoreContainer.CoreLoadFailure> failures = cc.getCoreInitFailures();
    CoreContainer.CoreLoadFailure failure = failures.get(coreName);
    if (failure != null) {
      stopQuietly();
      fail(EXIT_CORE_FAILED, "core " + coreName + " failed to load: " + describe(rootCause(failure.exception)));
    }
    try (SolrCore core = cc.getCore(coreName)) {
      if (core == null) {
        stopQuietly();
        fail(EXIT_CORE_FAILED, "core " + coreName + " failed to load: core not found in " + home);
      }
    }

    if (stopRequested.getCount() == 0) { // SIGTERM arrived while starting
      stopQuietly();
      System.exit(0);
    }

    int actualPort = runner.getLocalPort();
    OUT.println("READY solr http://" + host + ":" + actualPort + "/solr/" + coreName);
    OUT.flush();

    try {
      stopRequested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopQuietly();
    System.exit(0);
  }

  /** TERM/INT: let the main thread stop Solr and exit 0 (instead of the JVM's default 143/130). */
  @SuppressWarnings("restriction")
  private static void installSignalHandlers() {
    for (String name : new String[] {"TERM", "INT", "HUP"}) {
      try {
        sun.misc.Signal.handle(new sun.misc.Signal(name), sig -> stopRequested.countDown());
      } catch (Throwable ignored) {
        // signal not available (or ignored by the parent): the shutdown hook still stops Solr
      }
    }
  }

  private static void stopQuietly() {
    JettySolrRunner r = runner;
    if (r == null || !stopped.compareAndSet(false, true)) {
      return;
    }
    try {
      // Stops Jetty; SolrDispatchFilter.destroy() shuts the CoreContainer down, which
      // closes the cores (IndexWriter close commits pending docs, update log is closed).
      r.stop();
    } catch (Throwable t) {
      ERR.println("solr: error while stopping: " + describe(rootCause(t)));
      ERR.flush();
    }
  }

  private static boolean portIsFree(String host, int port) {
    try (ServerSocket s = new ServerSocket()) {
      s.setReuseAddress(true);
      s.bind(new InetSocketAddress(InetAddress.getByName(host), port));
      return true;
    } catch (IOException e) {
      return false;
    }
  }

  private static void setIfAbsent(String key, String value) {
    if (System.getProperty(key) == null) {
      System.setProperty(key, value);
    }
  }

  private static Throwable rootCause(Throwable t) {
    if (t == null) return null;
    Throwable cur = t;
    while (cur.getCause() != null && cur.getCause() != cur) {
      cur = cur.getCause();
    }
    return cur;
  }

  private static String describe(Throwable t) {
    if (t == null) return "unknown error";
    String msg = t.getMessage();
    if (msg == null || msg.isBlank()) msg = t.getClass().getName();
    else msg = t.getClass().getSimpleName() + ": " + msg;
    return msg.replaceAll("\\s*[\\r\\n]+\\s*", " ").trim();
  }

  private static void fail(int code, String message) {
    OUT.flush();
    ERR.println("solr: " + message);
    ERR.flush();
    // halt: do not run the shutdown hook a second time / wait on anything else
    Runtime.getRuntime().halt(code);
  }
}
