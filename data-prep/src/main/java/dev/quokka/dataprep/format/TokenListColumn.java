package dev.quokka.dataprep.format;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import org.apache.parquet.bytes.BytesInput;
import org.apache.parquet.column.ColumnDescriptor;
import org.apache.parquet.column.Encoding;
import org.apache.parquet.column.page.DictionaryPage;
import org.apache.parquet.column.page.PageWriter;
import org.apache.parquet.column.statistics.IntStatistics;
import org.apache.parquet.column.statistics.Statistics;

/**
 * The pages of a column of token lists (a required list of required int32, ids from 0), encoded a whole list at a
 * time. parquet-mr's column writer takes every value with its two levels through several writers and a hash map;
 * a token list has only two runs of repetition levels (a 0, then 1s) and one run of definition levels, and a
 * vocabulary is small enough to look token ids up in an array.
 *
 * <p>The encoding is the one parquet-mr's version-1 writer uses: one dictionary a column chunk (the distinct ids in
 * order of first use, PLAIN), then data pages holding repetition and definition levels in the RLE/bit-packing hybrid
 * (bit width 1, each with a 4-byte length) and the dictionary indices bit-packed at the narrowest width. Pages end
 * on row boundaries.
 */
public final class TokenListColumn {
    /** Token ids at or above this are refused: the dictionary is looked up in an array this long at most. */
    public static final int MAX_ID = 1 << 24;

    private final ColumnDescriptor column;
    private final int pageBytes;
    private final LevelRuns repetition = new LevelRuns();
    private final LevelRuns definition = new LevelRuns();
    private int[] slotOf = new int[1 << 16]; // id -> dictionary index + 1, 0 when not in the dictionary
    private int[] dictionary = new int[1 << 12];
    private int dictionarySize;
    private int[] indices = new int[1 << 14];
    private int valueCount;
    private int levelCount;
    private int rows;
    private int emptyLists;
    private int min = Integer.MAX_VALUE;
    private int max = Integer.MIN_VALUE;

    public TokenListColumn(ColumnDescriptor column, int pageBytes) {
        if (column.getMaxRepetitionLevel() != 1 || column.getMaxDefinitionLevel() != 1) {
            throw new IllegalArgumentException(column + " is not a required list of required values");
        }
        this.column = column;
        this.pageBytes = pageBytes;
    }

    /** Adds one row's list, or refuses it whole; writes a page to {@code pages} once the page is full. */
    public void add(int[] list, PageWriter pages) throws IOException {
        int listMin = Integer.MAX_VALUE, listMax = Integer.MIN_VALUE;
        for (int id : list) {
            listMin = Math.min(listMin, id);
            listMax = Math.max(listMax, id);
        }
        if (list.length > 0 && (listMin < 0 || listMax >= MAX_ID)) {
            throw new IllegalArgumentException("token id " + (listMin < 0 ? listMin : listMax) + " is outside [0, " + MAX_ID + ")");
        }
        repetition.add(0, 1);
        if (list.length == 0) {
            definition.add(0, 1); // defined up to the list, which is empty
            levelCount++;
            emptyLists++;
        } else {
            repetition.add(1, list.length - 1);
            definition.add(1, list.length);
            levelCount += list.length;
            min = Math.min(min, listMin);
            max = Math.max(max, listMax);
            if (listMax >= slotOf.length) slotOf = Arrays.copyOf(slotOf, Math.max(slotOf.length * 2, listMax + 1));
            if (valueCount + list.length > indices.length) indices = Arrays.copyOf(indices, Math.max(indices.length * 2, valueCount + list.length));
            for (int id : list) {
                int slot = slotOf[id];
                if (slot == 0) {
                    if (dictionarySize == dictionary.length) dictionary = Arrays.copyOf(dictionary, dictionarySize * 2);
                    dictionary[dictionarySize++] = id;
                    slot = slotOf[id] = dictionarySize;
                }
                indices[valueCount++] = slot - 1;
            }
        }
        rows++;
        if ((long) valueCount * bitWidth() / 8 >= pageBytes) flush(pages);
    }

