package dev.outpost.recording;

import dev.outpost.admin.Actor;
import dev.outpost.admin.Auditor;
import dev.outpost.crypto.SecureFiles;
import dev.outpost.error.ClientErrorException;
import dev.outpost.gateway.TerminalRecorder;
import dev.outpost.gateway.TicketStore.Ticket;
import dev.outpost.recording.impl.AsciicastRecording;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.json.DecodeException;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.SqlClient;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.function.Supplier;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The browser terminal recordings of this node: one asciicast v2 file per recorded terminal in {@code recordings/}
 * under the data dir ({@code rw-------}), named by the recording's id, whose header also names the session, the user,
 * the host login and the node. A recording that ends is written to the audit log as {@code session.recording} with
 * its file's SHA-256 and size. File system work runs off the event loop. See docs/browser-sessions.md.
 */
public final class Recordings implements TerminalRecorder {

  private static final Logger LOG = LoggerFactory.getLogger(Recordings.class);
  /** The folder under the data dir. */
  public static final String DIRECTORY = "recordings";
  /** The media type of a recording as the admin API serves it. */
  public static final String MEDIA_TYPE = "application/x-asciicast";
  /** The audit action of a finished recording. */
  public static final String AUDIT_ACTION = "session.recording";
  private static final String SUFFIX = ".cast";
  private static final Pattern ID = Pattern.compile("[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}");
  /** Longest header line read when listing. */
  private static final int MAX_HEADER = 16 * 1024;

  private final Vertx vertx;
  private final Path directory;
  private final RecordingConfig config;
  private final Supplier<SqlClient> database;
  private final Auditor auditor;
  private final String node;
  private final Clock clock;

  /**
   * @param database where the audit rows go (the node's pool)
   * @param node this node's name, as the audit log and the recordings name it
   */
  public Recordings(Vertx vertx, Path dataDir, RecordingConfig config, Supplier<SqlClient> database, Auditor auditor,
      String node, Clock clock) {
    this.vertx = Objects.requireNonNull(vertx);
    this.directory = dataDir.resolve(DIRECTORY);
    this.config = Objects.requireNonNull(config);
    this.database = Objects.requireNonNull(database);
    this.auditor = Objects.requireNonNull(auditor);
    this.node = Objects.requireNonNull(node);
    this.clock = Objects.requireNonNull(clock);
  }

  public RecordingConfig config() {
    return config;
  }

  /** Creates the folder, readable by this node's account only. */
  public Future<Void> prepare() {
    return vertx.executeBlocking(() -> {
      SecureFiles.createPrivateDirectories(directory);
      return null;
    });
  }

  /** A recording of the terminal when its pool's policy says so, else one that keeps nothing. */
  @Override
  public Recording start(Ticket ticket, String login, int cols, int rows) {
    if (!ticket.record()) {
      return Recording.NONE;
    }
    String id = UUID.randomUUID().toString();
    Instant now = clock.instant();
    JsonObject header = new JsonObject().put("version", 2).put("width", cols).put("height", rows)
        .put("timestamp", now.getEpochSecond())
        .put("title", login + "@" + ticket.hostAddress() + " for " + username(ticket))
        .put("env", new JsonObject().put("TERM", "xterm-256color"))
        .put("outpost", new JsonObject().put("id", id).put("sessionId", ticket.sessionId())
            .put("userId", ticket.userId()).put("username", username(ticket)).put("login", login)
            .put("hostId", ticket.hostId()).put("host", ticket.hostAddress()).put("node", node)
            .put("startedAt", now.toString()));
    LOG.atInfo().addKeyValue("sessionId", ticket.sessionId()).addKeyValue("recording", id)
        .log("Recording the browser terminal of session {} as {}", ticket.sessionId(), id);
    return new AsciicastRecording(vertx, file(id), header, config.maxBytes(),
        done -> audit(ticket, login, id, done));
  }

  private Future<Void> audit(Ticket ticket, String login, String id, AsciicastRecording.Completed done) {
    JsonObject detail = new JsonObject().put("recording", id).put("sha256", done.sha256()).put("bytes", done.bytes())
        .put("truncated", done.truncated()).put("login", login).put("host", ticket.hostAddress()).put("node", node);
    return auditor.record(database.get(), new Actor(ticket.userId(), username(ticket), ticket.sessionId(), node),
            AUDIT_ACTION, "session", ticket.sessionId(), username(ticket) + "@" + ticket.hostAddress(), detail)
        .onSuccess(v -> LOG.info("Recording {} of session {} ended: {} bytes, SHA-256 {}", id, ticket.sessionId(),
            done.bytes(), done.sha256()))
        .onFailure(e -> LOG.error("Recording {} of session {} ended ({} bytes, SHA-256 {}) but its audit entry could "
            + "not be written: {}", id, ticket.sessionId(), done.bytes(), done.sha256(), e.getMessage()));
  }

