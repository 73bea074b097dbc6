package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
import io.vertx.pgclient.PgException;
import io.vertx.sqlclient.ClosedConnectionException;
import java.net.ConnectException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

/** Which failures a request answers as "the database cannot be reached" (503), and which it leaves alone. */
class DatabaseUnavailableExceptionTest {

  @Test
  void aRefusedOrLostDatabaseConnectionIsA503NamingTheDatabase() {
    // GIVEN PostgreSQL refusing connections, or a connection lost mid-query, however deeply wrapped
    var refused = DatabaseUnavailableException.of(new CompletionException(new ConnectException(
        "Connection refused: /127.0.0.1:5432")));
    var lost = DatabaseUnavailableException.of(ClosedConnectionException.INSTANCE);

    // THEN each is a 503 database-unavailable that says what happened
    assertThat(refused).hasValueSatisfying(e -> {
      assertThat(e.status()).isEqualTo(503);
      assertThat(e.type()).isEqualTo("database-unavailable");
      assertThat(e.detail()).contains("database cannot be reached", "Connection refused");
    });
    assertThat(lost).isPresent();
  }

  @Test
  void aServerThatIsStartingOrShuttingDownIsA503AndOtherDatabaseErrorsAreNot() {
    // GIVEN the answers of a PostgreSQL that is being restarted, and of one that refuses a statement
    var starting = new PgException("the database system is starting up", "FATAL", "57P03", null);
    var shutDown = new PgException("terminating connection due to administrator command", "FATAL", "57P01", null);
    var badInput = new PgException("invalid byte sequence for encoding \"UTF8\": 0x00", "ERROR", "22021", null);

    // THEN the first two are the database being unavailable, the last one is not
    assertThat(DatabaseUnavailableException.of(new CompletionException(starting))).isPresent();
    assertThat(DatabaseUnavailableException.of(shutDown)).isPresent();
    assertThat(DatabaseUnavailableException.of(badInput)).isEmpty();
  }

  @Test
  void outpostsOwnProblemsKeepTheirMeaningEvenWhenCausedByARefusedConnection() {
    // GIVEN the hub or another node that could not be reached, which Outpost already reports as its own problem
    ServerErrorException hubDown = ServerErrorException.unavailable("the hub is not connected",
        new ConnectException("Connection refused: hub/10.0.0.9:9443"));

    // THEN it stays that problem, also when wrapped, and so does a client error
    assertThat(DatabaseUnavailableException.of(hubDown)).isEmpty();
    assertThat(DatabaseUnavailableException.of(new CompletionException(hubDown))).isEmpty();
    assertThat(DatabaseUnavailableException.of(ClientErrorException.conflict("busy"))).isEmpty();
    // AND a failure with no connection in it is not the database's either
    assertThat(DatabaseUnavailableException.of(new IllegalStateException("boom"))).isEmpty();
  }
}
