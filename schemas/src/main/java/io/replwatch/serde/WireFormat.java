package io.replwatch.serde;

/**
 * Confluent's wire format: magic byte {@code 0x00}, the schema id as a 4-byte big-endian int, then the Avro
 * binary encoding of the record with that writer schema.
 */
public final class WireFormat {

    public static final byte MAGIC = 0x0;
    public static final int HEADER_SIZE = 5;

    private WireFormat() {
    }

    /** TopicNameStrategy: {@code <topic>-value} or {@code <topic>-key}. */
    public static String subject(final String topic, final boolean isKey) {
        return topic + (isKey ? "-key" : "-value");
    }

    /** The schema id of a framed payload, or -1 when it is not one. */
    public static int schemaId(final byte[] data) {
        if (data == null || data.length < HEADER_SIZE || data[0] != MAGIC) {
            return -1;
        }
        return ((data[1] & 0xFF) << 24) | ((data[2] & 0xFF) << 16) | ((data[3] & 0xFF) << 8) | (data[4] & 0xFF);
    }
}
