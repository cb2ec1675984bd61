package io.kvorum.raft;

import java.util.Objects;
import java.util.SplittableRandom;
import java.util.random.RandomGenerator;

/**
 * How a {@link RawNode} behaves. Build one with {@link #builder(long, Storage)}; {@link
 * Builder#build()} rejects inconsistent settings with a message that names the setting.
 *
 * <p>Ticks are the core's only notion of time: the caller calls {@link RawNode#tick()} at a fixed
 * interval (etcd uses 100 ms). With {@code heartbeatTick = 1} and {@code electionTick = 10} a
 * leader sends heartbeats every tick and a follower that heard nothing campaigns after a random
 * timeout in {@code [10, 20)} ticks.
 */
public final class Config {

  private final long id;
  private final Storage storage;
  private final int electionTick;
  private final int heartbeatTick;
  private final long applied;
  private final long maxSizePerMsg;
  private final long maxCommittedSizePerReady;
  private final int maxInflightMsgs;
  private final long maxUncommittedEntriesSize;
  private final boolean checkQuorum;
  private final boolean preVote;
  private final RandomGenerator random;
  private final RaftLogger logger;

  private Config(Builder b) {
    this.id = b.id;
    this.storage = b.storage;
    this.electionTick = b.electionTick;
    this.heartbeatTick = b.heartbeatTick;
    this.applied = b.applied;
    this.maxSizePerMsg = b.maxSizePerMsg;
    this.maxCommittedSizePerReady =
        b.maxCommittedSizePerReady == 0 ? b.maxSizePerMsg : b.maxCommittedSizePerReady;
    this.maxInflightMsgs = b.maxInflightMsgs;
    this.maxUncommittedEntriesSize = b.maxUncommittedEntriesSize;
    this.checkQuorum = b.checkQuorum;
    this.preVote = b.preVote;
    this.random = b.random != null ? b.random : new SplittableRandom(b.id);
    this.logger = b.logger;
  }

  /**
   * Starts a configuration for member {@code id} (non-zero, unique in the cluster, never reused
   * after the member was removed) reading its log from {@code storage}.
   */
  public static Builder builder(long id, Storage storage) {
    return new Builder(id, storage);
  }

  /** This member's id; 0 is reserved for "nobody". */
  public long id() {
    return id;
  }

  public Storage storage() {
    return storage;
  }

  /** Ticks a follower waits for a leader before it campaigns (randomized up to twice this). */
  public int electionTick() {
    return electionTick;
  }

  /** Ticks between a leader's heartbeats. */
  public int heartbeatTick() {
    return heartbeatTick;
  }

  /**
   * The last index the caller's state machine applied before this restart. Committed entries up
   * to it are not handed out again. 0 on a fresh start; the storage's configuration must be the
   * one as of this index.
   */
  public long applied() {
    return applied;
  }

  /** Upper bound on the entry bytes in one append message (at least one entry is always sent). */
  public long maxSizePerMsg() {
    return maxSizePerMsg;
  }

  /** Upper bound on the committed entry bytes handed out in one {@link Ready}. */
  public long maxCommittedSizePerReady() {
    return maxCommittedSizePerReady;
  }

  /** How many append messages a leader keeps in flight to one follower in replicate state. */
  public int maxInflightMsgs() {
    return maxInflightMsgs;
  }

  /**
   * Upper bound on the payload bytes a leader holds uncommitted; proposals beyond it are dropped.
   * 0 means unlimited.
   */
  public long maxUncommittedEntriesSize() {
    return maxUncommittedEntriesSize;
  }

  /**
   * Whether a leader steps down when it did not hear from a quorum within an election timeout,
   * and followers that heard from a leader within one ignore vote requests (leader lease).
   */
  public boolean checkQuorum() {
    return checkQuorum;
  }

  /** Whether candidates run a pre-vote first (thesis §9.6), so a rejoining member cannot disrupt. */
  public boolean preVote() {
    return preVote;
  }

