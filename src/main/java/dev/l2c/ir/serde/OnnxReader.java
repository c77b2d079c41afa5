package dev.l2c.ir.serde;

import com.google.protobuf.ByteString;
import com.google.protobuf.CodedInputStream;
import com.google.protobuf.InvalidProtocolBufferException;
import dev.l2c.error.InvalidInputException;
import dev.l2c.error.UnsupportedModelException;
import dev.l2c.ir.Attribute;
import dev.l2c.ir.BufferTensorData;
import dev.l2c.ir.DataType;
import dev.l2c.ir.Dim;
import dev.l2c.ir.ExternalTensorData;
import dev.l2c.ir.Graph;
import dev.l2c.ir.Model;
import dev.l2c.ir.ProtoExtras;
import dev.l2c.ir.Shape;
import dev.l2c.ir.Tensor;
import dev.l2c.ir.TensorData;
import dev.l2c.ir.TensorType;
import dev.l2c.ir.TopologicalOrder;
import dev.l2c.ir.Value;
import dev.l2c.onnx.proto.Onnx;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.MappedByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Reads an ONNX file into our IR without loading weight bytes: the file is memory-mapped and parsed
 * with aliasing, so embedded {@code raw_data} stays a view of the mapping, and external data is
 * referenced by file and offset (checked to lie inside the model's folder and inside the file).
 *
 * <p>Everything a user can get wrong (missing file, not ONNX, truncated, bad external data) is an
 * {@link InvalidInputException} naming the file; well-formed models using features we do not support
 * (subgraphs, string or segmented initializers) are an {@link UnsupportedModelException}.
 */
public final class OnnxReader {

    private final Path file;
    private final Path folder;

    private OnnxReader(Path file) {
        this.file = file;
        // normalized: a model named as ./pkg/graph.onnx (a relative package folder) has its data in pkg/
        Path parent = file.toAbsolutePath().normalize().getParent();
        this.folder = parent == null ? Path.of(".").toAbsolutePath() : parent;
    }

    /** Reads the model at {@code file}; external data resolves relative to its folder. */
    public static Model read(Path file) throws InvalidInputException, UnsupportedModelException {
        return new OnnxReader(file).read();
    }

    /** Parses only the protobuf (aliasing the mapped file): for tools that want the raw message. */
    public static Onnx.ModelProto readProto(Path file) throws InvalidInputException {
        return new OnnxReader(file).parse();
    }

    private Model read() throws InvalidInputException, UnsupportedModelException {
        Onnx.ModelProto proto = parse();
        return checkedModel(proto);
    }

    /**
     * {@link #toModel}, with the IR's own refusals of a malformed graph (which the checks in
     * {@link #toGraph} should have caught first) reported as a bad file rather than an internal error.
     */
    private Model checkedModel(Onnx.ModelProto proto) throws InvalidInputException, UnsupportedModelException {
        try {
            return toModel(proto);
        } catch (IllegalArgumentException | ArithmeticException e) {
            throw new InvalidInputException(file, "not a valid ONNX graph: " + e.getMessage(), e);
        }
    }

    private Onnx.ModelProto parse() throws InvalidInputException {
        long size;
        try {
            size = Files.size(file);
        } catch (NoSuchFileException e) {
            throw new InvalidInputException(file, "no such file");
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + e.getMessage());
        }
        if (Files.isDirectory(file)) {
            throw new InvalidInputException(file, java.nio.file.Files.exists(file.resolve("manifest.json"))
                    ? "is a package folder, not an ONNX model file (this command takes a model)"
                    : "is a folder without manifest.json: neither an ONNX model file nor an l2c package");
        }
        if (size == 0) {
            throw new InvalidInputException(file, "empty file, not an ONNX model");
        }
        if (size > Integer.MAX_VALUE) {
            throw new InvalidInputException(file, "is " + size + " bytes; an ONNX protobuf cannot exceed 2 GiB "
                    + "(larger models keep their weights in external data files)");
        }
        MappedByteBuffer mapped;
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            mapped = ch.map(FileChannel.MapMode.READ_ONLY, 0, size);
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + e.getMessage());
        }
        return parse(CodedInputStream.newInstance(mapped));
    }

    /**
     * Reads a model held in memory, as if it were the file {@code file}: external data resolves in
     * that file's folder. For tools and tests that have the bytes already (the fuzz tests).
     */
    public static Model read(byte[] bytes, Path file) throws InvalidInputException, UnsupportedModelException {
        OnnxReader reader = new OnnxReader(file);
        if (bytes.length == 0) {
            throw new InvalidInputException(file, "empty file, not an ONNX model");
        }
        return reader.checkedModel(reader.parse(CodedInputStream.newInstance(bytes)));
    }

    private Onnx.ModelProto parse(CodedInputStream in) throws InvalidInputException {
        Onnx.ModelProto proto;
        try {
            in.enableAliasing(true);
            in.setSizeLimit(Integer.MAX_VALUE);
            proto = Onnx.ModelProto.parseFrom(in);
        } catch (InvalidProtocolBufferException e) {
            throw new InvalidInputException(file, "not an ONNX model (" + firstLine(e.getMessage()) + ")");
        } catch (IOException e) {
            throw new InvalidInputException(file, "cannot read: " + e.getMessage());
        }
        if (!proto.hasGraph() || proto.getIrVersion() <= 0 || proto.getGraph().getNodeCount() == 0) {
            throw new InvalidInputException(file, "not an ONNX model (no ir_version or no graph with nodes)");
        }
        return proto;
    }

    private static String firstLine(String s) {
        if (s == null) {
            return "unreadable protobuf";
        }
        int nl = s.indexOf('\n');
        String line = nl < 0 ? s : s.substring(0, nl);
        // protobuf's messages are long and generic; the first sentence is the useful part
        int dot = line.indexOf(". ");
        return (dot > 0 ? line.substring(0, dot) : line).trim();
    }

    private Model toModel(Onnx.ModelProto p) throws InvalidInputException, UnsupportedModelException {
        Map<String, Long> opsets = new LinkedHashMap<>();
        for (Onnx.OperatorSetIdProto o : p.getOpsetImportList()) {
            opsets.put(o.getDomain(), o.getVersion());
        }
        Graph graph = toGraph(p.getGraph());
        Model m = new Model(graph, p.getIrVersion(), opsets);
        m.setProducer(p.getProducerName(), p.getProducerVersion());
        m.setDomain(p.getDomain());
        m.setModelVersion(p.getModelVersion());
        m.setExtras(extras(p.getDocString(), p.getMetadataPropsList(), p.getUnknownFields().toByteArray()));
        for (Onnx.TrainingInfoProto t : p.getTrainingInfoList()) {
            m.opaqueFields().add(tagged(20, t.toByteArray()));
        }
        for (Onnx.FunctionProto f : p.getFunctionsList()) {
            m.opaqueFields().add(tagged(25, f.toByteArray()));
        }
        return m;
    }

    /** A serialized length-delimited field: the writer appends these bytes to the message as they are. */
    static byte[] tagged(int fieldNumber, byte[] payload) {
        try {
            java.io.ByteArrayOutputStream bos = new java.io.ByteArrayOutputStream(payload.length + 10);
            com.google.protobuf.CodedOutputStream out = com.google.protobuf.CodedOutputStream.newInstance(bos);
            out.writeByteArray(fieldNumber, payload);
            out.flush();
            return bos.toByteArray();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static ProtoExtras extras(String doc, List<Onnx.StringStringEntryProto> props, byte[] unknown) {
        if (doc.isEmpty() && props.isEmpty() && unknown.length == 0) {
            return ProtoExtras.NONE;
        }
        Map<String, String> md = new LinkedHashMap<>();
        for (Onnx.StringStringEntryProto e : props) {
            md.put(e.getKey(), e.getValue());
        }
        return new ProtoExtras(doc, md, unknown);
    }

    private Graph toGraph(Onnx.GraphProto gp) throws InvalidInputException, UnsupportedModelException {
        Graph g = new Graph(gp.getName());
        g.setExtras(extras(gp.getDocString(), gp.getMetadataPropsList(), gp.getUnknownFields().toByteArray()));
        for (Onnx.SparseTensorProto s : gp.getSparseInitializerList()) {
            throw new UnsupportedModelException(file, "sparse initializers are not supported (found "
                    + s.getValues().getName() + ")");
        }
        for (Onnx.TensorAnnotation a : gp.getQuantizationAnnotationList()) {
            g.opaqueFields().add(tagged(14, a.toByteArray()));
        }

        Map<String, Onnx.ValueInfoProto> infos = new HashMap<>();
        for (Onnx.ValueInfoProto vi : gp.getValueInfoList()) {
            infos.put(vi.getName(), vi);
        }
        Set<String> initializerNames = new HashSet<>();
        for (Onnx.TensorProto tp : gp.getInitializerList()) {
            if (tp.getName().isEmpty()) {
                // found by ParserFuzzTest#onnxModel: ONNX requires every initializer to be named
                throw new InvalidInputException(file, "an initializer has no name (ONNX requires one)");
            }
            if (!initializerNames.add(tp.getName())) {
                throw new InvalidInputException(file, "initializer '" + tp.getName() + "' is defined twice");
            }
            Value v = g.addInitializer(tp.getName(), toTensor(tp));
            Onnx.ValueInfoProto vi = infos.get(tp.getName());
            if (vi != null) {
                v.setInfoExtras(extras(vi.getDocString(), vi.getMetadataPropsList(), vi.getUnknownFields().toByteArray()));
            }
        }
        for (Onnx.ValueInfoProto in : gp.getInputList()) {
            if (initializerNames.contains(in.getName())) {
                continue; // IR < 4 lists initializers as inputs too; the initializer is the definition
            }
            if (in.getName().isEmpty()) {
                throw new InvalidInputException(file, "a graph input has no name (ONNX requires one)");
            }
            if (g.value(in.getName()) != null) {
                throw new InvalidInputException(file, "graph input '" + in.getName() + "' is listed twice");
            }
            Value v = g.addInput(in.getName(), toType(in.getType()));
            v.setInfoExtras(extras(in.getDocString(), in.getMetadataPropsList(), in.getUnknownFields().toByteArray()));
        }

        for (Onnx.NodeProto np : topologicallySorted(gp, g)) {
            List<Value> ins = new ArrayList<>();
            for (String name : np.getInputList()) {
                if (name.isEmpty()) {
                    ins.add(null);
                    continue;
                }
                Value v = g.value(name);
                if (v == null) {
                    throw new InvalidInputException(file, "node '" + np.getName() + "' (" + np.getOpType()
                            + ") reads '" + name + "', which no input, initializer or node defines");
                }
                ins.add(v);
            }
            for (String out : np.getOutputList()) {
                if (!out.isEmpty() && g.value(out) != null) {
                    throw new InvalidInputException(file, "value '" + out + "' is defined twice (again by node '"
                            + np.getName() + "')");
                }
            }
            Map<String, Attribute> attrs = new LinkedHashMap<>();
            for (Onnx.AttributeProto ap : np.getAttributeList()) {
                attrs.put(ap.getName(), toAttribute(ap, np));
            }
            g.addNode(np.getOpType(), np.getDomain(), ins, np.getOutputList(), attrs, np.getName(), np.getOverload(),
                    extras(np.getDocString(), np.getMetadataPropsList(), np.getUnknownFields().toByteArray()));
        }

        for (Onnx.ValueInfoProto vi : gp.getValueInfoList()) {
            Value v = g.value(vi.getName());
            if (v != null && !v.isInitializer()) {
                v.setType(toType(vi.getType()));
                v.setInfoExtras(extras(vi.getDocString(), vi.getMetadataPropsList(), vi.getUnknownFields().toByteArray()));
            }
        }
        for (Onnx.ValueInfoProto out : gp.getOutputList()) {
            Value v = g.value(out.getName());
            if (v == null) {
                throw new InvalidInputException(file, "graph output '" + out.getName() + "' is not computed by any node");
            }
            if (out.hasType()) {
                v.setType(toType(out.getType()));
            }
            v.setInfoExtras(extras(out.getDocString(), out.getMetadataPropsList(), out.getUnknownFields().toByteArray()));
            g.addOutput(v);
        }
        return g;
    }

    /**
     * The nodes in an order where each comes after its inputs' producers. ONNX requires files to be
     * sorted; this tolerates the ones that are not, and reports real cycles.
     */
    private List<Onnx.NodeProto> topologicallySorted(Onnx.GraphProto gp, Graph g) throws InvalidInputException {
        List<Onnx.NodeProto> nodes = gp.getNodeList();
        Map<String, Integer> producer = new HashMap<>();
        for (int i = 0; i < nodes.size(); i++) {
            for (String out : nodes.get(i).getOutputList()) {
                if (!out.isEmpty()) {
                    producer.putIfAbsent(out, i);
                }
            }
        }
        boolean sorted = true;
        for (int i = 0; i < nodes.size() && sorted; i++) {
            for (String in : nodes.get(i).getInputList()) {
                Integer p = producer.get(in);
                if (p != null && p >= i && g.value(in) == null) {
                    sorted = false;
                    break;
                }
            }
        }
        if (sorted) {
            return nodes;
        }
        TopologicalOrder order = TopologicalOrder.of(nodes.size(), i -> nodes.get(i).getInputList().stream()
                .filter(in -> producer.containsKey(in) && g.value(in) == null)
                .mapToInt(producer::get).toArray());
        if (!order.complete()) {
            Onnx.NodeProto stuck = nodes.get(order.blocked());
            throw new InvalidInputException(file, "the graph has a cycle through node '" + stuck.getName() + "' ("
                    + stuck.getOpType() + ")");
        }
        List<Onnx.NodeProto> out = new ArrayList<>(nodes.size());
        for (int i : order.order()) {
            out.add(nodes.get(i));
        }
        return out;
    }

    private TensorType toType(Onnx.TypeProto tp) {
        if (!tp.hasTensorType()) {
            return null;
        }
        Onnx.TypeProto.Tensor t = tp.getTensorType();
        DataType dt = DataType.fromCode(t.getElemType());
        if (!t.hasShape()) {
            return new TensorType(dt, null);
        }
        List<Dim> dims = new ArrayList<>();
        for (Onnx.TensorShapeProto.Dimension d : t.getShape().getDimList()) {
            if (d.hasDimValue()) {
                dims.add(Dim.of(d.getDimValue()));
            } else if (d.hasDimParam() && !d.getDimParam().isEmpty()) {
                dims.add(Dim.symbolic(d.getDimParam()));
            } else {
                dims.add(Dim.UNKNOWN);
            }
        }
        return new TensorType(dt, new Shape(dims));
    }

    Tensor toTensor(Onnx.TensorProto tp) throws InvalidInputException, UnsupportedModelException {
        DataType type;
        try {
            type = DataType.fromCode(tp.getDataType());
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': " + e.getMessage());
        }
        if (type == DataType.STRING || type == DataType.UNDEFINED) {
            throw new UnsupportedModelException(file, "tensor '" + tp.getName() + "' has element type "
                    + type.shortName + ", which the compiler does not support");
        }
        if (tp.hasSegment()) {
            throw new UnsupportedModelException(file, "tensor '" + tp.getName() + "' is segmented, which is not supported");
        }
        long[] dims = tp.getDimsList().stream().mapToLong(Long::longValue).toArray();
        long elements = 1;
        long expected;
        try {
            for (long d : dims) {
                if (d < 0) {
                    throw new InvalidInputException(file, "tensor '" + tp.getName() + "' has a negative dimension");
                }
                elements = Math.multiplyExact(elements, d);
            }
            expected = type.byteSize(elements);
        } catch (ArithmeticException e) {
            // found by ParserFuzzTest#onnxModel: dimensions whose product does not fit 64 bits
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "' has dimensions " + dimsText(dims)
                    + " whose element count overflows; the file is damaged");
        }
        TensorData data;
        if (tp.getDataLocation() == Onnx.TensorProto.DataLocation.EXTERNAL) {
            data = externalData(tp, expected);
        } else if (tp.hasRawData()) {
            ByteString raw = tp.getRawData();
            if (raw.size() != expected) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "' " + type.shortName + dimsText(dims)
                        + " should hold " + expected + " bytes but raw_data has " + raw.size());
            }
            data = new BufferTensorData(raw.asReadOnlyByteBuffer(), "embedded");
        } else {
            data = typedData(tp, type, elements);
        }
        ProtoExtras ex = extras(tp.getDocString(), tp.getMetadataPropsList(), tp.getUnknownFields().toByteArray());
        try {
            return new Tensor(tp.getName(), type, dims, data, ex);
        } catch (IllegalArgumentException e) {
            throw new InvalidInputException(file, e.getMessage());
        }
    }

    private static String dimsText(long[] dims) {
        return java.util.Arrays.toString(dims);
    }

    private TensorData externalData(Onnx.TensorProto tp, long expected) throws InvalidInputException {
        String location = null;
        long offset = 0;
        long length = -1;
        for (Onnx.StringStringEntryProto e : tp.getExternalDataList()) {
            try {
                switch (e.getKey()) {
                    case "location" -> location = e.getValue();
                    case "offset" -> offset = Long.parseLong(e.getValue());
                    case "length" -> length = Long.parseLong(e.getValue());
                    default -> { /* checksum and future keys: not needed to locate the bytes */ }
                }
            } catch (NumberFormatException ex) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data " + e.getKey()
                        + " '" + e.getValue() + "' is not a number");
            }
        }
        if (location == null || location.isEmpty()) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "' is external but names no location");
        }
        Path loc = Path.of(location);
        if (loc.isAbsolute() || location.startsWith("/") || location.startsWith("\\")) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data location '" + location
                    + "' is absolute; ONNX requires a path relative to the model's folder");
        }
        for (Path part : loc) {
            if (part.toString().equals("..")) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data location '" + location
                        + "' leaves the model's folder ('..' is not allowed)");
            }
        }
        Path data = folder.resolve(loc).normalize();
        if (!data.startsWith(folder)) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data location '" + location
                    + "' leaves the model's folder");
        }
        if (!Files.exists(data)) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data file '" + location
                    + "' is missing (expected next to the model)");
        }
        try {
            if (Files.isSymbolicLink(data) && !data.toRealPath().startsWith(folder.toRealPath())) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data file '" + location
                        + "' is a link that points outside the model's folder");
            }
            if (!Files.isRegularFile(data, LinkOption.NOFOLLOW_LINKS) && !Files.isRegularFile(data)) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data '" + location
                        + "' is not a regular file");
            }
            long size = Files.size(data);
            if (length < 0) {
                length = size - offset;
            }
            if (offset < 0 || offset + length > size) {
                throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data " + location
                        + " [" + offset + ", " + (offset + length) + ") runs past the end of the file (" + size
                        + " bytes; truncated?)");
            }
        } catch (IOException e) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': cannot read external data '"
                    + location + "': " + e.getMessage());
        }
        if (length != expected) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "': external data length " + length
                    + " does not match its shape (" + expected + " bytes)");
        }
        return new ExternalTensorData(data, offset, length);
    }

    /** Tensors stored in the typed repeated fields (small constants, mostly): converted to raw bytes. */
    private TensorData typedData(Onnx.TensorProto tp, DataType type, long elements) throws InvalidInputException {
        long expected = type.byteSize(elements);
        if (expected > Integer.MAX_VALUE) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "' is too large for typed fields");
        }
        ByteBuffer b = ByteBuffer.allocate((int) expected).order(ByteOrder.LITTLE_ENDIAN);
        int n;
        switch (type) {
            case FLOAT -> {
                n = tp.getFloatDataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.putFloat(tp.getFloatData(i));
                }
            }
            case DOUBLE -> {
                n = tp.getDoubleDataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.putDouble(tp.getDoubleData(i));
                }
            }
            case INT64 -> {
                n = tp.getInt64DataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.putLong(tp.getInt64Data(i));
                }
            }
            case UINT32, UINT64 -> {
                n = tp.getUint64DataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    if (type == DataType.UINT32) {
                        b.putInt((int) tp.getUint64Data(i));
                    } else {
                        b.putLong(tp.getUint64Data(i));
                    }
                }
            }
            case INT32 -> {
                n = tp.getInt32DataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.putInt(tp.getInt32Data(i));
                }
            }
            case INT16, UINT16, FLOAT16, BFLOAT16 -> {
                n = tp.getInt32DataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.putShort((short) tp.getInt32Data(i));
                }
            }
            case INT8, UINT8, BOOL, FLOAT8E4M3FN, FLOAT8E4M3FNUZ, FLOAT8E5M2, FLOAT8E5M2FNUZ, FLOAT8E8M0 -> {
                n = tp.getInt32DataCount();
                for (int i = 0; i < n && i < elements; i++) {
                    b.put((byte) tp.getInt32Data(i));
                }
            }
            default -> throw new InvalidInputException(file, "tensor '" + tp.getName() + "': element type "
                    + type.shortName + " in typed fields is not supported");
        }
        if (n != elements) {
            throw new InvalidInputException(file, "tensor '" + tp.getName() + "' holds " + n + " values but its shape needs "
                    + elements);
        }
        b.flip();
        return new BufferTensorData(b, "embedded");
    }

    private Attribute toAttribute(Onnx.AttributeProto ap, Onnx.NodeProto owner)
            throws InvalidInputException, UnsupportedModelException {
        ProtoExtras ex = extras(ap.getDocString(), List.of(), ap.getUnknownFields().toByteArray());
        String ref = ap.getRefAttrName();
        return switch (ap.getType()) {
            case FLOAT -> new Attribute(ap.getName(), Attribute.Kind.FLOAT, ap.getF(), ref, ex);
            case INT -> new Attribute(ap.getName(), Attribute.Kind.INT, ap.getI(), ref, ex);
            case STRING -> new Attribute(ap.getName(), Attribute.Kind.STRING, ap.getS().toByteArray(), ref, ex);
            case TENSOR -> new Attribute(ap.getName(), Attribute.Kind.TENSOR, toTensor(ap.getT()), ref, ex);
            case FLOATS -> {
                float[] f = new float[ap.getFloatsCount()];
                for (int i = 0; i < f.length; i++) {
                    f[i] = ap.getFloats(i);
                }
                yield new Attribute(ap.getName(), Attribute.Kind.FLOATS, f, ref, ex);
            }
            case INTS -> new Attribute(ap.getName(), Attribute.Kind.INTS,
                    ap.getIntsList().stream().mapToLong(Long::longValue).toArray(), ref, ex);
            case STRINGS -> new Attribute(ap.getName(), Attribute.Kind.STRINGS,
                    ap.getStringsList().stream().map(ByteString::toByteArray).toList(), ref, ex);
            case TENSORS -> {
                List<Tensor> ts = new ArrayList<>();
                for (Onnx.TensorProto t : ap.getTensorsList()) {
                    ts.add(toTensor(t));
                }
                yield new Attribute(ap.getName(), Attribute.Kind.TENSORS, List.copyOf(ts), ref, ex);
            }
            case GRAPH, GRAPHS -> throw new UnsupportedModelException(file, "node '" + owner.getName() + "' ("
                    + owner.getOpType() + ") has a subgraph; control flow (If/Loop/Scan) is not supported");
            case SPARSE_TENSOR, SPARSE_TENSORS, TYPE_PROTO, TYPE_PROTOS -> new Attribute(ap.getName(),
                    Attribute.Kind.OPAQUE, new Attribute.Opaque(ap.toByteArray(), ap.getType().name()), ref, ex);
            default -> throw new InvalidInputException(file, "node '" + owner.getName() + "' attribute '" + ap.getName()
                    + "' has no valid type");
        };
    }
}
