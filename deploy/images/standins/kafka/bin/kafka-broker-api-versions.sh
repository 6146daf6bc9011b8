#!/bin/bash
KAFKA_HEAP_OPTS=${KAFKA_HEAP_OPTS_TOOLS:--Xmx128m} KAFKA_JVM_PERFORMANCE_OPTS="-XX:+UseSerialGC -XX:TieredStopAtLevel=1" \
  exec "$(dirname "$0")/kafka-run-class.sh" org.apache.kafka.tools.BrokerApiVersionsCommand "$@"
