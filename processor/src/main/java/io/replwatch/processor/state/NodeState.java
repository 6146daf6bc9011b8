package io.replwatch.processor.state;

import io.replwatch.processor.health.RuleTracker;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/** What the processor remembers about one node (JSON in the node-state store, key {@code cluster/node}). */
public final class NodeState {

    public String cluster;
    public String node;
    public String role;
    public Map<String, String> labels = new HashMap<>();
    public Long lastSampleAt;
    public Long lastSeenWall;
    public Long intervalMs;
    public String status;
    public String message;
    public Integer timeline;
    public Boolean inRecovery;

    /** WAL throughput: the previous position on this timeline, and the open window per size. */
    public Long walPrevLsn;
    public Integer walPrevTimeline;
    public Map<String, WalWindow> walWindows = new HashMap<>();

    /**
     * Standby: recent points {time, replay LSN, lag bytes, primary LSN, timeline} over the lag window, spaced at
     * least a tenth of the window apart (the newest always kept), so the state stays small whatever the poll
     * interval.
     */
    public List<long[]> lagPoints = new ArrayList<>();
    /** Recovery-conflict totals {time, total}, only where the total changed, plus one baseline before the window. */
    public List<long[]> conflictPoints = new ArrayList<>();
    public Long stalledSince;
    public Long replayLagBytes;
    public Long timeLagMs;
    public String trend;

    /** Capacity rollups: the open hour and day, and what the next sample's figures are measured from. */
    public io.replwatch.processor.rollup.Rollups.NodeMemory rollup = new io.replwatch.processor.rollup.Rollups.NodeMemory();

    /** Health. */
    public Map<String, RuleTracker> trackers = new HashMap<>();
    public String state = "UNKNOWN";
    public Long stateSince;
    public List<String> firingRules = new ArrayList<>();
    public Long healthEmittedWall;
    public boolean stale;

    /** One open tumbling window of WAL bytes. */
    public static final class WalWindow {
        public long start;
        public long bytes;
        public int samples;
        public Integer timeline;
    }
}
