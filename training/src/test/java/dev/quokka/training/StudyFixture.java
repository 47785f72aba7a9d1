package dev.quokka.training;

import dev.quokka.dataprep.shard.ShardJob;
import dev.quokka.dataprep.shard.StudyConfig;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.hadoop.conf.Configuration;
import org.apache.spark.sql.SparkSession;

/**
 * A study of real English text for training tests, built once per test JVM with the real jobs: the Gutenberg and
 * State of the Union fixtures (tokenizer module's test resources), a 512-token BPE vocabulary with a mask token,
 * U = 60,000 tokens over 4 epochs in sequences of 64 + 1, and a 10% validation hold-out; and {@link #longStudy}.
 */
final class StudyFixture {
    static final int SEQ_LEN = 64, LONG_UNIQUE = 120_000, LONG_EPOCHS = 16;
    private static Path dir;

    private StudyFixture() {}

    static synchronized Path dir() {
        if (dir == null) {
            try {
                dir = build();
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
        return dir;
    }

    static String study() {
        return dir().resolve("study").toString();
    }

    /** Nearly all the fixture's training text, U = 120,000 tokens, over 16 epochs: 1.92M tokens, enough for a DLM to learn. */
    static String longStudy() {
        return dir().resolve("long-study").toString();
    }

    /** U = 4,000 tokens over 24 epochs in sequences of 32 + 1: small enough for AR to overfit within seconds. */
    static String smallStudy() {
        return dir().resolve("small-study").toString();
    }

    static String tokenizer() {
        return dir().resolve("tokenizer.json").toString();
    }

    static Configuration conf() {
        return new Configuration();
    }

    private static Path build() throws IOException {
        Path d = Files.createTempDirectory("quokka-train");
        List<String> lines = new ArrayList<>(lines("corpus/gutenberg-sample.txt.gz"));
        lines.addAll(lines("corpus/sotu-sample.txt.gz"));
        lines.removeIf(String::isBlank);
        Path text = d.resolve("english.txt");
        Files.write(text, lines, StandardCharsets.UTF_8);
        BpeTrainer trainer = new BpeTrainer(512);
        Tokenizer tokenizer = trainer.train(trainer.countWords(lines));
        Files.write(d.resolve("tokenizer.json"), TokenizerJson.toBytes(tokenizer));
        SparkSession spark = SparkSession.builder().master("local[2]").appName("quokka training tests")
                .config("spark.ui.enabled", "false").config("spark.sql.shuffle.partitions", "4").getOrCreate();
        TokenizeJob.run(spark, new TokenizeConfig(List.of(text.toString()), TokenizeConfig.Format.LINES, "text", false,
                d.resolve("tokenizer.json").toString(), d.resolve("docs").toString(), false, false, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES));
        ShardJob.run(spark, new StudyConfig(d.resolve("docs").toString(), d.resolve("study").toString(), 60_000, 4, SEQ_LEN, 1,
                0.1, 0, false, false));
        ShardJob.run(spark, new StudyConfig(d.resolve("docs").toString(), d.resolve("long-study").toString(), LONG_UNIQUE, LONG_EPOCHS,
                SEQ_LEN, 1, 0.1, 0, false, false));
        ShardJob.run(spark, new StudyConfig(d.resolve("docs").toString(), d.resolve("small-study").toString(), 4_000, 24, 32, 1, 0.1, 0, false, false));
        return d;
    }

    private static List<String> lines(String resource) throws IOException {
        try (InputStream raw = StudyFixture.class.getResourceAsStream("/" + resource);
             BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        }
    }
}
