package dev.omnibus.broker.kafka;

/**
 * A delivery's handle: the record's offset in its partition's {@link PartitionLedger}, or no ledger
 * for a broadcast delivery (nothing is committed for those).
 */
record Rec(PartitionLedger ledger, long offset) {
    static final Rec BROADCAST = new Rec(null, -1);

    boolean begin() {
        return ledger == null || ledger.begin(offset);
    }

    void end() {
        if (ledger != null) {
            ledger.end(offset);
        }
    }

    void settled() {
        if (ledger != null) {
            ledger.settled(offset);
        }
    }
}
