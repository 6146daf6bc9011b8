package io.replwatch.lake.sink;

import java.net.URLEncoder;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.OptionalLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * File layout: {@code <table>/cluster=<cluster>/date=<YYYY-MM-DD>/<topic>+<partition>+<first>+<last>+<writer>.parquet},
 * or with {@code layout: date} {@code <table>/date=<YYYY-MM-DD>/<topic>+...parquet}. Hive-style partitions. {@code first..last} is the range of Kafka offsets of the batch the file belongs to: all
 * files of one Kafka partition are published together and then the offset after {@code last} is committed. A
 * file whose batch starts at or after the committed offset belongs to a batch a crash interrupted; recovery
 * deletes it and the batch is written again, so a restart neither loses nor duplicates rows. {@code writer} is a
 * token of the consumer that wrote the file: a worker that lost its partition while publishing takes back only its own
 * files, never the new owner's file of the same offsets (names before the token existed still parse).
 */
public final class FileNames {

    private static final Pattern NAME = Pattern.compile(
            "(?:^|/)([^/+]+)\\+(\\d+)\\+(\\d+)\\+(\\d+)(?:\\+[0-9a-z]+)?\\.parquet$");

    private FileNames() {
    }

    public static String partitionDir(final String table, final String cluster, final Instant at) {
        return table + "/cluster=" + URLEncoder.encode(cluster, StandardCharsets.UTF_8) + "/date="
                + at.atZone(ZoneOffset.UTC).toLocalDate();
    }

    /** The {@code layout: date} directory: every cluster's rows of the day. */
    public static String dateDir(final String table, final Instant at) {
        return table + "/date=" + at.atZone(ZoneOffset.UTC).toLocalDate();
    }

    public static String file(final String dir, final String topic, final int partition, final long first,
                              final long last, final String writer) {
        if (!writer.matches("[0-9a-z]+")) {
            throw new IllegalArgumentException("a writer token is lower-case letters and digits: " + writer);
        }
        return dir + "/" + topic + "+" + partition + "+" + first + "+" + last + "+" + writer + ".parquet";
    }

    /** The first offset of the batch a file belongs to, if its name is one of ours for that topic and partition. */
    public static OptionalLong batchFirst(final String key, final String topic, final int partition) {
        final Matcher m = NAME.matcher(key);
        if (m.find() && m.group(1).equals(topic) && Integer.parseInt(m.group(2)) == partition) {
            return OptionalLong.of(Long.parseLong(m.group(3)));
        }
        return OptionalLong.empty();
    }
}
