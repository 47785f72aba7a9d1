package dev.quokka.jobs.runtime;

import picocli.CommandLine;

/** The jar's version, for `quokka --version` and `quokka env`. */
public final class Version implements CommandLine.IVersionProvider {
    @Override
    public String[] getVersion() {
        String v = Version.class.getPackage().getImplementationVersion();
        return new String[] {"quokka " + (v == null ? "(development build)" : v)};
    }
}
