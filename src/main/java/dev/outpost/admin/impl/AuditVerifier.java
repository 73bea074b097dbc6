package dev.outpost.admin.impl;

import dev.outpost.db.Database;
import io.vertx.core.Future;
import io.vertx.core.Vertx;
import io.vertx.core.buffer.Buffer;
import io.vertx.core.json.JsonArray;
import io.vertx.core.json.JsonObject;
import io.vertx.sqlclient.Row;
import io.vertx.sqlclient.RowSet;
import io.vertx.sqlclient.Tuple;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Checks the audit log against its hash chain and its signed checkpoints, and names what does not hold: an entry
 * whose content no longer matches its hash ({@code edited}), positions missing from the chain ({@code removed}),
 * entries that sit at other positions than the chain puts them ({@code reordered}), rows outside the chain
 * ({@code unchained}), checkpoints whose signature does not hold or whose hash the log no longer has
 * ({@code checkpoint}), and signing keys that are not the site's ({@code signing-key}).
 *
 * <p>The log is read in pages by position, each page hashed on a worker; only what breaks is kept, so that memory
 * does not grow with the log. Where an entry's link breaks, the chain itself says where its predecessor is: from that,
 * every run of entries between two breaks gets its true position, and a run that sits elsewhere was moved.
 */
public final class AuditVerifier {

  static final int PAGE = 2000;
  /** Most problems one report lists; the rest are counted. */
  static final int MAX_PROBLEMS = 1000;
  private static final HexFormat HEX = HexFormat.of();

  /** One finding. {@code lastPosition} and {@code lastId} are set for a run of entries. */
  public record Problem(String kind, long position, Long lastPosition, Long id, Long lastId, String detail) {

    public JsonObject toJson() {
      JsonObject json = new JsonObject().put("kind", kind).put("position", position);
      if (lastPosition != null && lastPosition != position) {
        json.put("lastPosition", lastPosition);
      }
      if (id != null) {
        json.put("id", id);
      }
      if (lastId != null && !lastId.equals(id)) {
        json.put("lastId", lastId);
      }
      return json.put("detail", detail);
    }
  }

  private final Vertx vertx;
  private final Database db;
  private final Optional<AuditCheckpoints> checkpoints;

  /**
   * @param checkpoints the site's checkpoints and signing keys; empty where the site signs none (their part of the
   *     report says so)
   */
  public AuditVerifier(Vertx vertx, Database db, Optional<AuditCheckpoints> checkpoints) {
    this.vertx = Objects.requireNonNull(vertx);
    this.db = Objects.requireNonNull(db);
    this.checkpoints = Objects.requireNonNull(checkpoints);
  }

  /** Verifies the whole log as far as the chain's head reached when the check began; the report as JSON. */
  public Future<JsonObject> verify() {
    return db.pool().query("SELECT seq, hash, legacy_first FROM audit_chain_head").execute()
        .compose(rows -> {
          Row head = rows.iterator().next();
          Walk walk = new Walk(head.getLong("seq"), bytes(head, "hash"), head.getLong("legacy_first"));
          return signed(walk).compose(v -> page(walk, 0)).compose(v -> locate(walk)).compose(v -> outside(walk))
              .map(v -> walk.report());
        });
  }

  private Future<Void> signed(Walk walk) {
    if (checkpoints.isEmpty()) {
      return Future.succeededFuture();
    }
    return checkpoints.get().keys()
        .compose(keys -> checkpoints.get().list().map(list -> {
          walk.signing(keys, list);
          return null;
        }));
  }

  /** Walks the page after {@code after}, then the next, up to the head's position. */
  private Future<Void> page(Walk walk, long after) {
    return db.pool().preparedQuery("SELECT id, seq, entry_id, at, actor, action, target_type, target_id, "
            + "target_name, detail, request_id, node, prev_hash, hash FROM audit_log WHERE seq > $1 AND seq <= $2 "
            + "ORDER BY seq LIMIT $3")
        .execute(Tuple.of(after, walk.headPosition, PAGE))
        .compose(rows -> vertx.executeBlocking(() -> walk.read(rows), false))
        .compose(last -> last == null ? Future.succeededFuture() : page(walk, last));
  }

  /** Where the entries that broken links point to are (one scan of the hashes, only when links broke). */
  private Future<Void> locate(Walk walk) {
    Set<String> wanted = walk.wanted();
    if (wanted.isEmpty()) {
      return Future.succeededFuture();
    }
    return db.pool().preparedQuery("SELECT seq, id, encode(hash, 'hex') AS hash FROM audit_log "
            + "WHERE encode(hash, 'hex') = ANY($1) AND seq IS NOT NULL")
        .execute(Tuple.tuple().addArrayOfString(wanted.toArray(String[]::new)))
        .map(rows -> {
          rows.forEach(row -> walk.found(row.getString("hash"), row.getLong("seq"), row.getLong("id")));
          return null;
        });
  }

