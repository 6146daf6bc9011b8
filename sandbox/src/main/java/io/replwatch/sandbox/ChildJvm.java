package io.replwatch.sandbox;

import java.io.File;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/** Launches a child JVM with this JVM's java and classpath, output to a log file. */
final class ChildJvm {

    private ChildJvm() {
    }

    /**
     * The classpath of this JVM. Under surefire/failsafe {@code java.class.path} is a manifest-only jar, and the
     * real one is in {@code surefire.test.class.path}.
     */
    static String classpath() {
        final String surefire = System.getProperty("surefire.test.class.path");
        return surefire != null && !surefire.isBlank() ? surefire : System.getProperty("java.class.path");
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }

    /** Asks the process to stop, then kills it if it has not within 10 s. */
    static void stop(final Process process) {
        if (process == null || !process.isAlive()) {
            return;
        }
        process.destroy();
        try {
            if (!process.waitFor(10, java.util.concurrent.TimeUnit.SECONDS)) {
                process.destroyForcibly();
                process.waitFor(5, java.util.concurrent.TimeUnit.SECONDS);
            }
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            process.destroyForcibly();
        }
    }

    static Process start(final List<String> jvmArgs, final List<String> command, final Path log, final Path workDir) {
        final List<String> cmd = new ArrayList<>();
        cmd.add(javaBinary());
        cmd.addAll(jvmArgs);
        cmd.addAll(command);
        final ProcessBuilder pb = new ProcessBuilder(cmd)
                .directory(workDir.toFile())
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")));
        // The child gets its classpath through the environment so that `ps` stays readable.
        pb.environment().put("CLASSPATH", classpath());
        try {
            return pb.start();
        } catch (final IOException e) {
            throw new SandboxException("Cannot start " + String.join(" ", command) + ": " + e.getMessage(), e);
        }
    }
}
