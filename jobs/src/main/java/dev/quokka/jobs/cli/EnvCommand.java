package dev.quokka.jobs.cli;

import dev.quokka.jobs.runtime.SparkSessions;
import dev.quokka.jobs.runtime.Version;
import dev.quokka.training.engines.Engines;
import java.util.concurrent.Callable;
import org.apache.spark.sql.SparkSession;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** Checks the runtime: Java, a Spark session on the chosen master running a small job, and ND4J's backend. */
@Command(name = "env", mixinStandardHelpOptions = true,
        description = "Print the Java, Spark and ND4J environment, and run a small Spark job on the master.")
public final class EnvCommand implements Callable<Integer> {
    @Option(names = "--no-spark", description = "Skip starting Spark.") boolean noSpark;
    @Option(names = "--no-nd4j", description = "Skip loading ND4J.") boolean noNd4j;

    @Override
    public Integer call() {
        Runtime rt = Runtime.getRuntime();
        System.out.printf("%-28s %s%n", "quokka", new Version().getVersion()[0]);
        System.out.printf("%-28s %s (%s)%n", "java", System.getProperty("java.version"), System.getProperty("java.vendor"));
        System.out.printf("%-28s %d cores, max heap %d MB%n", "machine", rt.availableProcessors(), rt.maxMemory() >> 20);
        if (!noSpark) {
            SparkSession spark = SparkSessions.get("quokka env");
            long sum = spark.range(0, 1_000_000).selectExpr("sum(id)").first().getLong(0);
            System.out.printf("%-28s %s%n", "spark", spark.version());
            System.out.printf("%-28s %s%n", "spark.master", spark.sparkContext().master());
            System.out.printf("%-28s %d%n", "spark.defaultParallelism", spark.sparkContext().defaultParallelism());
            System.out.printf("%-28s %s%n", "spark job (sum 0..999999)", sum == 499_999_500_000L ? "ok" : "WRONG: " + sum);
        }
        if (!noNd4j) Engines.describe().forEach((k, v) -> System.out.printf("%-28s %s%n", k, v));
        return 0;
    }
}
