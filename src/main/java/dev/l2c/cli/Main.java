package dev.l2c.cli;
import dev.l2c.ir.*;
import dev.l2c.ir.serde.*;
import dev.l2c.analysis.*;
import java.nio.file.Path;
import java.util.*;
public final class Main { public static void main(String[] a) throws Exception {
  Model m = OnnxReader.read(Path.of(a[0]));
  Graph g = m.graph();
  ValueShapes s = ShapeInference.infer(g, m.defaultOpset());
  int unknown = 0;
  for (Node n : g.topologicalOrder()) for (Value v : n.outputs()) { TensorType t = s.typeOf(v); if (t == null || t.shape() == null || t.shape().hasUnknown()) { unknown++; if (unknown < 20) System.out.println("UNKNOWN " + v + " from " + n + " " + t);} }
  System.out.println("unknown " + unknown + " of " + s.size());
  for (String name : a.length > 1 ? Arrays.copyOfRange(a,1,a.length) : new String[0]) System.out.println(name + " " + s.typeOf(g.value(name)) + " " + s.integerValue(g.value(name)));
} }
