package dev.quokka.dataprep.spark;

import static org.apache.spark.sql.functions.col;

import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import org.apache.spark.api.java.JavaRDD;
import org.apache.spark.broadcast.Broadcast;
import org.apache.spark.sql.Dataset;
import org.apache.spark.sql.Row;
import org.apache.spark.sql.RowFactory;
import org.apache.spark.sql.SparkSession;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructType;
import scala.Tuple2;

/**
 * Running sums over a globally ordered dataset without bringing the data to one place: sort by range, sum each
 * partition, and offset each partition by the sums before it. Only one number per partition reaches the driver.
 */
public final class PrefixSums {
    private PrefixSums() {}

    /**
     * Adds {@code rank} (0-based position) and {@code start} (sum of {@code lengthCol} over all earlier rows) in the
     * order of ({@code keyCol}, {@code tieCol}). The order is total, so the result does not depend on partitioning.
     */
    public static Dataset<Row> withRankAndStart(SparkSession spark, Dataset<Row> df, String keyCol, String tieCol,
                                         String lengthCol, int partitions) {
        Dataset<Row> sorted = df.repartitionByRange(partitions, col(keyCol), col(tieCol)).sortWithinPartitions(keyCol, tieCol);
        JavaRDD<Row> rows = sorted.javaRDD();
        int lenIndex = sorted.schema().fieldIndex(lengthCol);
        List<Tuple2<Integer, long[]>> perPartition = rows.mapPartitionsWithIndex((i, it) -> {
            long count = 0, sum = 0;
            while (it.hasNext()) {
                sum += ((Number) it.next().get(lenIndex)).longValue();
                count++;
            }
            List<Tuple2<Integer, long[]>> out = new ArrayList<>();
            out.add(new Tuple2<>(i, new long[] {count, sum}));
            return out.iterator();
        }, true).collect();
        int p = rows.getNumPartitions();
        long[] rankOffset = new long[p + 1], startOffset = new long[p + 1];
        long[][] byIndex = new long[p][];
        perPartition.forEach(t -> byIndex[t._1()] = t._2());
        for (int i = 0; i < p; i++) {
            rankOffset[i + 1] = rankOffset[i] + byIndex[i][0];
            startOffset[i + 1] = startOffset[i] + byIndex[i][1];
        }
        Broadcast<long[][]> offsets = JavaSparkContexts.of(spark).broadcast(new long[][] {rankOffset, startOffset});
        StructType schema = sorted.schema().add("rank", DataTypes.LongType, false).add("start", DataTypes.LongType, false);
        int width = sorted.schema().size();
        JavaRDD<Row> withSums = rows.mapPartitionsWithIndex((i, it) -> new Iterator<Row>() {
            long rank = offsets.value()[0][i], start = offsets.value()[1][i];

            @Override
            public boolean hasNext() {
                return it.hasNext();
            }

            @Override
            public Row next() {
                Row r = it.next();
                Object[] values = new Object[width + 2];
                for (int c = 0; c < width; c++) values[c] = r.get(c);
                values[width] = rank++;
                values[width + 1] = start;
                start += ((Number) r.get(lenIndex)).longValue();
                return RowFactory.create(values);
            }
        }, true);
        return spark.createDataFrame(withSums, schema);
    }
}
