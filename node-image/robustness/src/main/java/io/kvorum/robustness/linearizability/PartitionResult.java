package io.kvorum.robustness.linearizability;

/**
 * The verdict for one key.
 *
 * @param steps       search steps spent (a measure of how hard the history was)
 * @param explanation empty when linearizable; otherwise what could not be explained, or why
 *                    the search gave up
 */
public record PartitionResult(String key, int operations, Verdict verdict, long steps, String explanation) {
}
