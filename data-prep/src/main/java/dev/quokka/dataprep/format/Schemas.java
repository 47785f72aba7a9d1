package dev.quokka.dataprep.format;

import static org.apache.spark.sql.types.DataTypes.IntegerType;
import static org.apache.spark.sql.types.DataTypes.LongType;
import static org.apache.spark.sql.types.DataTypes.StringType;
import static org.apache.spark.sql.types.DataTypes.createArrayType;
import static org.apache.spark.sql.types.DataTypes.createStructField;
import static org.apache.spark.sql.types.DataTypes.createStructType;

import java.util.List;
import org.apache.spark.sql.types.StructType;

/** The Parquet and intermediate schemas of data-prep. */
public final class Schemas {
    private Schemas() {}

    /** A tokenized document, as {@code quokka tokenize} writes it: tokens end with end-of-document. */
    public static final StructType DOCS = createStructType(List.of(
            createStructField("doc_id", LongType, false),
            createStructField("source", StringType, false),
            createStructField("position", LongType, false),
            createStructField("n_tokens", IntegerType, false),
            createStructField("tokens", createArrayType(IntegerType, false), false)));

    /** A record as read: its text, or why it could not be read. */
    static final StructType RAW = createStructType(List.of(
            createStructField("source", StringType, false),
            createStructField("position", LongType, false),
            createStructField("text", StringType, true),
            createStructField("reason", StringType, true),
            createStructField("detail", StringType, true),
            createStructField("record", StringType, true)));

    /** A rejected record in {@code _rejected/}. */
    static final List<String> REJECTED_COLUMNS = List.of("source", "position", "reason", "detail", "record");
}