  /**
   * The recordings on this node, newest first, each as its header's {@code outpost} part with the file's
   * {@code bytes} and {@code modifiedAt}.
   *
   * @param user only a user's (id or name); {@code null} for all
   * @param session only a session's; {@code null} for all
   */
  public Future<List<JsonObject>> list(String user, String session) {
    return vertx.executeBlocking(() -> {
      List<JsonObject> items = new ArrayList<>();
      try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
        for (Path file : files) {
          JsonObject item = describe(file);
          if (item != null && matches(item, user, session)) {
            items.add(item);
          }
        }
      } catch (NoSuchFileException e) {
        return items;
      }
      items.sort(Comparator.comparing((JsonObject item) -> item.getString("startedAt", "")).reversed());
      return items;
    }, false);
  }

  /** The file of a recording. 400 for what is no recording id, 404 when this node has no such recording. */
  public Future<Path> file(String id, boolean mustExist) {
    if (id == null || !ID.matcher(id).matches()) {
      return Future.failedFuture(ClientErrorException.validation("'" + id + "' is not a recording id; "
          + "GET /admin/api/v1/recordings lists them"));
    }
    Path file = file(id);
    if (!mustExist) {
      return Future.succeededFuture(file);
    }
    return vertx.fileSystem().exists(file.toString()).compose(exists -> exists ? Future.succeededFuture(file)
        : Future.failedFuture(ClientErrorException.notFound("no recording " + id + " on this node")));
  }

  /** A recording's description as {@link #list} shows it; fails as {@link #file} does. */
  public Future<JsonObject> find(String id) {
    return file(id, true).compose(file -> vertx.executeBlocking(() -> describe(file), false))
        .compose(item -> item != null ? Future.succeededFuture(item)
            : Future.failedFuture(ClientErrorException.notFound("no recording " + id + " on this node")));
  }

  /** Deletes a recording; fails as {@link #file} does. */
  public Future<Void> delete(String id) {
    return file(id, true).compose(file -> vertx.fileSystem().delete(file.toString()));
  }

  /** Deletes the recordings last written before the retention; completes with how many. */
  public Future<Integer> purge() {
    Instant cutoff = clock.instant().minus(config.retention());
    return vertx.executeBlocking(() -> {
      int deleted = 0;
      try (DirectoryStream<Path> files = Files.newDirectoryStream(directory, "*" + SUFFIX)) {
        for (Path file : files) {
          if (Files.getLastModifiedTime(file).toInstant().isBefore(cutoff) && Files.deleteIfExists(file)) {
            deleted++;
          }
        }
      } catch (NoSuchFileException e) {
        return 0;
      }
      if (deleted > 0) {
        LOG.info("Deleted {} terminal recording(s) older than recording.retention ({})", deleted,
            config.retention());
      }
      return deleted;
    }, false);
  }

  private Path file(String id) {
    return directory.resolve(id + SUFFIX);
  }

  private static String username(Ticket ticket) {
    return ticket.username().isEmpty() ? ticket.userId() : ticket.username();
  }

  private static boolean matches(JsonObject item, String user, String session) {
    return (user == null || user.equals(item.getString("userId")) || user.equalsIgnoreCase(item.getString("username")))
        && (session == null || session.equals(item.getString("sessionId")));
  }

  /** The header's {@code outpost} part with the file's size and time; {@code null} for a file that is no recording. */
  private static JsonObject describe(Path file) {
    try (InputStream in = Files.newInputStream(file)) {
      String text = new String(in.readNBytes(MAX_HEADER), StandardCharsets.UTF_8);
      int end = text.indexOf('\n');
      if (end < 0) {
        return null; // a header longer than any this node writes, or a file that is no recording
      }
      JsonObject header = new JsonObject(text.substring(0, end));
      JsonObject outpost = header.getJsonObject("outpost");
      if (outpost == null || outpost.getString("id") == null) {
        return null;
      }
      return outpost.copy().put("width", header.getInteger("width")).put("height", header.getInteger("height"))
          .put("bytes", Files.size(file)).put("modifiedAt", Files.getLastModifiedTime(file).toInstant().toString());
    } catch (NoSuchFileException e) {
      return null;
    } catch (DecodeException | ClassCastException e) {
      LOG.debug("{} is not a terminal recording: {}", file, e.getMessage());
      return null;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
