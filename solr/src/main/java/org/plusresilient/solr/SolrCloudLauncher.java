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

import java.io.IOException;
import java.net.BindException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

import org.apache.solr.client.solrj.request.CollectionAdminRequest;
import org.apache.solr.cloud.MiniSolrCloudCluster;
import org.apache.solr.cloud.ZkTestServer;
import org.apache.solr.common.cloud.DocCollection;
import org.apache.solr.common.cloud.Replica;
import org.apache.solr.common.cloud.Slice;
import org.apache.solr.common.cloud.SolrZkClient;
import org.apache.solr.common.cloud.ZkStateReader;
import org.apache.solr.core.CoreContainer;
import org.apache.solr.embedded.JettyConfig;
import org.apache.solr.embedded.JettySolrRunner;
import org.apache.zookeeper.data.Stat;

/**
 * Runs a two-node SolrCloud with an embedded ZooKeeper ({@code MiniSolrCloudCluster} from
 * Solr's test framework) and CKAN's {@code ckan} collection: 2 shards, each with a replica
 * on each node, so that either node alone still holds the whole index.
 *
 * <pre>
 *   java [-Xmx1g] -cp target/classes:$(cat target/cp.txt) \
 *        org.plusresilient.solr.SolrCloudLauncher CLOUD_HOME PORT CONFIGSET_DIR
 * </pre>
 *
 * Node 1 listens on PORT and node 2 on PORT+1, both on 127.0.0.1 only and at fixed ports,
 * so that CKAN's {@code http://127.0.0.1:PORT/solr/ckan} stays valid across restarts
 * (either node answers for the whole collection: it forwards updates to the shard leaders
 * and fans queries out to one replica of each shard). CONFIGSET_DIR is the {@code conf}
 * folder {@code prepare-home.sh} writes for the standalone core (CKAN's schema.xml and our
 * solrconfig.xml): it is copied to {@code CLOUD_HOME/configset} with a numeric
 * {@code _version_} field (see {@link #cloudConfigset}) and uploaded to ZooKeeper as
 * configset {@code ckan} at every start, before the nodes load their replicas, so a
 * changed schema takes effect on restart.
 *
 * <p>Everything is kept under CLOUD_HOME, so a restart keeps the index and the cluster
 * state: {@code zookeeper/} (ZooKeeper's snapshots and transaction log), {@code node1/},
 * {@code node2/} (each node's replicas, found again by core discovery), {@code control/}.
 * The collection is created only when ZooKeeper does not know it.
 *
 * <p>Contract with the caller, as {@link SolrLauncher}'s:
 * <ul>
 *   <li>success: exactly one line {@code READY solr http://127.0.0.1:PORT/solr/ckan} on
 *       stdout, once every replica is active;</li>
 *   <li>failure: one line starting with {@code solr: } on stderr and a non-zero exit
 *       (2 = usage, 3 = a port in use, 4 = the collection failed to load, 5 = other);</li>
 *   <li>SIGTERM / SIGINT: both nodes, then ZooKeeper, are stopped cleanly; exit 0.</li>
 * </ul>
 *
 * <p><b>Stopping one node while the JVM runs</b> (for tests of a node failure): create the
 * file {@code CLOUD_HOME/control/stop-node1} (or {@code stop-node2}) and the launcher stops
 * that node within a second; delete it and the node starts again on the same port and
 * home, rejoins the cluster and recovers its replicas from the other node. The launcher
 * writes the outcome to {@code CLOUD_HOME/control/node1.state} (or {@code node2.state}):
 * {@code up}, {@code down}, or {@code failed: <reason>}. It removes leftover
 * {@code stop-node*} files when it starts, so a test that died cannot leave a node down.
 * A file rather than a port: nothing more to listen on, and a test needs only the path
 * (node 1's {@code solr_home} in {@code /solr/admin/info/system} is {@code CLOUD_HOME/node1}).
 */
public final class SolrCloudLauncher {

  static final String COLLECTION = "ckan";
  static final int SHARDS = 2;
  static final int NODES = 2;
  private static final int REPLICAS_PER_SHARD = NODES;
  private static final long START_TIMEOUT_SECONDS = 150;
  private static final long CONTROL_POLL_MILLIS = 250;

