package io.kvorum.raft;

import com.google.protobuf.ByteString;

/**
 * The answer to a {@link RawNode#readIndex(byte[])} request: once this member has applied at
 * least {@code index}, a read served from its state machine is linearizable with respect to the
 * moment the request was made.
 *
 * @param index the commit index the leader confirmed while it still held leadership
 * @param requestContext the context the caller passed to {@code readIndex}, to match the answer
 */
public record ReadState(long index, ByteString requestContext) {}
