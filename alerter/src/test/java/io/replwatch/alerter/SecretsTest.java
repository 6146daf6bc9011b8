package io.replwatch.alerter;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.replwatch.alerter.config.AlerterConfig;
import io.replwatch.alerter.delivery.AlerterMetrics;
import io.replwatch.alerter.delivery.ReceiverQueue;
import io.replwatch.avro.DeadLetter;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * Receiver URLs, tokens and routing keys never reach logs, errors, dead letters or metrics: every receiver type
 * is made to fail (refused, 500s, 400) while every log line is captured.
 */
class SecretsTest {

    @Test
    void noSecretInLogsErrorsDeadLettersOrMetrics() throws Exception {
        final ListAppender<ILoggingEvent> logs = new ListAppender<>();
        logs.start();
        final Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
        root.addAppender(logs);
        try (LocalHttpServer failing = new LocalHttpServer().script(n -> LocalHttpServer.Answer.status(n % 2 == 0 ? 500 : 400))) {
            final String base = "http://127.0.0.1:" + failing.uri("").getPort();
            final String yaml = """
                    kafka: {bootstrap.servers: "localhost:9092"}
                    schema_registry: {url: "mock://secrets"}
                    route: {receiver: slack}
                    receivers:
                      - {name: slack, type: slack, url: "%1$s/services/T000/B000/SLACKSECRET", max_attempts: 2, initial_backoff: 1ms}
                      - {name: teams, type: teams, url: "%1$s/workflows/TEAMSSECRET?sig=SIGSECRET", max_attempts: 2, initial_backoff: 1ms}
                      - {name: discord, type: discord, url: "%1$s/api/webhooks/1/DISCORDSECRET", max_attempts: 2, initial_backoff: 1ms}
                      - {name: pd, type: pagerduty, url: "%1$s/v2/enqueue", routing_key: PDROUTINGSECRET, max_attempts: 2, initial_backoff: 1ms}
                      - {name: am, type: alertmanager, url: "http://user:AMPASSWORDSECRET@127.0.0.1:1", max_attempts: 2, initial_backoff: 1ms}
                      - {name: hook, type: webhook, url: "http://127.0.0.1:1/hook?token=HOOKSECRET", hmac_secret: HMACSECRET, max_attempts: 2, initial_backoff: 1ms}
                    """.formatted(base);
            final AlerterConfig cfg = AlerterConfig.parse(yaml, k -> null);
            final List<DeadLetter> dead = new CopyOnWriteArrayList<>();
            final PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            final AlerterMetrics metrics = new AlerterMetrics(registry);
            final List<String> errors = new CopyOnWriteArrayList<>();
            final CountDownLatch done = new CountDownLatch(cfg.receivers().size());
            for (final String name : cfg.receivers().keySet()) {
                final var receiver = cfg.receivers().get(name).apply(Clock.systemUTC());
                errors.add(String.valueOf(receiver.send(Fixtures.notification(true)).error()));
                errors.add(receiver.toString());
                final ReceiverQueue q = new ReceiverQueue(receiver, cfg.receiverSettings().get(name),
                        (k, l, d) -> {
                            dead.add(l);
                            d.run();
                        }, metrics, Clock.systemUTC());
                q.submit(Fixtures.notification(true), done::countDown);
            }
            assertThat(done.await(60, TimeUnit.SECONDS)).isTrue();
            assertThat(dead).hasSize(cfg.receivers().size());
            final StringBuilder everything = new StringBuilder();
            logs.list.forEach(e -> everything.append(e.getFormattedMessage()).append('\n')
                    .append(e.getThrowableProxy() == null ? "" : e.getThrowableProxy().getMessage()).append('\n'));
            errors.forEach(e -> everything.append(e).append('\n'));
            dead.forEach(d -> everything.append(d.getReason()).append(d.getHeaders())
                    .append(new String(d.getValue().array(), StandardCharsets.UTF_8)).append('\n'));
            everything.append(registry.scrape());
            assertThat(everything.toString()).contains("receiver 'slack'").contains("receiver 'pd'");
            for (final String secret : List.of("SLACKSECRET", "TEAMSSECRET", "SIGSECRET", "DISCORDSECRET",
                    "PDROUTINGSECRET", "AMPASSWORDSECRET", "HOOKSECRET", "HMACSECRET", "127.0.0.1")) {
                assertThat(everything.toString()).as("no %s anywhere", secret).doesNotContain(secret);
            }
        } finally {
            root.detachAppender(logs);
        }
    }
}
