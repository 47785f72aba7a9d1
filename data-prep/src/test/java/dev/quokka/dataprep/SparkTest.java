package dev.quokka.dataprep;

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
import java.util.List;
import java.util.zip.GZIPInputStream;
import org.apache.spark.sql.SparkSession;

/** The one local[2] Spark session all data-prep tests share, and the fixtures they use. */
public final class SparkTest {
    private static SparkSession session;
    private static Tokenizer tokenizer;

    private SparkTest() {}

    public static synchronized SparkSession spark() {
        if (session == null) {
            session = SparkSession.builder().master("local[2]").appName("quokka data-prep tests")
                    .config("spark.ui.enabled", "false")
                    .config("spark.sql.shuffle.partitions", "4")
                    .config("spark.task.maxFailures", "1")
                    .getOrCreate();
        }
        return session;
    }

    /** Lines of a fixture from the tokenizer module's test resources (see its README for the sources). */
    public static List<String> fixtureLines(String resource) {
        try (InputStream raw = SparkTest.class.getResourceAsStream("/" + resource);
             BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(raw), StandardCharsets.UTF_8))) {
            return r.lines().toList();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** A small BPE vocabulary trained on the English fixture, with end-of-document, mask and pad. */
    public static synchronized Tokenizer tokenizer() {
        if (tokenizer == null) {
            BpeTrainer trainer = new BpeTrainer(1024);
            tokenizer = trainer.train(trainer.countWords(fixtureLines("corpus/gutenberg-sample.txt.gz")));
        }
        return tokenizer;
    }

    public static Path writeTokenizer(Path dir) throws IOException {
        Path p = dir.resolve("tokenizer.json");
        Files.write(p, TokenizerJson.toBytes(tokenizer()));
        return p;
    }
}
