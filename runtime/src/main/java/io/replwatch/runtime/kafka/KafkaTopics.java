package io.replwatch.runtime.kafka;

import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.common.errors.TopicExistsException;

/** Creating the topics a service needs when they are missing, the same way in every service. */
public final class KafkaTopics {

    /** A topic to have: its name, partitions (empty: the broker's default) and topic configs. */
    public record Spec(String name, Optional<Integer> partitions, Map<String, String> configs) {

        public static Spec of(final String name) {
            return new Spec(name, Optional.empty(), Map.of());
        }

        public Spec partitions(final int n) {
            return new Spec(name, Optional.of(n), configs);
        }

        public Spec configs(final Map<String, String> c) {
            return new Spec(name, partitions, c);
        }
    }

    private KafkaTopics() {
    }

    /**
     * Creates the topics of {@code wanted} that do not exist yet (with the broker's replication factor); a topic
     * another instance created meanwhile is fine. Returns the names created.
     *
     * @param client Kafka client properties (bootstrap.servers, security ...)
     * @throws IllegalStateException naming the bootstrap servers when Kafka cannot be reached within {@code timeout}
     */
    public static List<String> ensure(final Map<String, ?> client, final List<Spec> wanted, final Duration timeout) {
        final Map<String, Object> admin = new HashMap<>(client);
        admin.putIfAbsent(AdminClientConfig.DEFAULT_API_TIMEOUT_MS_CONFIG, (int) timeout.toMillis());
        // The admin client refuses a request timeout above its API timeout (30 s by default).
        admin.putIfAbsent(AdminClientConfig.REQUEST_TIMEOUT_MS_CONFIG, (int) Math.min(timeout.toMillis(), 30_000));
        try (Admin a = Admin.create(admin)) {
            final Set<String> existing = a.listTopics().names().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            final List<NewTopic> create = new ArrayList<>();
            for (final Spec s : wanted) {
                if (!existing.contains(s.name())) {
                    create.add(new NewTopic(s.name(), s.partitions(), Optional.empty()).configs(s.configs()));
                }
            }
            if (!create.isEmpty()) {
                try {
                    a.createTopics(create).all().get(timeout.toMillis(), TimeUnit.MILLISECONDS);
                } catch (final ExecutionException e) {
                    if (!(e.getCause() instanceof TopicExistsException)) {
                        throw e;
                    }
                }
            }
            return create.stream().map(NewTopic::name).toList();
        } catch (final InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("Interrupted while checking topics", e);
        } catch (final ExecutionException | TimeoutException e) {
            throw new IllegalStateException("Cannot reach Kafka at " + client.get("bootstrap.servers")
                    + " to check topics: " + e.getMessage(), e);
        }
    }
}
