package io.replwatch.lake.store;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;

/** A lake in a local directory; staging lives inside it (same filesystem, so the final move is atomic). */
public final class LocalStore implements LakeStore {

    static final String STAGING = ".staging";
    private final Path root;

    public LocalStore(final Path root) throws IOException {
        this.root = root.toAbsolutePath();
        Files.createDirectories(this.root.resolve(STAGING));
    }

    @Override
    public void publish(final Path file, final String key) throws IOException {
        final Path target = root.resolve(key);
        Files.createDirectories(target.getParent());
        // Durable before visible: the bytes reach the disk, then the rename publishes them.
        try (var ch = java.nio.channels.FileChannel.open(file, java.nio.file.StandardOpenOption.WRITE)) {
            ch.force(true);
        }
        Files.move(file, target, StandardCopyOption.ATOMIC_MOVE);
        // The rename itself is durable only once the directory holding it is: after a power loss the file would
        // otherwise be gone although its offsets were committed.
        forceDirectory(target.getParent());
    }

    /** fsync of a directory (Linux and macOS allow opening a directory for reading and forcing it). */
    static void forceDirectory(final Path dir) throws IOException {
        try (var ch = java.nio.channels.FileChannel.open(dir, java.nio.file.StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    @Override
    public void delete(final String key) throws IOException {
        Files.deleteIfExists(root.resolve(key));
    }

    @Override
    public List<String> list(final String prefix) throws IOException {
        final Path dir = root.resolve(prefix);
        final List<String> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.filter(Files::isRegularFile).filter(p -> p.toString().endsWith(".parquet"))
                    .forEach(p -> out.add(root.relativize(p).toString().replace('\\', '/')));
        }
        return out;
    }

    /** Only the directories whose names start with the prefix's last part are walked, not the whole table. */
    @Override
    public boolean anyKeyStartingWith(final String keyPrefix) throws IOException {
        final int slash = keyPrefix.lastIndexOf('/');
        final Path dir = slash < 0 ? root : root.resolve(keyPrefix.substring(0, slash));
        final String stem = keyPrefix.substring(slash + 1);
        if (!Files.isDirectory(dir)) {
            return false;
        }
        try (Stream<Path> children = Files.list(dir)) {
            for (final Path c : (Iterable<Path>) children.filter(p -> p.getFileName().toString().startsWith(stem))::iterator) {
                try (Stream<Path> walk = Files.walk(c)) {
                    if (walk.anyMatch(p -> Files.isRegularFile(p) && p.toString().endsWith(".parquet"))) {
                        return true;
                    }
                }
            }
        }
        return false;
    }

    @Override
    public Path staging() {
        return root.resolve(STAGING);
    }

    @Override
    public String describe() {
        return root.toString();
    }

    public Path root() {
        return root;
    }
}