  /** The only source of randomness: election timeouts. Seed it for reproducible runs. */
  public RandomGenerator random() {
    return random;
  }

  public RaftLogger logger() {
    return logger;
  }

  /** Collects settings; every setter returns {@code this}. */
  public static final class Builder {
    private final long id;
    private final Storage storage;
    private int electionTick = 10;
    private int heartbeatTick = 1;
    private long applied;
    private long maxSizePerMsg = 1024 * 1024;
    private long maxCommittedSizePerReady;
    private int maxInflightMsgs = 256;
    private long maxUncommittedEntriesSize;
    private boolean checkQuorum;
    private boolean preVote;
    private RandomGenerator random;
    private RaftLogger logger = RaftLogger.NONE;

    private Builder(long id, Storage storage) {
      this.id = id;
      this.storage = storage;
    }

    public Builder electionTick(int electionTick) {
      this.electionTick = electionTick;
      return this;
    }

    public Builder heartbeatTick(int heartbeatTick) {
      this.heartbeatTick = heartbeatTick;
      return this;
    }

    public Builder applied(long applied) {
      this.applied = applied;
      return this;
    }

    public Builder maxSizePerMsg(long maxSizePerMsg) {
      this.maxSizePerMsg = maxSizePerMsg;
      return this;
    }

    /** 0 (the default) means "same as maxSizePerMsg". */
    public Builder maxCommittedSizePerReady(long maxCommittedSizePerReady) {
      this.maxCommittedSizePerReady = maxCommittedSizePerReady;
      return this;
    }

    public Builder maxInflightMsgs(int maxInflightMsgs) {
      this.maxInflightMsgs = maxInflightMsgs;
      return this;
    }

    public Builder maxUncommittedEntriesSize(long maxUncommittedEntriesSize) {
      this.maxUncommittedEntriesSize = maxUncommittedEntriesSize;
      return this;
    }

    public Builder checkQuorum(boolean checkQuorum) {
      this.checkQuorum = checkQuorum;
      return this;
    }

    public Builder preVote(boolean preVote) {
      this.preVote = preVote;
      return this;
    }

    /** Defaults to a {@link SplittableRandom} seeded with the member id. */
    public Builder random(RandomGenerator random) {
      this.random = Objects.requireNonNull(random, "random");
      return this;
    }

    public Builder logger(RaftLogger logger) {
      this.logger = Objects.requireNonNull(logger, "logger");
      return this;
    }

    /**
     * @throws IllegalArgumentException naming the first invalid setting and the valid range
     */
    public Config build() {
      require(id != 0, "id must not be 0 (0 means \"no member\"); use a unique non-zero id");
      require(storage != null, "storage must be set");
      require(heartbeatTick > 0, "heartbeatTick must be > 0, got " + heartbeatTick);
      require(
          electionTick > heartbeatTick,
          "electionTick ("
              + electionTick
              + ") must be greater than heartbeatTick ("
              + heartbeatTick
              + "); etcd's ratio is 10:1");
      require(applied >= 0, "applied must be >= 0, got " + applied);
      require(maxSizePerMsg > 0, "maxSizePerMsg must be > 0, got " + maxSizePerMsg);
      require(
          maxCommittedSizePerReady >= 0,
          "maxCommittedSizePerReady must be >= 0 (0 = maxSizePerMsg), got "
              + maxCommittedSizePerReady);
      require(maxInflightMsgs > 0, "maxInflightMsgs must be > 0, got " + maxInflightMsgs);
      require(
          maxUncommittedEntriesSize >= 0,
          "maxUncommittedEntriesSize must be >= 0 (0 = unlimited), got "
              + maxUncommittedEntriesSize);
      return new Config(this);
    }

    private static void require(boolean condition, String message) {
      if (!condition) {
        throw new IllegalArgumentException("raft config: " + message);
      }
    }
  }
}