  /** Rows outside the chain, and rows past the head as it is now (which no append wrote). */
  private Future<Void> outside(Walk walk) {
    return db.pool().query("SELECT id FROM audit_log WHERE seq IS NULL ORDER BY id LIMIT 21").execute()
        .compose(unchained -> db.pool().query("SELECT count(*) FROM audit_log WHERE seq IS NULL").execute()
            .map(count -> {
              List<Long> ids = new ArrayList<>();
              unchained.forEach(row -> ids.add(row.getLong(0)));
              walk.unchained(ids, count.iterator().next().getLong(0));
              return null;
            }))
        .compose(v -> db.pool().query("SELECT a.seq, a.id FROM audit_log a, audit_chain_head h WHERE a.seq > h.seq "
            + "ORDER BY a.seq LIMIT 20").execute())
        .map(rows -> {
          rows.forEach(row -> walk.pastHead(row.getLong("seq"), row.getLong("id")));
          return null;
        });
  }

  private static byte[] bytes(Row row, String column) {
    Buffer value = row.getBuffer(column);
    return value == null ? null : value.getBytes();
  }

  /** An entry as the walk remembers the one before the next: position, id and hash. */
  private record Seen(long position, long id, byte[] hash) {
  }

  /** Where a link breaks: the entry, the hash it names as its predecessor, and the entry stored before it. */
  private record Break(long position, long id, byte[] previousHash, Seen before) {
  }

  /** A run of entries between two breaks, in stored order: each follows the one before it in the chain. */
  private static final class Run {
    final Break start;
    final long firstPosition;
    final long firstId;
    long lastPosition;
    long lastId;
    /** True position minus stored position, once known; {@code null} while unknown. */
    Long offset;
    boolean resolving;

    Run(Break start, long position, long id) {
      this.start = start;
      this.firstPosition = position;
      this.firstId = id;
      this.lastPosition = position;
      this.lastId = id;
    }
  }

  /** The state of one verification; each step runs after the one before it completed. */
  private static final class Walk {
    final long headPosition;
    final byte[] headHash;
    final Long legacyFirst;
    final List<Problem> problems = new ArrayList<>();
    final List<Run> runs = new ArrayList<>();
    final Map<String, List<Seen>> located = new HashMap<>();
    final List<Seen> idDisorder = new ArrayList<>();
    final Set<Long> edited = new HashSet<>();
    final List<Problem> checkpointMismatches = new ArrayList<>();
    Map<Long, AuditCheckpoints.Checkpoint> checkpointsAt = Map.of();
    List<AuditCheckpoints.KeyView> keys = List.of();
    List<AuditCheckpoints.Checkpoint> checkpoints = List.of();
    boolean signing;
    int verifiedCheckpoints;
    long entries;
    Seen last;

    Walk(long headPosition, byte[] headHash, Long legacyFirst) {
      this.headPosition = headPosition;
      this.headHash = headHash;
      this.legacyFirst = legacyFirst;
    }

    void signing(List<AuditCheckpoints.KeyView> keys, List<AuditCheckpoints.Checkpoint> checkpoints) {
      this.signing = true;
      this.keys = keys;
      this.checkpoints = checkpoints;
      Map<Long, AuditCheckpoints.Checkpoint> at = new HashMap<>();
      checkpoints.forEach(c -> at.put(c.position(), c));
      this.checkpointsAt = at;
    }

    /** Checks one page; answers the last position read, or {@code null} when the page was the last. */
    Long read(RowSet<Row> rows) {
      for (Row row : rows) {
        entry(row);
      }
      return rows.size() < PAGE || last == null ? null : last.position();
    }

    private void entry(Row row) {
      long position = row.getLong("seq");
      long id = row.getLong("id");
      byte[] previous = bytes(row, "prev_hash");
      byte[] hash = bytes(row, "hash");
      if (previous == null || hash == null
          || !Arrays.equals(ChainHash.link(previous, ChainHash.content(AuditLog.Entry.fromRow(row))), hash)) {
        edited.add(position);
        add(new Problem("edited", position, null, id, null, "entry " + id + " at position " + position
            + " no longer matches its hash: its content was changed after it was written"));
      }
      byte[] expected = last == null ? ChainHash.GENESIS : last.hash();
      long expectedPosition = last == null ? 1 : last.position() + 1;
      if (previous == null || !Arrays.equals(previous, expected) || position != expectedPosition) {
        Break broken = new Break(position, id, previous == null ? new byte[0] : previous, last);
        runs.add(new Run(broken, position, id));
      } else if (runs.isEmpty()) {
        runs.add(new Run(null, position, id));
      }
      Run run = runs.get(runs.size() - 1);
      run.lastPosition = position;
      run.lastId = id;
      if (last != null && id <= last.id() && (legacyFirst == null || position != legacyFirst)) {
        idDisorder.add(new Seen(position, id, null));
      }
      checkpoint(position, id, hash);
      entries++;
      last = new Seen(position, id, hash);
    }

