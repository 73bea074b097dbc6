package dev.outpost.gateway;

import dev.outpost.gateway.TicketStore.Ticket;
import io.vertx.core.buffer.Buffer;

/**
 * Records browser terminals whose pool's policy says so (the ticket's {@code record}). The gateway hands every
 * terminal that logged in to {@link #start} and feeds what it carries to the answer; a terminal that is not
 * recorded gets {@link Recording#NONE}, so the gateway never asks whether it records.
 */
@FunctionalInterface
public interface TerminalRecorder {

  /**
   * Starts the recording of a terminal that has just logged in to its host, on the terminal's context.
   *
   * @param login the host account the shell runs as
   * @param cols the terminal's width at the start, in columns
   * @param rows its height, in rows
   */
  Recording start(Ticket ticket, String login, int cols, int rows);

  /** Records nothing, whatever the ticket says (the hub's gateway, tests). */
  TerminalRecorder NONE = (ticket, login, cols, rows) -> Recording.NONE;

  /** One terminal's recording; every method is called on the terminal's context and returns at once. */
  interface Recording {

    /** What the host printed. */
    void output(Buffer data);

    /** What the user typed or pasted. */
    void input(Buffer data);

    /** The page's terminal changed size. */
    void resize(int cols, int rows);

    /** The terminal ended: the recording is completed and accounted for. Called once. */
    void end();

    /** A recording that keeps nothing. */
    Recording NONE = new Recording() {
      @Override
      public void output(Buffer data) {
      }

      @Override
      public void input(Buffer data) {
      }

      @Override
      public void resize(int cols, int rows) {
      }

      @Override
      public void end() {
      }
    };
  }
}
