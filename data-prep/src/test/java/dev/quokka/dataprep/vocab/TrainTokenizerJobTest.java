package dev.quokka.dataprep.vocab;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.quokka.dataprep.SparkTest;
import dev.quokka.dataprep.provenance.OutputExistsException;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.tokenizer.BpeTrainer;
import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class TrainTokenizerJobTest {
    @TempDir
    Path dir;

    @Test
    void sparkCountsTrainTheSameVocabularyAsLocalCounts() throws Exception {
        List<String> lines = SparkTest.fixtureLines("corpus/europarl-sample.txt.gz");
        Path in = dir.resolve("europarl.txt");
        Files.write(in, lines, StandardCharsets.UTF_8);
        Path out = dir.resolve("tok/tokenizer.json");
        TokenizeConfig input = new TokenizeConfig(List.of(in.toString()), TokenizeConfig.Format.LINES, "text", false, "",
                out.toString(), false, true, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        Tokenizer spark = TrainTokenizerJob.run(SparkTest.spark(),
                new TrainTokenizerJob.Config(input, 1500, "gpt2", BpeTrainer.DEFAULT_SPECIALS, 2, TrainTokenizerJob.DEFAULT_MAX_WORDS)).tokenizer();
        BpeTrainer local = new BpeTrainer(1500);
        Tokenizer expected = local.train(local.countWords(lines));
        assertArrayEquals(TokenizerJson.toBytes(expected), TokenizerJson.toBytes(spark));
        assertArrayEquals(TokenizerJson.toBytes(expected), Files.readAllBytes(out), "the file holds the same tokenizer");
        JsonNode m = new ObjectMapper().readTree(dir.resolve("tok/tokenizer.json.manifest.json").toFile());
        assertEquals(TokenizerJson.sha256(spark), m.get("tokenizer_sha256").asText());
        assertTrue(m.get("distinct_words").asLong() > 1000);
        assertEquals(1, m.get("inputs").size());
    }

    @Test
    void aTokenizerFromTheSameInputsIsKeptAndChangedTextNeedsOverwrite() throws Exception {
        Path in = dir.resolve("reuse.txt");
        Files.write(in, SparkTest.fixtureLines("corpus/europarl-sample.txt.gz").subList(0, 120), StandardCharsets.UTF_8);
        Path out = dir.resolve("reuse/tokenizer.json");
        TrainTokenizerJob.Config cfg = config(in.toString(), out, false);
        TrainTokenizerJob.Result first = TrainTokenizerJob.run(SparkTest.spark(), cfg);
        assertFalse(first.upToDate());
        long written = Files.getLastModifiedTime(out).toMillis();

        TrainTokenizerJob.Result again = TrainTokenizerJob.run(SparkTest.spark(), cfg);
        assertTrue(again.upToDate());
        assertArrayEquals(TokenizerJson.toBytes(first.tokenizer()), TokenizerJson.toBytes(again.tokenizer()));
        assertEquals(written, Files.getLastModifiedTime(out).toMillis(), "the file was left alone");

        // The same file by a relative path is the same request.
        String relative = Path.of("").toAbsolutePath().relativize(in).toString();
        assertTrue(TrainTokenizerJob.run(SparkTest.spark(), config(relative, out, false)).upToDate(), relative);

        // Same path and settings, other text: the checksums differ, so the tokenizer is not this request's. It is
        // kept unless told to replace it, and then trained again.
        Files.write(in, SparkTest.fixtureLines("corpus/europarl-sample.txt.gz").subList(120, 240), StandardCharsets.UTF_8);
        OutputExistsException e = assertThrows(OutputExistsException.class, () -> TrainTokenizerJob.run(SparkTest.spark(), cfg));
        assertTrue(e.getMessage().contains("made from other inputs or settings; use --overwrite"), e.getMessage());
        assertArrayEquals(TokenizerJson.toBytes(first.tokenizer()), Files.readAllBytes(out), "the refused run left the file alone");
        TrainTokenizerJob.Result changed = TrainTokenizerJob.run(SparkTest.spark(), config(in.toString(), out, true));
        assertFalse(changed.upToDate());
        assertFalse(java.util.Arrays.equals(TokenizerJson.toBytes(first.tokenizer()), Files.readAllBytes(out)));
    }

    private static TrainTokenizerJob.Config config(String in, Path out, boolean overwrite) {
        TokenizeConfig input = new TokenizeConfig(List.of(in), TokenizeConfig.Format.LINES, "text", false, "",
                out.toString(), false, overwrite, TokenizeConfig.DEFAULT_MAX_DOCUMENT_BYTES);
        return new TrainTokenizerJob.Config(input, 600, "gpt2", BpeTrainer.DEFAULT_SPECIALS, 2, TrainTokenizerJob.DEFAULT_MAX_WORDS);
    }
}