    private void checkpoint(long position, long id, byte[] hash) {
      AuditCheckpoints.Checkpoint signed = checkpointsAt.get(position);
      if (signed != null && !Arrays.equals(signed.hash(), hash)) {
        checkpointMismatches.add(new Problem("checkpoint", position, null, id, null, "the checkpoint signed at "
            + signed.signedAt()
            + " holds another hash for position " + position + " (entry " + id + "): the log up to there was "
            + "rewritten"));
      }
    }

    /** The hashes that broken links name, to find where those entries are. */
    Set<String> wanted() {
      Set<String> wanted = new HashSet<>();
      for (Run run : runs) {
        if (run.start != null && !Arrays.equals(run.start.previousHash(), ChainHash.GENESIS)) {
          wanted.add(HEX.formatHex(run.start.previousHash()));
        }
      }
      return wanted;
    }

    void found(String hash, long position, long id) {
      located.computeIfAbsent(hash, h -> new ArrayList<>()).add(new Seen(position, id, null));
    }

    void unchained(List<Long> ids, long count) {
      if (count > 0) {
        add(new Problem("unchained", 0, null, ids.get(0), null, count + " entr" + (count == 1 ? "y is" : "ies are")
            + " outside the chain (ids " + ids.subList(0, Math.min(20, ids.size())) + (count > 20 ? ", ..." : "")
            + "): written by hand, or by a node of a version without the chain"));
      }
    }

    void pastHead(long position, long id) {
      add(new Problem("unchained", position, null, id, null, "entry " + id + " at position " + position
          + " lies past the chain's head: no append wrote it"));
    }

    JsonObject report() {
      runs.forEach(this::explain);
      reordered();
      tail();
      signatures();
      problems.sort(Comparator.comparingLong(Problem::position));
      JsonArray listed = new JsonArray();
      problems.stream().limit(MAX_PROBLEMS).forEach(p -> listed.add(p.toJson()));
      JsonObject report = new JsonObject().put("ok", problems.isEmpty()).put("entries", entries)
          .put("head", new JsonObject().put("position", headPosition).put("hash", HEX.formatHex(headHash)))
          .put("checkpoints", checkpointSummary())
          .put("problems", listed);
      if (problems.size() > MAX_PROBLEMS) {
        report.put("problemsNotListed", problems.size() - MAX_PROBLEMS);
      }
      return report;
    }

    /** Why a run's first entry does not follow the entry stored before it. */
    private void explain(Run run) {
      Break broken = run.start;
      if (broken == null || Arrays.equals(broken.previousHash(), ChainHash.GENESIS)) {
        return;
      }
      List<Seen> predecessors = located.getOrDefault(HEX.formatHex(broken.previousHash()), List.of());
      if (!predecessors.isEmpty()) {
        return; // it follows another entry: its run's position is worked out by offset()
      }
      Seen before = broken.before();
      long expected = before == null ? 1 : before.position() + 1;
      if (broken.position() > expected) {
        add(new Problem("removed", expected, broken.position() - 1, null, null, "position"
            + (broken.position() - 1 > expected ? "s " + expected + " to " + (broken.position() - 1) + " are"
                : " " + expected + " is") + " missing" + (before == null ? "" : " after entry " + before.id())
            + " before entry " + broken.id() + " (position " + broken.position() + ")"));
      } else if (before != null && !edited.contains(before.position())) {
        edited.add(before.position());
        add(new Problem("edited", before.position(), null, before.id(), null, "entry " + before.id()
            + " at position " + before.position() + " has another hash than the entry after it recorded: it was "
            + "changed and its hash rewritten (or the entry after it was removed and the later ones renumbered)"));
      }
    }

