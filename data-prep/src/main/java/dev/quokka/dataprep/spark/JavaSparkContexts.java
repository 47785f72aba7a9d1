package dev.quokka.dataprep.spark;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

public final class JavaSparkContexts {
    private JavaSparkContexts() {}

    public static JavaSparkContext of(SparkSession spark) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }
}
