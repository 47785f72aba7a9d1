package dev.quokka.jobs;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/**
 * Inputs the jobs' tests build studies from: real English from the tokenizer module's fixtures (Project Gutenberg and
 * State of the Union samples, credited in tokenizer/src/test/resources/README.md), a BPE vocabulary trained on it,
 * and the corpus tokenized by the real command.
 */
public final class JobFixtures {
    private JobFixtures() {}

    /** The Gutenberg and State of the Union samples, one document per non-blank line. */
    public static List<String> english() throws IOException {
        List<String> lines = new ArrayList<>(lines("corpus/gutenberg-sample.txt.gz"));
        lines.addAll(lines("corpus/sotu-sample.txt.gz"));
        lines.removeIf(String::isBlank);
        return lines;
    }

    /** Writes {@code lines} as a text file and a {@code vocab}-token BPE vocabulary trained on them. */
    public static Path tokenizer(List<String> lines, int vocab, Path text, Path tokenizer) throws IOException {
        Files.write(text, lines, StandardCharsets.UTF_8);
        BpeTrainer trainer = new BpeTrainer(vocab);
        Tokenizer t = trainer.train(trainer.countWords(lines));
        Files.write(tokenizer, TokenizerJson.toBytes(t));
        return tokenizer;
    }

    /** `quokka tokenize` of a one-document-per-line file, in this JVM's Spark. */
    static void tokenize(Path text, Path tokenizer, Path docs) {
        CliTest.Result r = CliTest.run("tokenize", "--master", "local[2]", "--input", text.toString(), "--format", "lines",
                "--tokenizer", tokenizer.toString(), "--output", docs.toString());
        assertEquals(0, r.code(), r.err());
    }

    static List<String> lines(String resource) throws IOException {
        try (var in = JobFixtures.class.getClassLoader().getResourceAsStream(resource)) {
            if (in == null) throw new IOException("no test resource " + resource);
            try (BufferedReader r = new BufferedReader(new InputStreamReader(new GZIPInputStream(in), StandardCharsets.UTF_8))) {
                return r.lines().toList();
            }
        }
    }
}
