package dev.outpost.db;

import static org.assertj.core.api.Assertions.assertThat;

import dev.outpost.error.ClientErrorException;
import dev.outpost.error.ServerErrorException;
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
