package dev.quokka.dataprep.provenance;

import dev.quokka.dataprep.format.DocIds;
import dev.quokka.dataprep.spark.SerializableConfiguration;
import java.io.IOException;
import java.io.InputStream;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.apache.hadoop.conf.Configuration;
import org.apache.hadoop.fs.FileStatus;
import org.apache.hadoop.fs.FileSystem;
import org.apache.hadoop.fs.Path;
import org.apache.hadoop.fs.RemoteIterator;
import org.apache.spark.api.java.JavaSparkContext;

/** The input files behind paths and globs on any Hadoop FileSystem, each with a machine-independent source name. */
public final class InputFiles {
    /** One input file: its URI, its name relative to the input root, and its size. */
    public record InputFile(String uri, String source, long bytes) implements Serializable {}

    private InputFiles() {}

    /**
     * Expands paths, globs and directories (recursively; files starting with '_' or '.' are skipped) in a stable
     * order. A path or glob that matches nothing is an error.
     */
    /** A path as a fully qualified URI ({@code books} becomes {@code file:/home/me/books}), so that any spelling of it compares equal. */
    public static String qualify(String path, Configuration conf) throws IOException {
        Path p = new Path(path);
        return p.getFileSystem(conf).makeQualified(p).toString();
    }

    public static List<InputFile> expand(List<String> inputs, Configuration conf) throws IOException {
        Map<String, InputFile> byUri = new TreeMap<>();
        for (String input : inputs) {
            Path pattern = new Path(input);
            FileSystem fs = pattern.getFileSystem(conf);
            FileStatus[] matches = fs.globStatus(pattern);
            if (matches == null || matches.length == 0) throw new IllegalArgumentException("no input matches '" + input + "'");
            Path root = globRoot(fs.makeQualified(pattern));
            for (FileStatus m : matches) {
                if (m.isDirectory()) {
                    RemoteIterator<org.apache.hadoop.fs.LocatedFileStatus> it = fs.listFiles(m.getPath(), true);
                    while (it.hasNext()) add(byUri, it.next(), m.getPath(), fs);
                } else {
                    add(byUri, m, m.getPath().equals(fs.makeQualified(pattern)) ? m.getPath().getParent() : root, fs);
                }
            }
        }
        if (byUri.isEmpty()) throw new IllegalArgumentException("the inputs " + inputs + " hold no files");
        return new ArrayList<>(byUri.values());
    }

    private static void add(Map<String, InputFile> byUri, FileStatus f, Path root, FileSystem fs) {
        String name = f.getPath().getName();
        if (name.startsWith("_") || name.startsWith(".")) return;
        String uri = fs.makeQualified(f.getPath()).toString();
        String rootUri = fs.makeQualified(root).toString();
        String source = uri.startsWith(rootUri + "/") ? uri.substring(rootUri.length() + 1) : name;
        byUri.putIfAbsent(uri, new InputFile(uri, source, f.getLen()));
    }

    /** The deepest directory of a path above its first glob character. */
    private static Path globRoot(Path p) {
        Path root = p;
        for (Path q = p; q != null; q = q.getParent()) {
            if (hasGlob(q.getName())) root = q.getParent();
        }
        return hasGlob(p.getName()) || root != p ? root : p.getParent();
    }

    private static boolean hasGlob(String s) {
        return s.chars().anyMatch(c -> c == '*' || c == '?' || c == '[' || c == '{');
    }

    /** SHA-256 of every file's bytes, computed on the executors, one task per file; returns uri -> hex. */
    public static Map<String, String> checksums(JavaSparkContext sc, List<InputFile> files) {
        return sha256s(sc, files.stream().map(InputFile::uri).toList());
    }

    /** SHA-256 of the files at these URIs, computed on the executors; returns uri -> hex, in URI order. */
    public static Map<String, String> sha256s(JavaSparkContext sc, List<String> uris) {
        SerializableConfiguration conf = new SerializableConfiguration(sc.hadoopConfiguration());
        Map<String, String> out = new TreeMap<>();
        sc.parallelize(uris, Math.max(1, Math.min(uris.size(), 1000)))
                .mapToPair(uri -> new scala.Tuple2<>(uri, sha256(uri, conf.get())))
                .collect()
                .forEach(t -> out.put(t._1(), t._2()));
        return out;
    }

    public static String sha256(String uri, Configuration conf) throws IOException {
        Path p = new Path(uri);
        var sha = DocIds.sha256();
        byte[] buf = new byte[1 << 16];
        try (InputStream in = p.getFileSystem(conf).open(p)) {
            int n;
            while ((n = in.read(buf)) > 0) sha.update(buf, 0, n);
        }
        return HexFormat.of().formatHex(sha.digest());
    }
}
