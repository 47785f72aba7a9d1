package dev.quokka.jobs.runtime;

import dev.quokka.dataprep.tokenize.Paragraphs;
import java.io.BufferedInputStream;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.io.OutputStreamWriter;
import java.io.Writer;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.zip.GZIPInputStream;

/** Local text files for the single-process commands: strict UTF-8, gzip by extension, atomic writes. */
public final class TextFiles {
    private TextFiles() {}

    /** Receives each line with its 1-based number. */
    public interface LineConsumer {
        void accept(String line, long lineNo) throws IOException;
    }

    /** Reads lines (without their terminators); invalid UTF-8 fails naming the file and line. */
    public static void forEachLine(Path file, LineConsumer consumer) throws IOException {
        long lineNo = 0;
        try (BufferedReader r = open(file)) {
            String line;
            while (true) {
                try {
                    line = r.readLine();
                } catch (CharacterCodingException e) {
                    // The reader decodes ahead of the lines it returns, so find the bad line in the raw bytes.
                    throw invalidUtf8(file);
                }
                if (line == null) break;
                consumer.accept(line, ++lineNo);
            }
        }
    }

    /** The first line of a file that is not valid UTF-8, with the byte column. */
    private static InputException invalidUtf8(Path file) throws IOException {
        CharsetDecoder strict = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT).onUnmappableCharacter(CodingErrorAction.REPORT);
        try (InputStream in = new BufferedInputStream(rawStream(file), 1 << 16)) {
            ByteArrayOutputStream line = new ByteArrayOutputStream();
            long lineNo = 1;
            int b;
            do {
                b = in.read();
                if (b == '\n' || b < 0) {
                    ByteBuffer bytes = ByteBuffer.wrap(line.toByteArray());
                    try {
                        strict.reset().decode(bytes);
                    } catch (CharacterCodingException e) {
                        return new InputException(file + ":" + lineNo, "invalid UTF-8 at byte " + (bytes.position() + 1) + " of the line");
                    }
                    line.reset();
                    lineNo++;
                } else {
                    line.write(b);
                }
            } while (b >= 0);
        }
        return new InputException(file.toString(), "invalid UTF-8");
    }

    public static List<String> lines(Path file) throws IOException {
        List<String> out = new ArrayList<>();
        forEachLine(file, (line, n) -> out.add(line));
        return out;
    }

    /** Blank-line separated blocks, with their inner newlines, as `quokka tokenize --paragraphs` cuts them. */
    public static List<String> paragraphs(Path file) throws IOException {
        return Paragraphs.split(String.join("\n", lines(file)));
    }

    static BufferedReader open(Path file) throws IOException {
        return new BufferedReader(new InputStreamReader(rawStream(file), StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT)), 1 << 16);
    }

    private static InputStream rawStream(Path file) throws IOException {
        if (!Files.isRegularFile(file)) throw new InputException(file.toString(), "no such file");
        InputStream in = Files.newInputStream(file);
        return file.toString().endsWith(".gz") ? new GZIPInputStream(in, 1 << 16) : in;
    }

    /** Receives the writer of an output file that appears only when complete. */
    public interface WriterBody {
        void write(Writer out) throws IOException;
    }

    /** Receives the byte stream of an output file that appears only when complete. */
    public interface StreamBody {
        void write(OutputStream out) throws IOException;
    }

    /** {@link #writeBytesAtomically} for text: UTF-8, buffered. */
    public static void writeAtomically(Path target, WriterBody body) throws IOException {
        writeBytesAtomically(target, out -> {
            Writer w = new BufferedWriter(new OutputStreamWriter(out, StandardCharsets.UTF_8), 1 << 16);
            body.write(w);
            w.flush();
        });
    }

    /**
     * Writes to a temporary file beside {@code target} and renames it into place: never a partial file. The file is
     * created plainly, so its permissions follow the umask ({@code Files.createTempFile} would make it 0600). This is
     * the local-file twin of data-prep's {@code AtomicOutput.writeFile}, which goes through Hadoop's FileSystem: for
     * plain local files (the tokenizer's outputs, the demo's corpus) Hadoop's local file system would add a
     * {@code .crc} file beside each one.
     */
    public static void writeBytesAtomically(Path target, StreamBody body) throws IOException {
        Path dir = target.toAbsolutePath().getParent();
        Files.createDirectories(dir);
        Path tmp = dir.resolve("." + target.getFileName() + "." + java.util.UUID.randomUUID() + ".tmp");
        Files.createFile(tmp);
        try {
            try (OutputStream out = Files.newOutputStream(tmp)) {
                body.write(out);
            }
            Files.move(tmp, target, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
