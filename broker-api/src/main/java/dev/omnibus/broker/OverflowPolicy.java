package dev.omnibus.broker;

/**
 * What a subscription's local buffer does when it is full, i.e. when the handler is slower than
 * the publishers. Whatever the policy, a full buffer is reported with a rate-limited warning.
 */
public enum OverflowPolicy {
    /** The publisher (or the backend's delivery thread) waits up to the block timeout, then fails. */
    BLOCK,
    /** The oldest buffered message is dropped to make room. */
    DROP_OLDEST,
    /** The new message is dropped. */
    DROP_NEWEST,
    /** The publish fails at once with a {@link BufferFullException}. */
    FAIL
}
