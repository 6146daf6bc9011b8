package io.replwatch.runtime.config;

import java.util.List;

/** A configuration with problems: every problem found, each naming where it is. Commands exit 2 on it. */
public class InvalidConfigException extends RuntimeException {

    private final List<String> problems;

    public InvalidConfigException(final String source, final List<String> problems) {
        super("Invalid configuration" + (source == null ? "" : " in " + source) + " (" + problems.size()
                + (problems.size() == 1 ? " problem" : " problems") + "):\n  - " + String.join("\n  - ", problems));
        this.problems = List.copyOf(problems);
    }

    public List<String> problems() {
        return problems;
    }
}
