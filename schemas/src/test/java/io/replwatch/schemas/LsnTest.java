package io.replwatch.schemas;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class LsnTest {

    @ParameterizedTest
    @CsvSource({
        // text, raw value
        "0/0, 0",
        "0/1, 1",
        "16/B374D848, 97500059720",
        "1/0, 4294967296",
        "FFFFFFFF/FFFFFFFF, -1",
    })
    void parsesAndFormatsRoundTrip(final String text, final long raw) {
        final Lsn lsn = Lsn.parse(text);
        assertThat(lsn.value()).isEqualTo(raw);
        assertThat(lsn.toString()).isEqualTo(text);
        assertThat(Lsn.of(raw)).isEqualTo(lsn);
    }

    @Test
    void acceptsLowerCaseAndLeadingZeros() {
        assertThat(Lsn.parse("00000016/b374d848")).isEqualTo(Lsn.parse("16/B374D848"));
    }

    @ParameterizedTest
    @ValueSource(strings = {"", "/", "16", "16/", "/B374D848", "16/B374D848/1", "G/0", "0/-1", "123456789/0",
        " 16/B374D848", "16/B374 D848"})
    void rejectsMalformedTextQuotingIt(final String text) {
        assertThatThrownBy(() -> Lsn.parse(text))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("'" + text + "'");
    }

    @Test
    void rejectsNull() {
        assertThatThrownBy(() -> Lsn.parse(null)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void comparesUnsignedSoPositionsAboveTwoToTheSixtyThreeStayOrdered() {
        final Lsn high = Lsn.parse("80000000/0");
        final Lsn low = Lsn.parse("7FFFFFFF/FFFFFFFF");
        assertThat(high.value()).isNegative();
        assertThat(high).isGreaterThan(low);
        assertThat(high.minus(low)).isEqualTo(1);
        assertThat(low.minus(high)).isEqualTo(-1);
    }

    @Test
    void subtractsAcrossTheThirtyTwoBitBoundary() {
        assertThat(Lsn.parse("1/0").minus(Lsn.parse("0/FFFFFFFF"))).isEqualTo(1);
        assertThat(Lsn.parse("16/B374D848").minus(Lsn.parse("16/B374D000"))).isEqualTo(0x848);
        assertThat(Lsn.parse("0/10").plus(-16)).isEqualTo(Lsn.INVALID);
    }

    @Test
    void distanceThatOverflowsALongFails() {
        assertThatThrownBy(() -> Lsn.parse("FFFFFFFF/FFFFFFFF").minus(Lsn.INVALID))
                .isInstanceOf(ArithmeticException.class);
    }

    @Test
    void namesTheWalFileLikePostgres() {
        // SELECT pg_walfile_name('16/B374D848') on timeline 1 with 16 MiB segments.
        assertThat(Lsn.parse("16/B374D848").walFileName(1, 16 * 1024 * 1024)).isEqualTo("0000000100000016000000B3");
    }

    @Test
    void invalidIsZero() {
        assertThat(Lsn.INVALID.isValid()).isFalse();
        assertThat(Lsn.parse("0/1").isValid()).isTrue();
        assertThat(Lsn.parse("0/2").isAfter(Lsn.parse("0/1"))).isTrue();
        assertThat(Lsn.format(null)).isNull();
    }

    @ParameterizedTest(name = "{0} behind {1}")
    @CsvSource({
        // ahead, behind, bytes: one row per case of the unsigned arithmetic
        "0/100, 0/40, 192",                              // 1. plain distance
        "0/40, 0/100, 0",                                // 2. behind is ahead: never negative
        "0/40, 0/40, 0",                                 // 3. level
        "80000000/10, 7FFFFFFF/FFFFFFF0, 32",            // 4. across 2^63: signed subtraction is right here...
        "80000000/0, 0/0, 9223372036854775807",          // 5. ... but 2^63 bytes do not fit a long: saturates
        "FFFFFFFF/FFFFFFFF, FFFFFFFF/FFFFFF00, 255",     // 6. both in the upper half
        "0/10, FFFFFFFF/0, 0",                           // 7. signed order would call FFFFFFFF/0 (negative) behind
    })
    void bytesBehindIsUnsignedAndNeverNegative(final String ahead, final String behind, final long bytes) {
        assertThat(Lsn.bytesBehind(Lsn.parse(ahead).value(), Lsn.parse(behind).value())).isEqualTo(bytes);
        assertThat(Lsn.bytesBehindOrNull(Lsn.parse(ahead).value(), null)).isNull();
        assertThat(Integer.signum(Lsn.compare(Lsn.parse(ahead).value(), Lsn.parse(behind).value())))
                .isEqualTo(Integer.signum(Lsn.parse(ahead).compareTo(Lsn.parse(behind))));
    }
}
