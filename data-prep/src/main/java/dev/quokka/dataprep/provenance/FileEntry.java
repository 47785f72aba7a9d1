package dev.quokka.dataprep.provenance;

import java.io.Serializable;

/** A file of an output, named relative to it, with its size: what verify checks before it reads. */
public record FileEntry(String name, long bytes) implements Serializable {}
