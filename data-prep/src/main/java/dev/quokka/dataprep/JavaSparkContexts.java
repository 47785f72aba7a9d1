package dev.quokka.dataprep;

import org.apache.spark.api.java.JavaSparkContext;
import org.apache.spark.sql.SparkSession;

final class JavaSparkContexts {
    private JavaSparkContexts() {}

    static JavaSparkContext of(SparkSession spark) {
        return JavaSparkContext.fromSparkContext(spark.sparkContext());
    }
}
