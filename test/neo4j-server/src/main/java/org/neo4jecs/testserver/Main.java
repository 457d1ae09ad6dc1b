/*
 * The test launcher of a real, embedded Neo4j 5.26 Community server with the Bolt connector, for the
 * contract tests of neo4j-ecs-operator (test/contract/).
 *
 * It starts the DBMS in a data directory, with auth on and a known password for the `neo4j` user, and
 * Bolt on a loopback address only. Once Bolt answers a handshake it prints exactly one machine-readable
 * line on stdout:
 *
 *   NEO4J_TEST_SERVER_READY {"bolt":"bolt://127.0.0.1:7687","host":"127.0.0.1","port":7687,...}
 *
 * It shuts down cleanly on SIGTERM/SIGINT or when its stdin reaches end-of-file, so it never outlives the
 * test process that spawned it with a pipe on stdin. Everything else it says goes to stderr. The
 * password is never printed. Exit codes: 0 after a clean stop, 2 for bad arguments, 3 when the Bolt
 * port is already in use (the last stderr line then starts with "neo4j-test-server: PORT_IN_USE"),
 * 1 for any other start failure (the last stderr line names the root cause).
 *
 * The password is set through the embedded API right after the DBMS starts. Until then (well under a
 * second, before READY) Bolt would only accept the default neo4j/neo4j in its "change required" state;
 * no caller connects before READY, and the address is loopback only.
 *
 * Options (command line wins over the environment):
 *   --bolt-host H   / NEO4J_TEST_BOLT_HOST   loopback address to listen on (default 127.0.0.1)
 *   --bolt-port P   / NEO4J_TEST_BOLT_PORT   port (default 7687; 0 picks a free one, but then the
 *                                            advertised address, and so the routing table, shows 0)
 *   --data-dir D    / NEO4J_TEST_DATA_DIR    home/data directory (default: a new temp dir, removed on exit)
 *   NEO4J_TEST_PASSWORD                      initial password of `neo4j` (env only, so it stays out of
 *                                            `ps`; default "test-password"); at least 8 characters
 *   --no-stdin-watch                         do not exit when stdin closes (for manual runs)
 */
package org.neo4jecs.testserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.neo4j.configuration.connectors.ConnectorPortRegister;
import org.neo4j.configuration.connectors.ConnectorType;
import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;
import org.neo4j.graphdb.GraphDatabaseService;
import org.neo4j.internal.helpers.HostnamePort;
import org.neo4j.kernel.internal.GraphDatabaseAPI;

public final class Main {
  static final String READY_PREFIX = "NEO4J_TEST_SERVER_READY ";
  private static final int MIN_PASSWORD_LENGTH = 8;

  private Main() {}

  public static void main(String[] args) {
    try {
      run(Options.parse(args, System.getenv()));
    } catch (UsageException e) {
      System.err.println("neo4j-test-server: " + e.getMessage());
      System.exit(2);
    } catch (Throwable e) {
      e.printStackTrace(System.err);
      // The last line names the root cause, so a caller that keeps only the tail still sees it.
      if (isBindFailure(e)) {
        System.err.println("neo4j-test-server: PORT_IN_USE the Bolt address is already in use: " + rootCause(e));
        System.exit(EXIT_PORT_IN_USE);
      }
      System.err.println("neo4j-test-server: failed to start: " + rootCause(e));
      System.exit(1);
    }
  }

  /** Exit code when the Bolt port is taken, so the caller can retry on another port. */
  static final int EXIT_PORT_IN_USE = 3;