  private static final Pattern VERSION_FIELD = Pattern.compile("<field\\s+name=\"_version_\"[^>]*>");
  private static final String NUMERIC_VERSION_FIELD =
      "<field name=\"_version_\" type=\"plong\" indexed=\"true\" stored=\"true\" docValues=\"true\"/>";

  private static volatile MiniSolrCloudCluster cluster;
  private static volatile ZkTestServer zookeeper;
  private static final JettySolrRunner[] nodes = new JettySolrRunner[NODES];
  private static final AtomicBoolean stopped = new AtomicBoolean(false);
  private static final CountDownLatch stopRequested = new CountDownLatch(1);

  private SolrCloudLauncher() {}

  public static void main(String[] args) {
    if (args.length != 3) {
      fail(EXIT_USAGE, "usage: SolrCloudLauncher CLOUD_HOME PORT CONFIGSET_DIR");
    }
    Path home = LauncherSupport.absolute(args[0]);
    int port = LauncherSupport.parsePort(args[1]);
    Path configset = LauncherSupport.absolute(args[2]);
    if (port + NODES - 1 > 65535) fail(EXIT_USAGE, "invalid port '" + args[1] + "'");
    LauncherSupport.requireFile(configset.resolve("solrconfig.xml"), "run solr/prepare-home.sh first");
    LauncherSupport.requireFile(configset.resolve("schema.xml"), "run solr/prepare-home.sh first");
    for (int i = 0; i < NODES; i++) LauncherSupport.claimPort(port + i);

    setIfAbsent("solr.install.dir", home.toString());
    setIfAbsent("solr.allowPaths", home.toString());
    LauncherSupport.quietJersey();
    LauncherSupport.installSignalHandlers(stopRequested);
    Runtime.getRuntime().addShutdownHook(new Thread(SolrCloudLauncher::stopQuietly, "solr-cloud-shutdown"));

    try {
      Control.reset(home);
      startCluster(home, port, configset);
    } catch (Throwable t) {
      stopQuietly();
      Throwable root = rootCause(t);
      if (root instanceof BindException) {
        fail(EXIT_PORT_IN_USE, "a port of " + port + "-" + (port + NODES - 1) + " on " + HOST + " is already in use");
      }
      fail(EXIT_STARTUP_FAILED, "failed to start: " + describe(root));
    }
    awaitCollection();

    if (stopRequested.getCount() == 0) { // SIGTERM arrived while starting
      stopQuietly();
      System.exit(0);
    }
    LauncherSupport.ready("http://" + HOST + ":" + port + "/solr/" + COLLECTION);

    try {
      while (!stopRequested.await(CONTROL_POLL_MILLIS, TimeUnit.MILLISECONDS)) {
        Control.apply(home, cluster, nodes);
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    stopQuietly();
    System.exit(0);
  }

  /** ZooKeeper, the configset, both nodes, and the collection when ZooKeeper lacks it. */
  private static void startCluster(Path home, int port, Path configset) throws Exception {
    // ZooKeeper's port is free-chosen: only this JVM talks to it. run(false): keep what
    // ZooKeeper stored (the collection's state) instead of formatting /solr.
    zookeeper = new ZkTestServer(home.resolve("zookeeper"), LauncherSupport.freePort());
    zookeeper.run(false);
    JettyConfig base = JettyConfig.builder()
        .setContext("/solr")
        .stopAtShutdown(false) // our hook stops the cluster exactly once
        .withPortRetryTime(0)
        .build();
    cluster = new MiniSolrCloudCluster(0, home, MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML, base, zookeeper, false);
    // the constructor writes solr.xml only into an empty ZooKeeper: refresh it
    try (SolrZkClient zk = new SolrZkClient.Builder()
        .withUrl(zookeeper.getZkAddress())
        .withTimeout(30, TimeUnit.SECONDS)
        .build()) {
      zk.setData("/solr.xml", MiniSolrCloudCluster.DEFAULT_CLOUD_SOLR_XML.getBytes(StandardCharsets.UTF_8), true);
      // A last run that was killed (kill -9) never closed its sessions: ZooKeeper
      // restores them from its log with their ephemeral nodes (live nodes, node roles,
      // elections) until they time out, and a node registering again meanwhile fails
      // with NodeExists. Only this JVM uses this ZooKeeper, so every ephemeral node
      // it holds before the nodes start is the last run's.
      deleteEphemeral(zk, "/");
    }
    cluster.uploadConfigSet(cloudConfigset(configset, home), COLLECTION);

    Properties nodeProperties = new Properties();
    nodeProperties.setProperty("zkHost", zookeeper.getZkAddress());
    for (int i = 0; i < NODES; i++) {
      Path nodeHome = home.resolve("node" + (i + 1));
      Files.createDirectories(nodeHome);
      JettyConfig config = JettyConfig.builder(base).setPort(port + i).build();
      // not cluster.startJettySolrRunner(name, ...): it insists on a new, empty node folder
      nodes[i] = new JettySolrRunner(nodeHome.toString(), nodeProperties, config);
    }
    // One after the other: started together, the two register in ZooKeeper at the same
    // time and one of them fails (NodeExists).
    for (JettySolrRunner node : nodes) cluster.startJettySolrRunner(node, true);
    for (int i = 0; i < NODES; i++) Control.writeState(home, i, "up");
    cluster.waitForAllNodes((int) START_TIMEOUT_SECONDS);

    ZkStateReader state = cluster.getZkStateReader();
    state.forceUpdateCollection(COLLECTION);
    if (state.getClusterState().getCollectionOrNull(COLLECTION) == null) {
      // With two nodes Solr's placement puts each shard's two replicas on different nodes.
      CollectionAdminRequest.createCollection(COLLECTION, COLLECTION, SHARDS, REPLICAS_PER_SHARD)
          .process(cluster.getSolrClient());
    }
  }

  private static void deleteEphemeral(SolrZkClient zk, String path) throws Exception {
    for (String child : zk.getChildren(path, null, true)) {
      String childPath = (path.equals("/") ? "" : path) + "/" + child;
      Stat stat = zk.exists(childPath, null, true);
      if (stat == null) continue;
      if (stat.getEphemeralOwner() != 0) {
        zk.delete(childPath, -1, true);
      } else if (stat.getNumChildren() > 0) {
        deleteEphemeral(zk, childPath);
      }
    }
  }

  /**
   * The standalone core's configset with one change SolrCloud needs: a numeric
   * {@code _version_}. CKAN's schema declares it a string, which a single core accepts;
   * but a replica reads the version of a document from the index as a long (to drop an
   * update that arrives out of order), and a recovering replica sums them into an index
   * fingerprint: with a string each such update fails and sends the replica into
   * recovery again. CKAN reads only the schema's name and version, which stay as they are.
   */
  static Path cloudConfigset(Path source, Path home) throws IOException {
    Path target = home.resolve("configset");
    Files.createDirectories(target);
    try (Stream<Path> files = Files.list(source)) {
      for (Path file : (Iterable<Path>) files.filter(Files::isRegularFile)::iterator) {
        Files.copy(file, target.resolve(file.getFileName()), StandardCopyOption.REPLACE_EXISTING);
      }
    }
    Path schema = target.resolve("schema.xml");
    String xml = Files.readString(schema, StandardCharsets.UTF_8);
    Matcher field = VERSION_FIELD.matcher(xml);
    if (!field.find()) {
      throw new IOException("no _version_ field in " + source.resolve("schema.xml"));
    }
    Files.writeString(schema, field.replaceFirst(Matcher.quoteReplacement(NUMERIC_VERSION_FIELD)), StandardCharsets.UTF_8);
    return target;
  }

  /** Waits until every replica is active; a replica that cannot load is the one error line. */
  private static void awaitCollection() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(START_TIMEOUT_SECONDS);
    while (System.nanoTime() < deadline && stopRequested.getCount() > 0) {
      for (JettySolrRunner node : nodes) {
        CoreContainer cc = node.getCoreContainer();
        if (cc == null) continue;
        for (Map.Entry<String, CoreContainer.CoreLoadFailure> failure : cc.getCoreInitFailures().entrySet()) {
          stopQuietly();
          fail(EXIT_CORE_FAILED, "collection " + COLLECTION + " failed to load: replica " + failure.getKey()
              + ": " + describe(rootCause(failure.getValue().exception)));
        }
      }
      ZkStateReader state = cluster.getZkStateReader();
      DocCollection collection = state.getClusterState().getCollectionOrNull(COLLECTION);
      if (collection != null && allActive(state, collection)) return;
      sleep(300);
    }
    if (stopRequested.getCount() > 0) {
      stopQuietly();
      fail(EXIT_CORE_FAILED, "collection " + COLLECTION + " did not become active within "
          + START_TIMEOUT_SECONDS + " s (see the log above)");
    }
  }

  static boolean allActive(ZkStateReader state, DocCollection collection) {
    if (collection.getSlices().size() != SHARDS) return false;
    for (Slice slice : collection.getSlices()) {
      if (slice.getReplicas().size() != REPLICAS_PER_SHARD) return false;
      for (Replica replica : slice.getReplicas()) {
        if (!replica.isActive(state.getClusterState().getLiveNodes())) return false;
      }
    }
    return true;
  }

  private static void sleep(long millis) {
    try {
      Thread.sleep(millis);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
  }

  private static void stopQuietly() {
    if (!stopped.compareAndSet(false, true)) return;
    try {
      MiniSolrCloudCluster c = cluster;
      if (c != null) {
        c.shutdown(); // the running nodes (cores closed, update logs flushed); not our ZooKeeper
      } else {
        for (JettySolrRunner node : nodes) if (node != null && node.isRunning()) node.stop();
      }
    } catch (Throwable t) {
      LauncherSupport.warn("error while stopping the nodes: " + describe(rootCause(t)));
    }
    try {
      ZkTestServer zk = zookeeper;
      if (zk != null) zk.shutdown();
    } catch (Throwable t) {
      LauncherSupport.warn("error while stopping ZooKeeper: " + describe(rootCause(t)));
    }
  }

  /** The control files: {@code control/stop-nodeN} asks for node N down, {@code nodeN.state} answers. */
  static final class Control {

    private Control() {}

    static Path dir(Path home) {
      return home.resolve("control");
    }

    static void reset(Path home) throws IOException {
      Files.createDirectories(dir(home));
      for (int i = 0; i < NODES; i++) {
        Files.deleteIfExists(dir(home).resolve("stop-node" + (i + 1)));
        Files.deleteIfExists(dir(home).resolve("node" + (i + 1) + ".state"));
      }
    }

    /** Stops or starts each node whose control file disagrees with its state. */
    static void apply(Path home, MiniSolrCloudCluster cluster, JettySolrRunner[] nodes) {
      for (int i = 0; i < nodes.length; i++) {
        boolean wanted = !Files.exists(dir(home).resolve("stop-node" + (i + 1)));
        JettySolrRunner node = nodes[i];
        if (wanted == node.isRunning()) continue;
        try {
          if (wanted) {
            cluster.startJettySolrRunner(node, true);
            cluster.waitForNode(node, (int) START_TIMEOUT_SECONDS);
            writeState(home, i, "up");
          } else {
            cluster.stopJettySolrRunner(node);
            writeState(home, i, "down");
          }
        } catch (Throwable t) {
          String why = describe(rootCause(t));
          LauncherSupport.warn("node" + (i + 1) + (wanted ? " did not start: " : " did not stop: ") + why);
          writeState(home, i, "failed: " + why);
        }
      }
    }

    static void writeState(Path home, int index, String state) {
      Path file = dir(home).resolve("node" + (index + 1) + ".state");
      Path tmp = dir(home).resolve("node" + (index + 1) + ".state.tmp");
      try {
        Files.writeString(tmp, state + "\n", StandardCharsets.UTF_8);
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
      } catch (IOException e) {
        LauncherSupport.warn("could not write " + file + ": " + describe(e));
      }
    }
  }
}
