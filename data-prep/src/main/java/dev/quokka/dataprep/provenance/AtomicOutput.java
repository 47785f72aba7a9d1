package dev.quokka.dataprep.provenance;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;

/**
 * An output directory that appears complete or not at all. Everything is written to a hidden staging directory
 * beside it, {@code _manifest.json} and then {@code _SUCCESS} go in last, and the staging directory is renamed into
 * place. A killed job leaves only a hidden staging directory, which the next run removes. Readers trust a directory
 * only if it has {@code _SUCCESS}.
 */
public final class AtomicOutput {
    public static final String MANIFEST = "_manifest.json";
    public static final String SUCCESS = "_SUCCESS";
    private static final Pattern SPARK_PART = Pattern.compile("part-(\\d{5})-.*?\\.((?:[a-z0-9]+\\.)?(parquet|json))");
    private static final ObjectMapper JSON = new ObjectMapper();

    private final FileSystem fs;
    private final Path target;
    private final Path staging;

    public AtomicOutput(String output, Configuration conf) throws IOException {
        Path p = new Path(output);
        this.fs = p.getFileSystem(conf);
        this.target = fs.makeQualified(p);
        this.staging = new Path(target.getParent(), "." + target.getName() + ".staging-" + UUID.randomUUID());
    }

    public static boolean isComplete(FileSystem fs, Path dir) throws IOException {
        return fs.exists(new Path(dir, SUCCESS)) && fs.exists(new Path(dir, MANIFEST));
    }

    public boolean isComplete() throws IOException {
        return isComplete(fs, target);
    }

    /**
     * The manifest of an existing complete output made by the same request (a rerun is then a no-op), or null if
     * there is nothing to reuse. An existing output from another request needs {@code overwrite}.
     */
    public JsonNode reusable(String requestSha, boolean overwrite) throws IOException {
        if (isComplete() && requestSha.equals(manifest().path("request_sha256").asText())) return manifest();
        if (exists() && !overwrite) {
            throw new OutputExistsException(target.toString(), isComplete());
        }
        return null;
    }

    public boolean exists() throws IOException {
        return fs.exists(target);
    }

    public JsonNode manifest() throws IOException {
        return readManifest(fs, target);
    }

    /**
     * One file made whole by a rename: written beside {@code target} as a hidden temporary file, then renamed over
     * it, so that a reader sees the old file or the new one, never half of one. Permissions follow the umask.
     */
    public static void writeFile(FileSystem fs, Path target, byte[] bytes) throws IOException {
        Path tmp = new Path(target.getParent(), "." + target.getName() + ".tmp");
        try (OutputStream out = fs.create(tmp, true)) {
            out.write(bytes);
        }
        if (fs.exists(target) && !fs.delete(target, false)) throw new IOException("could not replace " + target);
        if (!fs.rename(tmp, target)) throw new IOException("could not rename " + tmp + " to " + target);
    }

    public static JsonNode readManifest(FileSystem fs, Path dir) throws IOException {
        try (InputStream in = fs.open(new Path(dir, MANIFEST))) {
            return JSON.readTree(in);
        }
    }

    public String target() {
        return target.toString();
    }

    public String staging() {
        return staging.toString();
    }

    /** A hidden directory beside the staging one, for side outputs of tasks; removed like it. */
    public Path side() {
        return new Path(staging.getParent(), staging.getName() + ".side");
    }

    /** Removes what killed runs left behind for this output; the first write creates the staging directory. */
    public void begin() throws IOException {
        FileStatus[] stale = fs.globStatus(new Path(target.getParent(), "." + target.getName() + ".staging-*"));
        if (stale != null) for (FileStatus s : stale) fs.delete(s.getPath(), true);
        fs.mkdirs(target.getParent());
    }

    /**
     * Renames Spark's part files in a staging subdirectory to {@code part-NNNNN.<ext>}, so that the same data gives the
     * same names, canonicalizes Parquet footers ({@link ParquetFooters}), and removes Spark's own {@code _SUCCESS}.
     */
    public void normalizePartFiles(String subdir) throws IOException {
        Path dir = subdir.isEmpty() ? staging : new Path(staging, subdir);
        if (!fs.exists(dir)) return;
        fs.delete(new Path(dir, SUCCESS), false);
        for (FileStatus f : fs.listStatus(dir)) {
            Matcher m = SPARK_PART.matcher(f.getPath().getName());
            if (m.matches()) {
                Path to = new Path(dir, "part-" + m.group(1) + "." + m.group(3));
                if (!fs.rename(f.getPath(), to)) throw new IOException("could not rename " + f.getPath() + " to " + to);
                if (to.getName().endsWith(".parquet")) ParquetFooters.canonicalize(fs, to);
            }
        }
    }

    /** Writes a small file of text into the staging directory. */
    public void writeText(String name, String text) throws IOException {
        writeBytes(name, text.getBytes(java.nio.charset.StandardCharsets.UTF_8));
    }

    /** Writes a small file into the staging directory. */
    public void writeBytes(String name, byte[] bytes) throws IOException {
        try (OutputStream out = fs.create(new Path(staging, name), false)) {
            out.write(bytes);
        }
    }

    /** Writes the manifest and the success marker, then moves the staging directory into place. */
    public void commit(JsonNode manifest) throws IOException {
        try (OutputStream out = fs.create(new Path(staging, MANIFEST), false)) {
            JSON.writerWithDefaultPrettyPrinter().writeValue(out, manifest);
        }
        fs.create(new Path(staging, SUCCESS), false).close();
        if (fs.exists(target) && !fs.delete(target, true)) throw new IOException("could not replace " + target);
        if (!fs.rename(staging, target)) throw new IOException("could not move " + staging + " to " + target);
    }

    public void abort() {
        try {
            fs.delete(side(), true);
            fs.delete(staging, true);
        } catch (IOException ignored) {
            // The next run removes it.
        }
    }

    public FileSystem fileSystem() {
        return fs;
    }

    public Path stagingPath() {
        return staging;
    }
}