  private static boolean isBindFailure(Throwable e) {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof java.net.BindException
          || t.getClass().getSimpleName().equals("PortBindException")
          || String.valueOf(t.getMessage()).contains("Address already in use")) {
        return true;
      }
      if (t.getCause() == t) break;
    }
    return false;
  }

  private static String rootCause(Throwable e) {
    Throwable t = e;
    while (t.getCause() != null && t.getCause() != t) t = t.getCause();
    return t == e ? String.valueOf(e) : e + " (root cause: " + t + ")";
  }

  private static void run(Options opts) throws Exception {
    boolean ownDataDir = opts.dataDir == null;
    Path home = ownDataDir ? Files.createTempDirectory("neo4j-test-server-") : opts.dataDir;
    Files.createDirectories(home);
    Path conf = writeConfig(home, opts);

    log("starting Neo4j in " + home + " with Bolt on " + opts.host + ":" + opts.port);
    DatabaseManagementService dbms;
    try {
      dbms = new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
    } catch (RuntimeException e) {
      if (ownDataDir) deleteRecursively(home);
      throw e;
    }

    CountDownLatch stopped = new CountDownLatch(1);
    Thread hook =
        new Thread(
            () -> {
              log("shutting down");
              try {
                dbms.shutdown();
              } finally {
                if (ownDataDir) deleteRecursively(home);
                stopped.countDown();
              }
            },
            "neo4j-test-server-shutdown");
    Runtime.getRuntime().addShutdownHook(hook);

    GraphDatabaseService system = dbms.database("system");
    GraphDatabaseService neo4j = dbms.database("neo4j");
    if (!neo4j.isAvailable(TimeUnit.SECONDS.toMillis(60))) {
      throw new IllegalStateException("database neo4j did not become available within 60 s");
    }
    setPassword(system, opts.password);

    HostnamePort bound =
        ((GraphDatabaseAPI) system)
            .getDependencyResolver()
            .resolveDependency(ConnectorPortRegister.class)
            .getLocalAddress(ConnectorType.BOLT);
    if (bound == null) throw new IllegalStateException("the Bolt connector did not start");
    int port = bound.getPort();
    String agreed = boltHandshake(opts.host, port);

    Map<String, Object> components =
        system.executeTransactionally(
            "CALL dbms.components() YIELD versions, edition RETURN versions[0] AS version, edition",
            Map.of(),
            r -> r.hasNext() ? r.next() : Map.of());
    String ready =
        READY_PREFIX
            + "{\"bolt\":\"bolt://"
            + opts.host
            + ":"
            + port
            + "\",\"host\":\""
            + opts.host
            + "\",\"port\":"
            + port
            + ",\"boltProtocol\":\""
            + agreed
            + "\",\"version\":\""
            + components.getOrDefault("version", "")
            + "\",\"edition\":\""
            + components.getOrDefault("edition", "")
            + "\",\"user\":\"neo4j\",\"home\":\""
            + jsonEscape(home.toString())
            + "\"}";
    System.out.println(ready);
    System.out.flush();

    if (opts.watchStdin) watchStdin();
    stopped.await();
  }

  /** Writes a neo4j.conf with the documented setting names; strict validation rejects any typo. */
  private static Path writeConfig(Path home, Options opts) throws IOException {
    Map<String, String> c = new LinkedHashMap<>();
    c.put("server.config.strict_validation.enabled", "true");
    c.put("dbms.security.auth_enabled", "true");
    c.put("server.bolt.enabled", "true");
    c.put("server.bolt.listen_address", opts.host + ":" + opts.port);
    c.put("server.bolt.advertised_address", opts.host + ":" + opts.port);
    c.put("server.bolt.tls_level", "DISABLED");
    c.put("server.bolt.thread_pool_min_size", "2");
    c.put("server.bolt.thread_pool_max_size", "40");
    c.put("server.default_listen_address", opts.host);
    c.put("server.default_advertised_address", opts.host);
    c.put("server.http.enabled", "false");
    c.put("server.https.enabled", "false");
    c.put("server.memory.pagecache.size", "64m");
    c.put("dbms.memory.transaction.total.max", "256m");
    c.put("dbms.usage_report.enabled", "false");
    c.put("server.bolt.telemetry.enabled", "false");
    c.put("dbms.security.allow_csv_import_from_file_urls", "false");
    c.put("db.tx_log.rotation.retention_policy", "1 files");
    c.put("server.logs.debug.enabled", "true");
    // Netty's graceful Bolt shutdown would otherwise wait up to ~15 s for a quiet period.
    c.put("internal.dbms.bolt.netty_server_shutdown_quiet_period", "0");
    c.put("internal.dbms.bolt.netty_server_shutdown_timeout", "2s");
    StringBuilder text = new StringBuilder("# written by neo4j-test-server on each start\n");
    c.forEach((k, v) -> text.append(k).append('=').append(v).append('\n'));
    Path conf = home.resolve("neo4j.conf");
    try (Writer w = Files.newBufferedWriter(conf, StandardCharsets.UTF_8)) {
      w.write(text.toString());
    }
    return conf;
  }

  /**
   * Sets the password of `neo4j` through the embedded API (which runs with full rights), so the server
   * answers Bolt only with that password, without the "change required" state of a fresh DBMS.
   */
  private static void setPassword(GraphDatabaseService system, String password) {
    system.executeTransactionally(
        "ALTER USER neo4j SET PASSWORD $password CHANGE NOT REQUIRED", Map.of("password", password));
  }

  /** Opens a TCP connection and does a Bolt handshake, proving Bolt accepts connections. */
  private static String boltHandshake(String host, int port) throws IOException {
    try (Socket s = new Socket()) {
      s.connect(new InetSocketAddress(host, port), 5000);
      s.setSoTimeout(5000);
      OutputStream out = s.getOutputStream();
      // Magic 0x6060B017, then four proposals: 5.4 down to 5.0 (a range of 4), 4.4, none, none.
      out.write(
          new byte[] {
            0x60, 0x60, (byte) 0xB0, 0x17,
            0, 4, 4, 5,
            0, 0, 4, 4,
            0, 0, 0, 0,
            0, 0, 0, 0
          });
      out.flush();
      byte[] reply = s.getInputStream().readNBytes(4);
      if (reply.length != 4 || (reply[2] == 0 && reply[3] == 0)) {
        throw new IOException("Bolt handshake was refused on " + host + ":" + port);
      }
      return reply[3] + "." + reply[2];
    }
  }

  /** Exits (through the shutdown hook) when stdin reaches EOF: the parent went away. */
  private static void watchStdin() {
    Thread t =
        new Thread(
            () -> {
              try (InputStream in = System.in) {
                byte[] buf = new byte[256];
                while (in.read(buf) >= 0) {
                  // Input is ignored; only its end matters.
                }
              } catch (IOException ignored) {
                // A broken stdin means the parent is gone as well.
              }
              log("stdin closed");
              System.exit(0);
            },
            "neo4j-test-server-stdin");
    t.setDaemon(true);
    t.start();
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> paths = Files.walk(dir)) {
      paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      log("could not remove " + dir + ": " + e.getMessage());
    }
  }

  private static String jsonEscape(String s) {
    return s.replace("\\", "\\\\").replace("\"", "\\\"");
  }

  static void log(String message) {
    System.err.println("neo4j-test-server: " + message);
  }

  static final class UsageException extends Exception {
    UsageException(String message) {
      super(message);
    }
  }

  /** Parsed options; see the top-of-file comment. */
  static final class Options {
    String host = "127.0.0.1";
    int port = 7687;
    Path dataDir;
    String password = "test-password";
    boolean watchStdin = true;

    static Options parse(String[] args, Map<String, String> env) throws UsageException {
      Options o = new Options();
      if (env.get("NEO4J_TEST_BOLT_HOST") != null) o.host = env.get("NEO4J_TEST_BOLT_HOST");
      if (env.get("NEO4J_TEST_BOLT_PORT") != null) o.port = port(env.get("NEO4J_TEST_BOLT_PORT"));
      if (env.get("NEO4J_TEST_DATA_DIR") != null) o.dataDir = Paths.get(env.get("NEO4J_TEST_DATA_DIR"));
      if (env.get("NEO4J_TEST_PASSWORD") != null) o.password = env.get("NEO4J_TEST_PASSWORD");
      for (int i = 0; i < args.length; i++) {
        String a = args[i];
        switch (a) {
          case "--bolt-host" -> o.host = value(args, ++i, a);
          case "--bolt-port" -> o.port = port(value(args, ++i, a));
          case "--data-dir" -> o.dataDir = Paths.get(value(args, ++i, a));
          case "--no-stdin-watch" -> o.watchStdin = false;
          case "--help", "-h" -> throw new UsageException(
              "usage: java -jar neo4j-test-server.jar [--bolt-host 127.0.0.1] [--bolt-port 7687]"
                  + " [--data-dir DIR] [--no-stdin-watch]; password from NEO4J_TEST_PASSWORD");
          default -> throw new UsageException("unknown argument: " + a + " (try --help)");
        }
      }
      if (o.password.length() < MIN_PASSWORD_LENGTH) {
        throw new UsageException(
            "NEO4J_TEST_PASSWORD must have at least " + MIN_PASSWORD_LENGTH + " characters");
      }
      try {
        if (!InetAddress.getByName(o.host).isLoopbackAddress()) {
          throw new UsageException("--bolt-host must be a loopback address, got " + o.host);
        }
      } catch (java.net.UnknownHostException e) {
        throw new UsageException("--bolt-host is not a valid address: " + o.host);
      }
      return o;
    }

    private static String value(String[] args, int i, String name) throws UsageException {
      if (i >= args.length) throw new UsageException(name + " needs a value");
      return args[i];
    }

    private static int port(String s) throws UsageException {
      try {
        int p = Integer.parseInt(s.trim());
        if (p < 0 || p > 65535) throw new NumberFormatException();
        return p;
      } catch (NumberFormatException e) {
        throw new UsageException("not a valid port: " + s);
      }
    }
  }
}
