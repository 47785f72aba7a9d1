package dev.quokka.jobs.runtime;

import java.util.function.Consumer;
import org.apache.spark.SparkConf;
import org.apache.spark.sql.SparkSession;

/**
 * The one Spark session of a quokka process. The master is {@code --master} if given, else whatever spark-submit
 * configured, else {@code local[*]}, so a job takes the same arguments on a laptop and on a cluster.
 */
public final class SparkSessions {
    private static String master;
    private static SparkSession session;

    private SparkSessions() {}

    public static synchronized void setMaster(String url) {
        master = url;
    }

    /** A command's own default master, when neither --master nor spark-submit gave one. */
    public static synchronized void setMasterIfUnset(String url) {
        if (master == null && !new SparkConf().contains("spark.master")) master = url;
    }

    public static synchronized SparkSession get(String appName) {
        return get(appName, conf -> {});
    }

    /** The session; {@code defaults} may add settings to its conf when this call creates it. */
    public static synchronized SparkSession get(String appName, Consumer<SparkConf> defaults) {
        if (session == null) {
            SparkConf conf = new SparkConf(); // picks up the spark.* properties spark-submit sets
            if (master != null) conf.setMaster(master);
            else if (!conf.contains("spark.master")) conf.setMaster("local[*]");
            defaults.accept(conf);
            if (conf.get("spark.master").startsWith("local")) conf.setIfMissing("spark.ui.enabled", "false");
            session = SparkSession.builder().config(conf).appName(appName).getOrCreate();
        }
        return session;
    }

    public static synchronized void stop() {
        if (session != null) {
            session.stop();
            session = null;
        }
    }
}
