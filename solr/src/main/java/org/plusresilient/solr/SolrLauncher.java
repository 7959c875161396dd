package org.plusresilient.solr;

import static org.plusresilient.solr.LauncherSupport.EXIT_CORE_FAILED;
import static org.plusresilient.solr.LauncherSupport.EXIT_PORT_IN_USE;
import static org.plusresilient.solr.LauncherSupport.EXIT_STARTUP_FAILED;
import static org.plusresilient.solr.LauncherSupport.EXIT_USAGE;
import static org.plusresilient.solr.LauncherSupport.HOST;
import static org.plusresilient.solr.LauncherSupport.describe;
import static org.plusresilient.solr.LauncherSupport.fail;
import static org.plusresilient.solr.LauncherSupport.rootCause;
import static org.plusresilient.solr.LauncherSupport.setIfAbsent;

import java.net.BindException;
import java.nio.file.Path;
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

  private static volatile JettySolrRunner runner;
  private static final AtomicBoolean stopped = new AtomicBoolean(false);
  private static final CountDownLatch stopRequested = new CountDownLatch(1);

  private SolrLauncher() {}

  public static void main(String[] args) {
    String homeArg = args.length > 0 ? args[0] : System.getProperty("solr.solr.home");
    String portArg = args.length > 1 ? args[1] : System.getProperty("solr.port");
    String coreName = System.getProperty("solr.core", "ckan");

    if (homeArg == null || portArg == null || args.length > 2) {
      fail(EXIT_USAGE, "usage: SolrLauncher SOLR_HOME PORT");
    }
    int port = LauncherSupport.parsePort(portArg);
    Path home = LauncherSupport.absolute(homeArg);
    LauncherSupport.requireFile(home.resolve("solr.xml"), "run solr/prepare-home.sh first");
    LauncherSupport.requireFile(home.resolve(coreName).resolve("core.properties"), "run solr/prepare-home.sh first");
    LauncherSupport.claimPort(port);

    // Settings normally provided by bin/solr.
    System.setProperty("solr.solr.home", home.toString());
    setIfAbsent("solr.install.dir", home.toString());
    setIfAbsent("host", HOST);
    setIfAbsent("jetty.port", Integer.toString(port));
    // Solr only reads/writes files under solr home (and the paths allowed here).
    setIfAbsent("solr.allowPaths", home.toString());
    LauncherSupport.quietJersey();

    LauncherSupport.installSignalHandlers(stopRequested);
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
        fail(EXIT_PORT_IN_USE, "port " + port + " on " + HOST + " is already in use");
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

    LauncherSupport.ready("http://" + HOST + ":" + runner.getLocalPort() + "/solr/" + coreName);

    try {
      stopRequested.await();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopQuietly();
    System.exit(0);
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
      LauncherSupport.warn("error while stopping: " + describe(rootCause(t)));
    }
  }
}
