package dev.quokka.dataprep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
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
                new TrainTokenizerJob.Config(input, 1500, "gpt2", BpeTrainer.DEFAULT_SPECIALS, 2, TrainTokenizerJob.DEFAULT_MAX_WORDS));
        BpeTrainer local = new BpeTrainer(1500);
        Tokenizer expected = local.train(local.countWords(lines));
        assertArrayEquals(TokenizerJson.toBytes(expected), TokenizerJson.toBytes(spark));
        assertArrayEquals(TokenizerJson.toBytes(expected), Files.readAllBytes(out), "the file holds the same tokenizer");
        JsonNode m = new ObjectMapper().readTree(dir.resolve("tok/tokenizer.json.manifest.json").toFile());
        assertEquals(TokenizerJson.sha256(spark), m.get("tokenizer_sha256").asText());
        assertTrue(m.get("distinct_words").asLong() > 1000);
        assertEquals(1, m.get("inputs").size());
    }
}
