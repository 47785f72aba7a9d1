package dev.quokka.jobs.cli;

import dev.quokka.dataprep.provenance.DocsManifest;
import dev.quokka.dataprep.provenance.ManifestJson;
import dev.quokka.dataprep.tokenize.TokenizeConfig;
import dev.quokka.dataprep.tokenize.TokenizeJob;
import dev.quokka.jobs.runtime.SparkSessions;
import java.util.List;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

@Command(name = "tokenize", mixinStandardHelpOptions = true,
        description = {"Tokenize corpora into a Parquet dataset of documents (doc_id, source, position, n_tokens, tokens "
                + "ending with end-of-document), with _manifest.json. Paths are Hadoop FileSystem URIs (file://, hdfs://, "
                + "s3a://), globs or directories; .gz, .bz2 and .zst files are decompressed.",
                "Bad records fail the job, naming the file and byte offset, unless --lenient puts them in _rejected/. "
                + "Empty documents are counted, not written. A rerun over a complete output with the same inputs is a no-op."})
public final class TokenizeCommand implements Callable<Integer> {
    @Option(names = "--input", required = true, arity = "1..*", description = "Input paths, globs or directories") List<String> inputs;
    @Option(names = "--format", required = true,
            description = "text (a document per file, or per paragraph with --paragraphs), lines, jsonl or parquet") String format;
    @Option(names = "--text-field", defaultValue = "text", description = "JSONL field or Parquet column with the text (default: ${DEFAULT-VALUE})") String textField;
    @Option(names = "--paragraphs", description = "text format: one document per blank-line separated paragraph") boolean paragraphs;
    @Option(names = "--tokenizer", required = true, description = "tokenizer.json (any Hadoop FileSystem URI)") String tokenizer;
    @Option(names = "--output", required = true, description = "Output directory") String output;
    @Option(names = "--lenient", description = "Quarantine bad records in _rejected/ and count them, instead of failing") boolean lenient;
    @Option(names = "--overwrite", description = "Replace an existing output made from other inputs or settings") boolean overwrite;
    @Option(names = "--max-document-bytes", defaultValue = "67108864",
            description = "Larger documents are bad records (default: ${DEFAULT-VALUE})") long maxDocumentBytes;

    static TokenizeConfig.Format format(String name) {
        try {
            return TokenizeConfig.Format.valueOf(name.toUpperCase());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("--format must be text, lines, jsonl or parquet, not '" + name + "'");
        }
    }

    @Override
    public Integer call() throws Exception {
        TokenizeConfig.Format f = format(format);
        TokenizeConfig cfg = new TokenizeConfig(inputs, f, textField, paragraphs, tokenizer, output, lenient, overwrite, maxDocumentBytes);
        TokenizeJob.Result result = TokenizeJob.run(SparkSessions.get("quokka tokenize"), cfg);
        DocsManifest.Counts c = result.manifest().counts();
        System.out.printf("%s %s: %,d records -> %,d documents, %,d tokens; %,d empty, %,d rejected %s%n",
                result.upToDate() ? "up to date" : "wrote", output, c.records(), c.documents(), c.tokens(), c.empty(), c.rejected(),
                ManifestJson.tree(c).get("rejected_by_reason"));
        return 0;
    }
}
