package dev.quokka.dataprep.tokenize;

import dev.quokka.tokenizer.Tokenizer;
import dev.quokka.tokenizer.TokenizerJson;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.Path;

/** A tokenizer.json on any Hadoop FileSystem (file://, hdfs://, s3a://), which TokenizerJson.load cannot read. */
public final class TokenizerFiles {
    private TokenizerFiles() {}

    public static Tokenizer load(String uri, Configuration conf) throws IOException {
        Path p = new Path(uri);
        try (var in = p.getFileSystem(conf).open(p)) {
            return TokenizerJson.parse(new String(in.readAllBytes(), StandardCharsets.UTF_8));
        } catch (java.io.FileNotFoundException e) {
            throw new IllegalArgumentException(uri + ": no such tokenizer file");
        }
    }
}
