package dev.quokka.dataprep.spark;

import java.util.UUID;
import java.util.function.Supplier;
import org.apache.spark.JobExecutionStatus;
import org.apache.spark.SparkJobInfo;
import org.apache.spark.SparkStageInfo;
import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.api.java.JavaSparkStatusTracker;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a Spark action whose tasks write files themselves. When one task fails, Spark fails the job at once and only
 * asks the others to stop; a task still writing could then recreate a directory the caller is cleaning up. So on
 * failure this waits until every task of the action has ended before it rethrows.
 */
public final class Stragglers {
    private static final Logger LOG = LoggerFactory.getLogger(Stragglers.class);
    private static final long WAIT_MILLIS = 120_000;

    private Stragglers() {}

    public static <T> T awaitOnFailure(JavaSparkContext sc, String description, Supplier<T> action) {
        String group = "quokka-" + UUID.randomUUID();
        sc.setJobGroup(group, description, true); // interrupt the other tasks when the job fails
        try {
            return action.get();
        } catch (Throwable e) { // including the SparkException that Scala throws unchecked
            awaitQuiet(sc.statusTracker(), group);
            throw e;
        } finally {
            sc.clearJobGroup();
        }
    }

    /**
     * Status events arrive in order, so once a job shows as ended its tasks' starts are known, and a task counts as
     * active until it has really stopped.
     */
    private static void awaitQuiet(JavaSparkStatusTracker status, String group) {
        long deadline = System.currentTimeMillis() + WAIT_MILLIS;
        while (System.currentTimeMillis() < deadline) {
            boolean busy = false;
            for (int job : status.getJobIdsForGroup(group)) {
                SparkJobInfo info = status.getJobInfo(job);
                if (info == null) continue;
                if (info.status() == JobExecutionStatus.RUNNING) busy = true;
                for (int stage : info.stageIds()) {
                    SparkStageInfo s = status.getStageInfo(stage);
                    if (s != null && s.numActiveTasks() > 0) busy = true;
                }
            }
            if (!busy) return;
            try {
                Thread.sleep(20);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
        LOG.warn("tasks of the failed job {} were still running after {} s", group, WAIT_MILLIS / 1000);
    }
}
