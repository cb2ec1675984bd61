package io.kvorum.bench;

import com.google.protobuf.ByteString;
import io.etcd.jetcd.api.KVGrpc;
import io.etcd.jetcd.api.PutRequest;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Writes a data set of a given size (distinct keys "dataset/NNNNNNNN", 32 KiB values, 16 puts in
 * flight) so that a restart has something to recover.
 */
final class DataSet {

  static final int VALUE_BYTES = 32 * 1024;
  private static final int IN_FLIGHT = 16;

  private DataSet() {}

  /** Writes {@code mib} MiB of values and returns how many puts that took. */
  static long write(InetSocketAddress leader, long mib, Duration timeout)
      throws InterruptedException {
    long puts = (mib * 1024 * 1024 + VALUE_BYTES - 1) / VALUE_BYTES;
    long deadline = System.nanoTime() + timeout.toNanos();
    ByteString value = KvOperations.randomBytes(VALUE_BYTES);
    KeyGenerator keys = new KeyGenerator("dataset/", 16, Math.max(1, puts), true);
    Semaphore inFlight = new Semaphore(IN_FLIGHT);
    AtomicReference<Throwable> failure = new AtomicReference<>();
    try (ChannelPool channels = new ChannelPool(List.of(leader), 2)) {
      for (long i = 0; i < puts; i++) {
        if (!inFlight.tryAcquire(deadline - System.nanoTime(), TimeUnit.NANOSECONDS)) {
          throw new IllegalStateException("writing the " + mib + " MiB data set took longer than "
              + timeout.toSeconds() + " s (" + i + " of " + puts + " puts sent)");
        }
        if (failure.get() != null) {
          throw new IllegalStateException("a put of the data set failed", failure.get());
        }
        KVGrpc.newStub(channels.forClient((int) (i % 2)))
            .withDeadlineAfter(KvOperations.DEADLINE_SECONDS, TimeUnit.SECONDS)
            .put(PutRequest.newBuilder().setKey(keys.key(i)).setValue(value).build(),
                KvOperations.observer(new Operation.Completion() {
                  @Override
                  public void succeeded() {
                    inFlight.release();
                  }

                  @Override
                  public void failed(Throwable error) {
                    failure.compareAndSet(null, error);
                    inFlight.release();
                  }
                }));
      }
      if (!inFlight.tryAcquire(IN_FLIGHT, KvOperations.DEADLINE_SECONDS + 1, TimeUnit.SECONDS)
          || failure.get() != null) {
        throw new IllegalStateException("the last puts of the data set did not succeed",
            failure.get());
      }
    }
    return puts;
  }
}
