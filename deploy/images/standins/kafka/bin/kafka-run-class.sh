#!/bin/bash
# The stand-in's kafka-run-class.sh: the distribution's jars are Maven Central's, logging is logback to stdout.
exec java ${KAFKA_HEAP_OPTS:--Xmx512m} ${KAFKA_JVM_PERFORMANCE_OPTS:--XX:+UseG1GC} ${KAFKA_OPTS:-} \
  -Dlogback.configurationFile=/opt/kafka/config/logback.xml -cp "/opt/kafka/libs/*" "$@"
