package dev.l2c.cli;
import dev.l2c.ir.*;
import dev.l2c.ir.serde.*;
import dev.l2c.analysis.*;
import java.nio.file.Path;
import java.util.*;
public final class Main { public static void main(String[] a) throws Exception {
  long t0 = System.nanoTime();
  Model m = OnnxReader.read(Path.of(a[0]));
  Graph g = m.graph();
  ValueShapes s = ShapeInference.infer(g, m.defaultOpset());
  LayerMap lm = LayerDetector.detect(g, s);
  for (CacheableLayer l : lm.layers()) System.out.println(l.index() + " b" + l.block() + " " + l.kind() + " " + l.tensor() + " " + l.type() + " gate=" + l.gate() + " macs=" + l.macsPerSample());
  System.out.println("full macs " + lm.macsPerSampleFull() + " in " + (System.nanoTime()-t0)/1e6 + " ms");
} }
