package dev.quokka.dataprep.provenance;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;

/** The code version that manifests record: project version, git commit, and whether the tree had local changes. */
public final class BuildInfo {
    private static final Properties PROPS = load();

    private BuildInfo() {}

    private static Properties load() {
        Properties p = new Properties();
        try (InputStream in = BuildInfo.class.getResourceAsStream("build.properties")) {
            if (in != null) p.load(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return p;
    }

    public static String version() {
        return PROPS.getProperty("version", "unknown");
    }

    /** The full commit hash, with {@code -dirty} when the build had uncommitted changes; "unknown" outside git. */
    public static String codeVersion() {
        String commit = PROPS.getProperty("commit", "");
        if (commit.isEmpty() || commit.startsWith("${")) return version() + "+unknown";
        return version() + "+" + commit + ("true".equals(PROPS.getProperty("dirty")) ? "-dirty" : "");
    }
}
