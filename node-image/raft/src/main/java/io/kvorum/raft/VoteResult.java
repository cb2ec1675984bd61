package io.kvorum.raft;

/** The outcome of an election (or of any quorum question) so far. */
enum VoteResult {
  /** Not decided: enough members have not answered to go either way. */
  PENDING,
  /** A majority answered no: even all missing answers could not make a majority. */
  LOST,
  /** A majority answered yes. */
  WON
}
