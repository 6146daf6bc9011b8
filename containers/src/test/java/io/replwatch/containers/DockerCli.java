package io.replwatch.containers;

import java.nio.file.Files;
import java.nio.file.Path;

/** The docker command line: Debian's docker.io client when installed (it builds without BuildKit), else PATH's. */
final class DockerCli {

    private DockerCli() {
    }

    static String binary() {
        return Files.isExecutable(Path.of("/usr/bin/docker")) ? "/usr/bin/docker" : "docker";
    }
}
