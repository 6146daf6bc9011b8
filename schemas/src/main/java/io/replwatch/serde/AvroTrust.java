package io.replwatch.serde;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.avro.util.ClassSecurityValidator;

/**
 * Avro 1.12 refuses to load classes named in schemas unless they are trusted. The serde trusts the packages of
 * the generated classes it is asked to read (and replwatch's own), without widening trust to anything else.
 * Anything that builds records with defaults outside a serde calls {@link #init()} first.
 */
public final class AvroTrust {

    private static final Set<String> PACKAGES = ConcurrentHashMap.newKeySet();

    static {
        PACKAGES.add("io.replwatch.avro");
        final ClassSecurityValidator.ClassSecurityPredicate previous = ClassSecurityValidator.getGlobal();
        ClassSecurityValidator.setGlobal(ClassSecurityValidator.composite(previous,
                c -> PACKAGES.contains(c.getPackageName())));
    }

    private AvroTrust() {
    }

    /** Trusts the package of {@code type} (generated classes of another schema set). */
    public static void trust(final Class<?> type) {
        if (type != null) {
            PACKAGES.add(type.getPackageName());
        }
    }

    /**
     * Makes replwatch's generated classes loadable by Avro: needed before a builder fills a default value of a
     * nested record, and before any decoding. Idempotent; serializers and deserializers call it themselves.
     */
    public static void init() {
        // nothing else to do
    }
}
