package io.replwatch.lake.store;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 17: a published lake file survives a power cut. A power cut cannot be had here, so the system calls are
 * watched instead: a JVM publishing one file runs under strace, and the calls must come in the order that makes
 * the file durable before it is visible and the rename durable before the offsets behind it are committed:
 * fsync of the staged file, then the rename, then fsync of the directory that now holds it.
 */
class LocalStoreDurabilityIT {

    private static final Pattern OPEN = Pattern.compile("openat\\(AT_FDCWD, \"([^\"]+)\", [^)]*\\)\\s+=\\s+(\\d+)");
    private static final Pattern FSYNC = Pattern.compile("\\bfsync\\((\\d+)\\)\\s+=\\s+0");
    private static final Pattern RENAME = Pattern.compile("\\brename(?:at2?)?\\((?:AT_FDCWD, )?\"([^\"]+)\", (?:AT_FDCWD, )?\"([^\"]+)\"");

    @Test
    void theFileIsSyncedBeforeItsRenameAndItsDirectoryAfter(@TempDir final Path tmp) throws Exception {
        final Path root = tmp.resolve("lake");
        final Path trace = tmp.resolve("strace.txt");
        final String key = "samples/cluster=c/date=2026-11-27/replwatch.samples+0+0+9.parquet";
        final Process p = new ProcessBuilder("strace", "-f", "-e", "trace=openat,fsync,fdatasync,rename,renameat,renameat2",
                "-o", trace.toString(), Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), PublishOnce.class.getName(), root.toString(), key)
                .redirectErrorStream(true).redirectOutput(tmp.resolve("out.txt").toFile()).start();
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).as("the traced JVM exits").isTrue();
        assertThat(p.exitValue()).as("strace and the JVM (output: %s)", Files.readString(tmp.resolve("out.txt")))
                .isZero();
        final Path target = root.resolve(key).toRealPath();
        final String staged = root.toRealPath().resolve(LocalStore.STAGING).resolve("staged.parquet").toString();
        final String dir = target.getParent().toString();

        final List<String> lines = Files.readAllLines(trace);
        int fileSync = -1;
        int rename = -1;
        int dirSync = -1;
        String fileFd = null;
        String dirFd = null;
        for (int i = 0; i < lines.size(); i++) {
            final String l = lines.get(i);
            final Matcher open = OPEN.matcher(l);
            if (open.find()) {
                if (open.group(1).equals(staged)) {
                    fileFd = open.group(2);
                } else if (open.group(1).equals(dir) && rename >= 0) {
                    dirFd = open.group(2);
                }
            }
            final Matcher sync = FSYNC.matcher(l);
            if (sync.find()) {
                if (sync.group(1).equals(fileFd) && rename < 0) {
                    fileSync = i;
                } else if (sync.group(1).equals(dirFd)) {
                    dirSync = i;
                }
            }
            final Matcher mv = RENAME.matcher(l);
            if (mv.find() && mv.group(1).equals(staged) && mv.group(2).equals(target.toString())) {
                rename = i;
            }
        }
        assertThat(fileSync).as("fsync of the staged file (trace %s)", trace).isNotNegative();
        assertThat(rename).as("the rename into the lake").isGreaterThan(fileSync);
        assertThat(dirSync).as("fsync of %s after the rename", dir).isGreaterThan(rename);
        assertThat(Files.readString(target)).isEqualTo("PAR1 rows PAR1");
    }
}
