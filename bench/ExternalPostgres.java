import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.sql.Connection;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

/**
 * The "customer's PostgreSQL" of bench/site-failover.sh: a real PostgreSQL server (the embedded binaries the jar
 * carries) in its own process, outside every appliance, with an empty database {@code site} for the appliances'
 * {@code --db-url}. Writes the server's port to PORT_FILE once the database exists and runs until it is stopped
 * (SIGTERM stops the server with it).
 *
 * Usage: java -cp target/outpost.jar bench/ExternalPostgres.java DATA_DIR RUN_DIR PORT_FILE
 */
public class ExternalPostgres {

  public static void main(String[] args) throws Exception {
    if (args.length != 3) {
      System.err.println("usage: ExternalPostgres DATA_DIR RUN_DIR PORT_FILE");
      System.exit(2);
    }
    EmbeddedPostgres postgres = EmbeddedPostgres.builder().setDataDirectory(Path.of(args[0]))
        .setCleanDataDirectory(true).setOverrideWorkingDirectory(Path.of(args[1]).toFile()).start();
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      try {
        postgres.close();
      } catch (Exception e) {
        System.err.println("ExternalPostgres: could not stop the server: " + e.getMessage());
      }
      stopped.countDown();
    }, "external-postgres-stop"));
    try (Connection conn = postgres.getPostgresDatabase().getConnection(); Statement sql = conn.createStatement()) {
      sql.execute("CREATE DATABASE site");
    }
    // the port appears at once and whole: the script reads it as soon as the file exists
    Path portFile = Path.of(args[2]);
    Path partial = Path.of(args[2] + ".partial");
    Files.writeString(partial, Integer.toString(postgres.getPort()));
    Files.move(partial, portFile, StandardCopyOption.ATOMIC_MOVE);
    System.err.println("ExternalPostgres: PostgreSQL on 127.0.0.1:" + postgres.getPort() + ", database site");
    stopped.await();
  }
}
