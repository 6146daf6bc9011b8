package io.replwatch.runtime.config;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Duration;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class DurationsTest {

    @ParameterizedTest
    @CsvSource({"500ms, 500", "5s, 5000", "2m, 120000", "1h30m, 5400000", "1m30s, 90000", "PT5S, 5000", "1d, 86400000"})
    void parses(final String text, final long millis) {
        assertThat(Durations.parse(text)).isEqualTo(Duration.ofMillis(millis));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "5", "s", "5 s", "5x", "-5s", "5s3", "PTX"})
    void rejectsQuoting(final String text) {
        assertThatThrownBy(() -> Durations.parse(text)).hasMessageContaining("'" + text + "'");
    }

    @ParameterizedTest
    @CsvSource({"90000, 1m30s", "250, 250ms", "3600000, 1h", "0, 0s"})
    void formats(final long millis, final String text) {
        assertThat(Durations.format(Duration.ofMillis(millis))).isEqualTo(text);
    }
}
