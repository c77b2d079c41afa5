package dev.l2c.schedule;

import dev.l2c.error.InvalidInputException;
import dev.l2c.schedule.TorchCheckpointFixture.Pickle;
import dev.l2c.testing.SharedData;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Map;

import static dev.l2c.schedule.TorchCheckpointFixture.checkpoint;
import static dev.l2c.schedule.TorchCheckpointFixture.floats;
import static dev.l2c.schedule.TorchCheckpointFixture.routerStateDict;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RouterCheckpointTest {
    @TempDir
    Path tmp;

    @Test
    void readsDitTrainingCheckpointAndSkipsOptimizerState() throws Exception {
        RouterCheckpoint r = RouterCheckpoint.read(SharedData.require("routers/DDIM20_router.pt"));
        assertEquals(RouterCheckpoint.Layout.DIT_TRAINING_CHECKPOINT, r.layout());
        assertEquals(20, r.count());
        assertEquals(56, r.width());
        // Values as Python's zipfile + struct read them from the storage entries.
        assertEquals(2.626723289489746f, r.logits(0)[0]);
        assertEquals(4.84084939956665f, r.logits(0)[2]);
        assertEquals(-0.35062354803085327f, r.logits(19)[55]);
        assertEquals("c3134cfe7a69e31f188ac3d8ace7f6b586db92daa30c99f17e46d3f24e7408c7", r.sha256());
    }

    @Test
    void readsUvitStateDict() throws Exception {
        RouterCheckpoint r = RouterCheckpoint.read(SharedData.require("routers/dpm20_router.pth"));
        assertEquals(RouterCheckpoint.Layout.UVIT_STATE_DICT, r.layout());
        assertEquals(20, r.count());
        assertEquals(58, r.width());
        assertEquals(-0.0975281149148941f, r.logits(0)[0]);
        assertEquals(0.5197386741638184f, r.logits(19)[57]);
    }

    @Test
    void logitsAreCopies() throws Exception {
        RouterCheckpoint r = RouterCheckpoint.read(handMade(2, 3));
        r.logits(0)[0] = 99f;
        assertEquals(0f, r.logits(0)[0]);
    }

    @Test
    void readsAHandWrittenCheckpoint() throws Exception {
        RouterCheckpoint r = RouterCheckpoint.read(handMade(3, 4));
        assertEquals(3, r.count());
        assertEquals(4, r.width());
        assertEquals(RouterCheckpoint.Layout.UVIT_STATE_DICT, r.layout());
        assertTrue(Arrays.equals(new float[] {20f, 21f, 22f, 23f}, r.logits(2)));
    }

    @Test
    void refusesAFileThatIsNotAZip() throws Exception {
        Path f = Files.writeString(tmp.resolve("router.pt"), "this is not a checkpoint\n");
        assertBad(f, "not a PyTorch zip checkpoint");
    }

    @Test
    void refusesAnEmptyFile() throws Exception {
        assertBad(Files.write(tmp.resolve("empty.pt"), new byte[0]), "not a PyTorch zip checkpoint");
    }

    @Test
    void refusesAMissingFile() {
        assertBad(tmp.resolve("absent.pt"), "no such router checkpoint");
    }

    @Test
    void refusesATruncatedCheckpoint() throws Exception {
        byte[] whole = Files.readAllBytes(SharedData.require("routers/DDIM20_router.pt"));
        Path f = Files.write(tmp.resolve("DDIM20_truncated.pt"), Arrays.copyOf(whole, whole.length / 2));
        assertBad(f, "truncated");
    }

    @Test
    void refusesAZipWithoutDataPkl() throws Exception {
        Path f = TorchCheckpointFixture.zip(tmp.resolve("nopickle.pt"),
                Map.of("archive/data/0", floats(1f), "archive/byteorder", "little".getBytes(StandardCharsets.US_ASCII)));
        assertBad(f, "no <name>/data.pkl");
    }

    @Test
    void refusesAMissingStorage() throws Exception {
        Path f = checkpoint(tmp.resolve("nostorage.pt"), routerStateDict(2, 3), Map.of("0", floats(0, 1, 2)));
        assertBad(f, "the storage of \"1.prob\" (archive/data/1) is missing");
    }

    @Test
    void refusesAShortStorage() throws Exception {
        Path f = checkpoint(tmp.resolve("short.pt"), routerStateDict(1, 3), Map.of("0", floats(0, 1)));
        assertBad(f, "has 8 bytes, but the tensor is 3 floats from float offset 0, which does not fit");
    }

    @Test
    void refusesATruncatedPickle() throws Exception {
        byte[] pickle = routerStateDict(2, 3);
        Path f = checkpoint(tmp.resolve("cut.pt"), Arrays.copyOf(pickle, pickle.length - 20),
                Map.of("0", floats(0, 1, 2), "1", floats(0, 1, 2)));
        assertBad(f, "data.pkl is not a pickle this reader understands");
    }

    @Test
    void refusesAnOversizedLengthWithoutAllocatingIt() throws Exception {
        // BINUNICODE declaring 2 GiB - 1 bytes in a pickle of a dozen.
        byte[] pickle = new Pickle().proto(2).raw('X', 0xff, 0xff, 0xff, 0x7f).raw('a', 'b').stop().bytes();
        Path f = checkpoint(tmp.resolve("huge.pt"), pickle, Map.of());
        assertBad(f, "declares a 2147483647-byte value");
    }

    @Test
    void refusesOsSystemWithoutRunningIt() throws Exception {
        Path marker = tmp.resolve("pwned");
        // cos\nsystem\n (X "touch <marker>") TUPLE1 REDUCE STOP: what a hostile torch.save file looks like.
        byte[] pickle = new Pickle().proto(2).global("os", "system").string("touch " + marker).raw(0x85).reduce().stop().bytes();
        Path f = checkpoint(tmp.resolve("evil.pt"), pickle, Map.of());
        String message = assertBad(f, "names the Python global \"os system\"");
        assertTrue(message.contains("refused without running anything"), message);
        assertFalse(Files.exists(marker));
    }

    @Test
    void refusesStackGlobalOfBuiltinsEval() throws Exception {
        // Protocol 4 spells globals as two strings and STACK_GLOBAL (0x93).
        byte[] pickle = new Pickle().proto(4).string("builtins").string("eval").raw(0x93)
                .string("1+1").raw(0x85).reduce().stop().bytes();
        Path f = checkpoint(tmp.resolve("evil4.pt"), pickle, Map.of());
        assertBad(f, "names the Python global \"builtins eval\"");
    }

    @Test
    void refusesAGlobalHiddenInsideTheRouterDict() throws Exception {
        // A legitimate-looking OrderedDict whose value is built by subprocess.call.
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0.prob")
                .global("subprocess", "call").string("ls").raw(0x85).reduce().setitems().stop().bytes();
        assertBad(checkpoint(tmp.resolve("evil2.pt"), pickle, Map.of()), "\"subprocess call\"");
    }

    @Test
    void refusesInstOpcode() throws Exception {
        byte[] pickle = new Pickle().proto(2).mark().raw('i', 'o', 's', '\n', 's', 'y', 's', '\n').stop().bytes();
        assertBad(checkpoint(tmp.resolve("inst.pt"), pickle, Map.of()), "opcode INST");
    }

    @Test
    void refusesRoutersOfAnotherDtype() throws Exception {
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0.prob").tensor("HalfStorage", "0", 4)
                .setitems().stop().bytes();
        assertBad(checkpoint(tmp.resolve("half.pt"), pickle, Map.of("0", new byte[8])), "float16[4] tensor");
    }

    @Test
    void refusesUnexpectedKeys() throws Exception {
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0.prob").tensor("FloatStorage", "0", 2)
                .string("blocks.0.weight").tensor("FloatStorage", "1", 2).setitems().stop().bytes();
        assertBad(checkpoint(tmp.resolve("model.pt"), pickle, Map.of("0", floats(1, 2), "1", floats(1, 2))),
                "unexpected entry \"blocks.0.weight\"");
    }

    @Test
    void aTupleKeyIsNamedAsPythonWouldPrintIt() throws Exception {
        // A key ("0", "prob") is a Python tuple; the message used to show Java's "[Ljava.lang.Object;@71d44a3".
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0").string("prob").raw(0x86)
                .tensor("FloatStorage", "0", 2).setitems().stop().bytes();
        InvalidInputException e = assertThrows(InvalidInputException.class,
                () -> RouterCheckpoint.read(checkpoint(tmp.resolve("tuple.pt"), pickle, Map.of("0", floats(1, 2)))));
        assertTrue(e.getMessage().contains("unexpected entry (\"0\", \"prob\")"), e.getMessage());
        assertFalse(e.getMessage().contains("[L"), e.getMessage());
    }

    @Test
    void refusesGapsInRouterKeys() throws Exception {
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0.prob").tensor("FloatStorage", "0", 2)
                .string("2.prob").tensor("FloatStorage", "1", 2).setitems().stop().bytes();
        assertBad(checkpoint(tmp.resolve("gap.pt"), pickle, Map.of("0", floats(1, 2), "1", floats(1, 2))),
                "router keys are not 0..1");
    }

    @Test
    void refusesRoutersOfDifferentWidths() throws Exception {
        byte[] pickle = new Pickle().proto(2).orderedDict().mark().string("0.prob").tensor("FloatStorage", "0", 2)
                .string("1.prob").tensor("FloatStorage", "1", 3).setitems().stop().bytes();
        assertBad(checkpoint(tmp.resolve("ragged.pt"), pickle, Map.of("0", floats(1, 2), "1", floats(1, 2, 3))),
                "\"1.prob\" has 3 logits but \"0.prob\" has 2");
    }

    /** Routers i = 0..n-1 whose logits are 10·i + j. */
    private Path handMade(int routers, int width) throws IOException {
        Map<String, byte[]> storages = new java.util.HashMap<>();
        for (int i = 0; i < routers; i++) {
            float[] v = new float[width];
            for (int j = 0; j < width; j++) {
                v[j] = 10 * i + j;
            }
            storages.put(Integer.toString(i), floats(v));
        }
        return checkpoint(tmp.resolve("handmade_" + routers + "x" + width + ".pth"), routerStateDict(routers, width), storages);
    }

    private static String assertBad(Path f, String fragment) {
        InvalidInputException e = assertThrows(InvalidInputException.class, () -> RouterCheckpoint.read(f));
        String m = e.getMessage();
        assertTrue(m.startsWith(f + ": "), m);
        assertTrue(m.contains(fragment), m);
        assertFalse(m.contains("\n"), m);
        return m;
    }
}