    /**
     * Runs whose true position differs from where they are stored; then ids out of order elsewhere, and checkpoints
     * whose position now holds another entry than a moved one.
     */
    private void reordered() {
      Set<Long> moved = new HashSet<>();
      for (Run run : runs) {
        Long offset = offset(run);
        if (offset != null && offset == 0) {
          continue;
        }
        for (long p = run.firstPosition; p <= run.lastPosition && moved.size() < 100_000; p++) {
          moved.add(p);
        }
        boolean one = run.firstPosition == run.lastPosition;
        String what = one ? "entry " + run.firstId + " at position " + run.firstPosition
            : "entries " + run.firstId + " to " + run.lastId + " at positions " + run.firstPosition + " to "
                + run.lastPosition;
        String where = offset == null ? "(their place in the chain cannot be worked out)"
            : "belong" + (one ? "s" : "") + " at position" + (one ? " " + (run.firstPosition + offset)
                : "s " + (run.firstPosition + offset) + " to " + (run.lastPosition + offset));
        add(new Problem("reordered", run.firstPosition, run.lastPosition, run.firstId, run.lastId, what + " "
            + where + " by the chain"));
      }
      for (Seen disorder : idDisorder) {
        if (!moved.contains(disorder.position()) && !moved.contains(disorder.position() - 1)) {
          add(new Problem("reordered", disorder.position(), null, disorder.id(), null, "entry " + disorder.id()
              + " at position " + disorder.position() + " has a lower id than the entry before it: ids were "
              + "swapped or rows renumbered"));
        }
      }
      checkpointMismatches.stream().filter(p -> !moved.contains(p.position())).forEach(this::add);
    }

    /** True minus stored position for a run, from where its first entry's predecessor truly is. */
    private Long offset(Run run) {
      if (run.offset != null || run.resolving) {
        return run.offset;
      }
      Break broken = run.start;
      if (broken == null) {
        run.offset = 0L;
        return 0L;
      }
      if (Arrays.equals(broken.previousHash(), ChainHash.GENESIS)) {
        run.offset = 1 - run.firstPosition;
        return run.offset;
      }
      List<Seen> predecessors = located.getOrDefault(HEX.formatHex(broken.previousHash()), List.of());
      if (predecessors.isEmpty()) {
        run.offset = 0L; // anchored where it is: what is missing before it was reported by explain()
        return 0L;
      }
      if (predecessors.size() > 1) {
        return null;
      }
      Seen predecessor = predecessors.get(0);
      Run containing = runAt(predecessor.position());
      if (containing == null) {
        return null;
      }
      run.resolving = true;
      Long before = offset(containing);
      run.resolving = false;
      run.offset = before == null ? null : predecessor.position() + before + 1 - run.firstPosition;
      return run.offset;
    }

    private Run runAt(long position) {
      Run found = null;
      for (Run run : runs) {
        if (run.firstPosition <= position && position <= run.lastPosition) {
          found = run;
        }
      }
      return found;
    }

    /** The newest entries against the head, which every append moves. */
    private void tail() {
      long newest = last == null ? 0 : last.position();
      if (headPosition > newest) {
        add(new Problem("removed", newest + 1, headPosition, null, null, "position" + (headPosition > newest + 1
            ? "s " + (newest + 1) + " to " + headPosition + " are" : " " + headPosition + " is") + " missing at the "
            + "end: the chain's head is at position " + headPosition));
      } else if (last != null && !Arrays.equals(last.hash(), headHash) && !edited.contains(newest)) {
        add(new Problem("edited", newest, null, last.id(), null, "the chain's head holds another hash for the newest "
            + "entry " + last.id() + " (position " + newest + ")"));
      }
    }

    /** Each checkpoint's signature, under a key that is the site's. */
    private void signatures() {
      Map<String, AuditCheckpoints.KeyView> byId = new HashMap<>();
      for (AuditCheckpoints.KeyView key : keys) {
        byId.put(key.keyId(), key);
        if (!key.held()) {
          add(new Problem("signing-key", 0, null, null, null, "signing key " + key.keyId() + " is not the site's: "
              + "its private key is not sealed under the site's key for stored secrets"));
        }
      }
      for (AuditCheckpoints.Checkpoint checkpoint : checkpoints) {
        if (checkpoint.position() > headPosition) {
          continue; // signed after this check read the head
        }
        AuditCheckpoints.KeyView key = byId.get(checkpoint.keyId());
        if (key == null || key.parsed().isEmpty()) {
          add(new Problem("checkpoint", checkpoint.position(), null, null, null, "the checkpoint of position "
              + checkpoint.position() + " names signing key " + checkpoint.keyId() + ", which the site does not have"));
        } else if (!AuditCheckpoints.verify(checkpoint, key.parsed().get())) {
          add(new Problem("checkpoint", checkpoint.position(), null, null, null, "the signature of the checkpoint of "
              + "position " + checkpoint.position() + " (signed at " + checkpoint.signedAt() + ") does not hold"));
        } else {
          verifiedCheckpoints++;
        }
      }
    }

    private JsonObject checkpointSummary() {
      JsonObject summary = new JsonObject().put("signed", signing).put("count", checkpoints.size())
          .put("verified", verifiedCheckpoints)
          .put("keys", new JsonArray(keys.stream().map(AuditCheckpoints.KeyView::toJson).toList()));
      if (!checkpoints.isEmpty()) {
        summary.put("latest", checkpoints.get(checkpoints.size() - 1).toJson());
      }
      return summary;
    }

    private void add(Problem problem) {
      problems.add(problem);
    }
  }
}
