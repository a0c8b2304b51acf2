// Reads record batches with the Java client's own classes (DefaultRecordBatch, its CRC check and
// its decompressors) and prints what it sees, so the tests can compare it with what was encoded.
// Run as a single-file program: java -cp '<kafka libs>/*' record_batch_reader.java FILE
//
// One line per batch:  B <baseOffset> <magic> <timestampType> <compression> <isTransactional>
//                        <lastOffsetDelta> <baseTimestamp> <maxTimestamp> <producerId>
//                        <producerEpoch> <baseSequence> <countOrNull> <partitionLeaderEpoch>
// One line per record: R <offset> <timestamp> <key> <value> <headerCount> [<key> <value>]...
// Bytes are hex, "-" for null and "=" for empty; header keys are the hex of their UTF-8 bytes.

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.record.DefaultRecordBatch;
import org.apache.kafka.common.record.MemoryRecords;
import org.apache.kafka.common.record.Record;
import org.apache.kafka.common.record.RecordBatch;

public class RecordBatchReader {
    public static void main(String[] args) throws Exception {
        ByteBuffer data = ByteBuffer.wrap(Files.readAllBytes(Path.of(args[0])));
        StringBuilder out = new StringBuilder();
        for (RecordBatch batch : MemoryRecords.readableRecords(data).batches()) {
            batch.ensureValid();
            out.append(String.join(" ", "B",
                Long.toString(batch.baseOffset()),
                Byte.toString(batch.magic()),
                batch.timestampType().name.replace(" ", ""),
                batch.compressionType().name,
                Boolean.toString(batch.isTransactional()),
                Integer.toString((int) (batch.lastOffset() - batch.baseOffset())),
                Long.toString(((DefaultRecordBatch) batch).baseTimestamp()),
                Long.toString(batch.maxTimestamp()),
                Long.toString(batch.producerId()),
                Short.toString(batch.producerEpoch()),
                Integer.toString(batch.baseSequence()),
                String.valueOf(batch.countOrNull()),
                Integer.toString(batch.partitionLeaderEpoch()))).append('\n');
            for (Record record : batch) {
                record.ensureValid();
                out.append(String.join(" ", "R",
                    Long.toString(record.offset()),
                    Long.toString(record.timestamp()),
                    hex(record.key()),
                    hex(record.value()),
                    Integer.toString(record.headers().length)));
                for (Header header : record.headers()) {
                    out.append(' ').append(hex(header.key().getBytes(StandardCharsets.UTF_8)));
                    out.append(' ').append(hex(header.value()));
                }
                out.append('\n');
            }
        }
        System.out.print(out);
    }

    private static String hex(ByteBuffer buffer) {
        if (buffer == null) return "-";
        byte[] bytes = new byte[buffer.remaining()];
        buffer.duplicate().get(bytes);
        return hex(bytes);
    }

    private static String hex(byte[] bytes) {
        if (bytes == null) return "-";
        if (bytes.length == 0) return "=";
        StringBuilder s = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) s.append(String.format("%02x", b));
        return s.toString();
    }
}