    /** The bytes held for the page being built and the dictionary, roughly as they will be written. */
    public long bufferedBytes() {
        return (long) valueCount * bitWidth() / 8 + (long) dictionarySize * Integer.BYTES + repetition.size() + definition.size();
    }

    /** Writes the rows added since the last page as one page, if there are any. */
    void flush(PageWriter pages) throws IOException {
        if (rows == 0) return;
        IntStatistics stats = (IntStatistics) Statistics.createStats(column.getPrimitiveType());
        if (valueCount > 0) stats.setMinMax(min, max);
        stats.incrementNumNulls(emptyLists);
        pages.writePage(BytesInput.concat(repetition.bytes(), definition.bytes(), BytesInput.from(packedIndices())),
                levelCount, rows, stats, Encoding.RLE, Encoding.RLE, Encoding.PLAIN_DICTIONARY);
        repetition.reset();
        definition.reset();
        valueCount = levelCount = rows = emptyLists = 0;
        min = Integer.MAX_VALUE;
        max = Integer.MIN_VALUE;
    }

    /** Ends the column chunk: writes the last page and then the dictionary, and starts a new dictionary. */
    public void endChunk(PageWriter pages) throws IOException {
        flush(pages);
        if (dictionarySize > 0) {
            ByteBuffer plain = ByteBuffer.allocate(dictionarySize * Integer.BYTES).order(ByteOrder.LITTLE_ENDIAN);
            plain.asIntBuffer().put(dictionary, 0, dictionarySize);
            pages.writeDictionaryPage(new DictionaryPage(BytesInput.from(plain.array()), dictionarySize, Encoding.PLAIN_DICTIONARY));
        }
        for (int i = 0; i < dictionarySize; i++) slotOf[dictionary[i]] = 0;
        dictionarySize = 0;
    }

    private int bitWidth() {
        return Math.max(1, 32 - Integer.numberOfLeadingZeros(dictionarySize - 1));
    }

    /**
     * The page's values: the bit width, then one bit-packed run of the hybrid encoding (a varint of groups << 1 | 1,
     * then groups of 8 indices packed least significant bit first). Readers stop at the page's value count, so the
     * last group's padding is never read.
     */
    private byte[] packedIndices() {
        int width = bitWidth();
        int groups = (valueCount + 7) / 8;
        ByteArrayOutputStream header = new ByteArrayOutputStream(6);
        header.write(width);
        writeVarint(header, ((long) groups << 1) | 1);
        byte[] out = Arrays.copyOf(header.toByteArray(), header.size() + groups * width);
        int pos = header.size();
        long bits = 0;
        int held = 0;
        for (int i = 0; i < valueCount; i++) {
            bits |= (long) indices[i] << held;
            held += width;
            while (held >= 8) {
                out[pos++] = (byte) bits;
                bits >>>= 8;
                held -= 8;
            }
        }
        if (held > 0) out[pos] = (byte) bits; // the rest of the last group stays zero
        return out;
    }

    private static void writeVarint(ByteArrayOutputStream out, long v) {
        while ((v & ~0x7FL) != 0) {
            out.write((int) ((v & 0x7F) | 0x80));
            v >>>= 7;
        }
        out.write((int) v);
    }

    /** Levels of bit width 1 as RLE runs of the hybrid encoding: a varint of count << 1, then the level's byte. */
    private static final class LevelRuns {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();
        private int level = -1;
        private long count;

        void add(int level, int n) {
            if (n == 0) return;
            if (level != this.level) {
                emit();
                this.level = level;
            }
            count += n;
        }

        int size() {
            return out.size() + 10;
        }

        /** The runs with their 4-byte little-endian length in front, as version-1 data pages hold levels. */
        BytesInput bytes() {
            emit();
            byte[] runs = out.toByteArray();
            return BytesInput.concat(BytesInput.fromInt(runs.length), BytesInput.from(runs));
        }

        void reset() {
            out.reset();
            level = -1;
            count = 0;
        }

        private void emit() {
            if (count == 0) return;
            writeVarint(out, count << 1);
            out.write(level);
            count = 0;
        }
    }
}
