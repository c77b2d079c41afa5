#!/usr/bin/env bash
# Reproduces the results in benchmarks/. Usage: benchmarks/run.sh SECTION...  (or `all`)
# Build first: mvn -q -DskipTests package. Needs Debian's dataset-fashion-mnist for FD.
# Every section writes into benchmarks/<section>/ and records the machine in results.md.
set -euo pipefail
cd "$(dirname "$0")/.."
L2C=${L2C:-./l2c}
DIT=onnx-models/dit_fmnist.onnx
UVIT=onnx-models/uvit_fmnist.onnx
XL=${XL_DIR:-/tmp/l2c-xl}          # where the full-size builder models go (2.5 GiB and 1.9 GiB)
ROUTERS=${ROUTERS:-../shared/routers}
# FD needs 1 000 samples with CFG per configuration (6-8 minutes each for 20 steps on 2 cores): it is
# measured for the full schedule, fewer steps at matched compute, the reference mask and the learned
# schedules; every configuration gets PSNR vs full on the timed images
FD=${FD:-1000}   # FD=0 skips FD (PSNR only)
FD_ONLY=${FD_ONLY:-fewer-steps-r20,fewer-steps-r35,l2c-reference-mask,learned-r20,learned-r35}

core() {  # issue 2: plain loop vs compiled all-full vs compiled reference schedule, DiT DDIM-20, 8 images + CFG
  out=benchmarks/dit-ddim20-core
  for mem in auto balanced; do
    $L2C bench $DIT --plain --schedule compiled-all-full=schedules/dit_fmnist_ddim20_full.json \
      --schedule compiled-l2c-reference=schedules/dit_fmnist_ddim20_reference.json \
      --nfe 20 --images 8 --repeats 9 --warmup 2 --memory $mem --out $out/memory-$mem
  done
  $L2C memory-bench $DIT --schedule compiled-all-full=schedules/dit_fmnist_ddim20_full.json \
    --schedule compiled-l2c-reference=schedules/dit_fmnist_ddim20_reference.json \
    --schedule fora-2=schedules/bench/dit_fmnist_ddim20_fora2.json \
    --schedule random-20-graphs=schedules/bench/dit_fmnist_ddim20_random_seed1.json --images 8 --out $out
}

learn() {  # issues 5 and 14: learned schedules for the embedded models (benchmarks/learn.md, benchmarks/fidelity/)
  # the *_learned_r* files: the final samples' error (--weighting sample); the *_stepwise_* files: L2C's
  # per-step objective (--weighting output, the default)
  for n in 20 50; do
    for r in 20 35 40 50; do
      $L2C learn $DIT --nfe $n --budget 0.$r --forecast reuse --weighting sample --quiet -o schedules/dit_fmnist_ddim${n}_learned_r$r.json \
        --report benchmarks/learn-reports/dit_ddim${n}_r$r.json
    done
    for r in 20 35 40 50; do
      $L2C learn $DIT --nfe $n --budget 0.$r --forecast reuse --weighting output --quiet -o schedules/dit_fmnist_ddim${n}_learned_stepwise_r$r.json \
        --report benchmarks/learn-reports/dit_ddim${n}_stepwise_r$r.json
    done
  done
  # U-ViT: 9 cache steps of 20 evaluations, so the router pattern removes at most 45 %
  for r in 20 35 40; do
    $L2C learn $UVIT --sampler dpm2s --nfe 20 --budget 0.$r --forecast reuse --weighting sample --quiet -o schedules/uvit_fmnist_dpm2s20_learned_r$r.json \
      --report benchmarks/learn-reports/uvit_dpm2s20_r$r.json
  done
  for r in 20 35 40; do
    $L2C learn $UVIT --sampler dpm2s --nfe 20 --budget 0.$r --forecast reuse --weighting output --quiet \
      -o schedules/uvit_fmnist_dpm2s20_learned_stepwise_r$r.json --report benchmarks/learn-reports/uvit_dpm2s20_stepwise_r$r.json
  done
}

fidelity() {  # issue 14: FD with bootstrap intervals and paired differences, learned against fewer steps at 20-50 % removed
  # Quality only (one timed round of 2 images). The samples are kept per batch in $SAMPLE_CACHE: an interrupted
  # run resumes at its first missing batch, and a later run with fewer samples reuses the first ones (the
  # baselines' run below takes full, fewer steps and learned from the DDIM-20 run).
  cache=${SAMPLE_CACHE:-target/sample-cache}
  q="--images 2 --repeats 1 --warmup 0 --memory balanced --fd-batch 20 --sample-cache $cache"
  s=schedules
  # the schedules of `l2c learn`'s default objective (L2C's per-step one, the *_stepwise_* files)
  dit=""; for r in 20 35 40 50; do dit="$dit --schedule learned-stepwise-r$r=$s/dit_fmnist_ddim20_learned_stepwise_r$r.json"; done
  uvit=""; for r in 20 35 40; do uvit="$uvit --schedule learned-stepwise-r$r=$s/uvit_fmnist_dpm2s20_learned_stepwise_r$r.json"; done
  dit50=""; for r in 20 35 40; do dit50="$dit50 --schedule learned-stepwise-r$r=$s/dit_fmnist_ddim50_learned_stepwise_r$r.json"; done
  # DiT DDIM-20, 1 000 samples, four budgets; the intervals' widths also at 500 samples
  $L2C bench $DIT --suite --nfe 20 --remove 0.2,0.35,0.4,0.5 --fd 1000 --fd-widths-at 500 $q \
    --fd-only fewer-steps-r20,fewer-steps-r35,fewer-steps-r40,fewer-steps-r50,learned-stepwise-r20,learned-stepwise-r35,learned-stepwise-r40,learned-stepwise-r50 \
    $dit --out benchmarks/fidelity/dit-ddim20
  # U-ViT with DPM-Solver++(2S): 9 cache steps of 20 evaluations, so the router pattern removes 45 % at most;
  # 500 samples for machine time (about 35 minutes on 2 cores)
  $L2C bench $UVIT --suite --sampler dpm2s --nfe 20 --remove 0.2,0.35,0.4 --fd 500 --fd-widths-at 250 $q \
    --fd-only fewer-steps-r20,fewer-steps-r35,fewer-steps-r40,learned-stepwise-r20,learned-stepwise-r35,learned-stepwise-r40 \
    $uvit --out benchmarks/fidelity/uvit-dpm2s20
  # DiT DDIM-50, 500 samples (about 70 minutes on 2 cores)
  $L2C bench $DIT --suite --nfe 50 --remove 0.2,0.35,0.4 --fd 500 --fd-widths-at 250 $q \
    --fd-only fewer-steps-r20,fewer-steps-r35,fewer-steps-r40,learned-stepwise-r20,learned-stepwise-r35,learned-stepwise-r40 \
    $dit50 --out benchmarks/fidelity/dit-ddim50
  # the other baselines on DiT DDIM-20 at 500 samples, one per method (full, fewer steps, learned: the first 500
  # of the DDIM-20 run; FORA's grid at 20 steps has 0 and 50 % only)
  $L2C bench $DIT --suite --nfe 20 --remove 0.35,0.5 --fd 500 $q \
    --fd-only fewer-steps-r35,fewer-steps-r50,fora-r50,deepcache-r35,random-r35,learned-stepwise-r35,learned-stepwise-r50 \
    $dit --out benchmarks/fidelity/dit-ddim20-baselines
}

dit20() {  # issues 4 and 5: DiT DDIM-20, full vs baselines at matched compute vs reference mask vs learned
  # the schedules learned with L2C's per-step objective (FD for them, fewer steps and the reference mask)
  $L2C bench $DIT --suite --nfe 20 --remove 0.2,0.35 --fd $FD --fd-batch 250 --fd-only $FD_ONLY --images 8 --repeats 5 --warmup 1 --memory balanced \
    --schedule learned-r20=schedules/dit_fmnist_ddim20_learned_stepwise_r20.json \
    --schedule learned-r35=schedules/dit_fmnist_ddim20_learned_stepwise_r35.json --out benchmarks/dit-ddim20
  # a timing-only run of the same suite (the quality run's rounds were disturbed by other work)
  $L2C bench $DIT --suite --nfe 20 --remove 0.2,0.35 --fd 0 --images 8 --repeats 5 --warmup 1 --memory balanced \
    --schedule learned-r20=schedules/dit_fmnist_ddim20_learned_stepwise_r20.json \
    --schedule learned-r35=schedules/dit_fmnist_ddim20_learned_stepwise_r35.json --out benchmarks/dit-ddim20/timing
}

dit50() {  # issues 4 and 5: DiT DDIM-50; FD of 1 000 samples takes ~17 minutes per configuration at 50 steps
  # FD50=1000 adds FD for full, fewer steps and the stepwise-learned schedules (about 85 minutes on 2 cores)
  $L2C bench $DIT --suite --nfe 50 --remove 0.2,0.35 --fd ${FD50:-0} --fd-batch 250 \
    --fd-only fewer-steps-r20,fewer-steps-r35,learned-r20,learned-r35 --images 8 --repeats 3 --warmup 1 --memory balanced \
    --schedule learned-r20=schedules/dit_fmnist_ddim50_learned_stepwise_r20.json \
    --schedule learned-r35=schedules/dit_fmnist_ddim50_learned_stepwise_r35.json --out benchmarks/dit-ddim50
}

uvit20() {  # issues 3, 4, 5: U-ViT with DPM-Solver++(2S), 20 evaluations
  mkdir -p benchmarks/uvit-dpm2s20
  $L2C sample $UVIT --sampler dpm2s --nfe 20 --labels 0,1,2,3,4,5,6,7,8,9,0,1,2,3,4,5,6,7,8,9 --seed 7 \
    -o benchmarks/uvit-dpm2s20/sample_plain_dpm2s20.png
  $L2C bench $UVIT --suite --sampler dpm2s --nfe 20 --remove 0.2,0.35 --fd $FD --fd-batch 250 --fd-only fewer-steps-r20,fewer-steps-r35,learned-r20,learned-r35 \
    --images 8 --repeats 5 --warmup 1 --memory balanced \
    --schedule learned-r20=schedules/uvit_fmnist_dpm2s20_learned_stepwise_r20.json \
    --schedule learned-r35=schedules/uvit_fmnist_dpm2s20_learned_stepwise_r35.json --out benchmarks/uvit-dpm2s20
}

jmh() {  # issue 4: per-step latency and runner overhead
  out=benchmarks/jmh
  mkdir -p $out
  java -Djava.awt.headless=true -cp target/l2c.jar org.openjdk.jmh.Main -rf json -rff $out/results.json \
    StepLatencyBenchmark RunnerOverheadBenchmark 2>&1 | tee $out/results.txt
}

forecast_speed() {  # issue 23: forecast schedules at 1 image, demo DiT and DiT-XL/2 (run `xl` first for the model)
  s=schedules
  $L2C bench $DIT --plain --nfe 20 --linked linked-forecast-r65=$s/dit_fmnist_ddim20_forecast_r65.json \
    --schedule forecast-r65=$s/dit_fmnist_ddim20_forecast_r65.json --images 1 --repeats 7 --warmup 1 --fd 0 \
    --out benchmarks/forecast/speed-dit-ddim20-1image
  $L2C schedule baseline taylorseer --nfe 20 --layers 56 --pattern dit-ddim --remove 0.65 -o "$XL/taylor65.json"
  $L2C bench "$XL/dit-xl2/model.onnx" --plain --nfe 20 --linked linked-taylorseer-r65="$XL/taylor65.json" \
    --schedule stepwise-taylorseer-r65="$XL/taylor65.json" --images 1 --cfg 1.5 --repeats 3 --warmup 1 --fd 0 \
    --ort-cache "$XL/ort" --out benchmarks/forecast/speed-dit-xl2-ddim20
}

first_contact() {  # issue 25: the README's main job before/after, and bench of the default configuration
  benchmarks/first-contact/measure
  $L2C bench $DIT --plain --nfe 20 --linked linked-default=schedules/dit_fmnist_ddim20_learned_r35.json \
    --schedule stepwise-auto=schedules/dit_fmnist_ddim20_learned_r35.json --images 8 --repeats 7 --warmup 1 --fd 0 \
    --out benchmarks/first-contact/bench-dit-ddim20
}

package_open() {  # issue 24: what the checks on opening a package cost (demo DiT; DiT-XL/2 when built by `xl`)
  out=benchmarks/trust
  mkdir -p $out
  pkgs=demo-forecast
  [ -d "$XL/pkg-dit-xl2-DDIM20-copy" ] && pkgs="$pkgs,$XL/pkg-dit-xl2-DDIM20-copy"
  java -Djava.awt.headless=true -cp target/l2c.jar org.openjdk.jmh.Main -rf json -rff $out/package-open.json \
    PackageOpenBenchmark -p pkg=$pkgs 2>&1 | tee $out/package-open.txt
}

xl() {  # issue 6: DiT-XL/2 and U-ViT-H/2 from the builder, the published routers
  out=benchmarks/full-size
  mkdir -p $out "$XL"
  # the builds are deterministic (seeded): a model already built by this script is kept
  [ -f "$XL/dit-xl2/model.onnx" ] || $L2C build-model dit --preset xl --seed 1 -o "$XL/dit-xl2" --force
  [ -f "$XL/uvit-h2/model.onnx" ] || $L2C build-model uvit --preset h2 --seed 1 -o "$XL/uvit-h2" --force
  for r in DDIM20 DDIM50; do $L2C schedule from-router $ROUTERS/${r}_router.pt -o "$XL/$r.json"; done
  for r in dpm20 dpm50; do $L2C schedule from-router $ROUTERS/${r}_router.pth -o "$XL/$r.json"; done
  {
    echo "## Compile (heap limited to 512 MiB)"
    for pair in "dit-xl2 DDIM50" "dit-xl2 DDIM20" "uvit-h2 dpm50" "uvit-h2 dpm20"; do
      set -- $pair
      for mode in copy link; do
        flag=""; [ $mode = link ] && flag="--link-weights"
        /usr/bin/time -f "peak RSS %M KiB, wall %e s" env L2C_JAVA_OPTS=-Xmx512m \
          $L2C compile "$XL/$1/model.onnx" --schedule "$XL/$2.json" -o "$XL/pkg-$1-$2-$mode" --stepwise --force $flag 2>&1
      done
    done
  } | tee $out/compile.txt
  $L2C schedule baseline fora --nfe 20 --layers 56 --pattern dit-ddim --interval 2 -o "$XL/fora2.json"
  # speed (ONNX Runtime's defaults) packs a copy of the 2.7 GB of weights per session: with the router's
  # graphs that cannot fit in 23 GiB, so it is measured on two graphs (FORA-2), the others on the router
  $L2C bench "$XL/dit-xl2/model.onnx" --plain --schedule published-router=$XL/DDIM20.json --nfe 20 --images 1 \
    --cfg 1.5 --repeats 3 --warmup 1 --memory balanced --out $out/dit-xl2-ddim20
  $L2C memory-bench "$XL/dit-xl2/model.onnx" --schedule fora-2=$XL/fora2.json --images 1 --java-heap 1g \
    --out $out/dit-xl2-ddim20-memory-fora2
  $L2C memory-bench "$XL/dit-xl2/model.onnx" --schedule published-router=$XL/DDIM20.json --images 1 --java-heap 1g \
    --modes balanced,lean --out $out/dit-xl2-ddim20-memory-router
}

linked() {  # issue 11: linked model vs stepwise package vs plain loop (DiT-XL/2: run `xl` first for the model)
  out=benchmarks/linked
  $L2C bench $DIT --plain --schedule learned-r35=schedules/dit_fmnist_ddim20_learned_r35.json \
    --memory-policies lean,balanced,speed --linked linked-r35=schedules/dit_fmnist_ddim20_learned_r35.json \
    --linked linked-full=schedules/dit_fmnist_ddim20_full.json --images 8 --repeats 9 --warmup 2 --out $out/dit-ddim20
  $L2C bench $DIT --plain --schedule learned-r35=schedules/dit_fmnist_ddim20_learned_r35.json \
    --memory-policies lean,balanced,speed --linked linked-r35=schedules/dit_fmnist_ddim20_learned_r35.json \
    --linked linked-full=schedules/dit_fmnist_ddim20_full.json --images 8 --repeats 5 --warmup 1 --threads 1 \
    --out $out/dit-ddim20-1thread
  $L2C memory-bench $DIT --schedule learned-r35=schedules/dit_fmnist_ddim20_learned_r35.json --linked \
    --modes lean,balanced,speed --images 8 --out $out/dit-ddim20-memory
  $L2C bench "$XL/dit-xl2/model.onnx" --plain --schedule published-router=$XL/DDIM20.json --memory-policies lean,balanced \
    --linked linked-router=$XL/DDIM20.json --nfe 20 --images 1 --cfg 1.5 --repeats 3 --warmup 1 --out $out/dit-xl2-ddim20
  $L2C memory-bench "$XL/dit-xl2/model.onnx" --schedule published-router=$XL/DDIM20.json --linked --modes lean,balanced \
    --images 1 --java-heap 1g --out $out/dit-xl2-ddim20-memory
  {
    echo "## Linked compile of DiT-XL/2 (Java heap limited to 512 MiB)"
    for r in DDIM50 DDIM20; do
      /usr/bin/time -f "peak RSS %M KiB, wall %e s" env L2C_JAVA_OPTS=-Xmx512m \
        $L2C compile "$XL/dit-xl2/model.onnx" --schedule "$XL/$r.json" --link -o "$XL/linked-$r" --force 2>&1
    done
  } | tee $out/compile-xl.txt
}

spark() {  # issue 15: the Spark job in local mode against `l2c sample` in one process (benchmarks/spark/README.md)
  # same package, images, batch and intra-op threads; the two alternate, SPARK_ROUNDS times (about 13 minutes a
  # round at the defaults on 2 cores). SPARK_LINK=1 measures the linked package instead of the stepwise one.
  out=benchmarks/spark
  work=${SPARK_WORK:-/tmp/l2c-spark-bench}
  n=${SPARK_IMAGES:-1024} b=${SPARK_BATCH:-8} t=${SPARK_THREADS:-2} rounds=${SPARK_ROUNDS:-3}
  link="--stepwise"; kind=stepwise
  [ "${SPARK_LINK:-0}" = 1 ] && link="--link" && kind=linked
  if [ ! -f target/l2c-spark.jar ] || [ ! -f target/spark-classpath.txt ]; then
    echo "spark: build first with mvn -q -DskipTests package" >&2; return 2
  fi
  mkdir -p "$out" "$work"
  rm -rf "$work"/round-*
  $L2C compile $DIT --schedule schedules/dit_fmnist_ddim20_learned_r35.json $link -o "$work/pkg-$kind" --force
  for r in $(seq "$rounds"); do
    d="$work/round-$r"; mkdir -p "$d"
    t0=$(date +%s.%N)
    $L2C sample "$work/pkg-$kind" -n "$n" --batch "$b" --threads "$t" --seed "$r" --quiet \
      -o "$d/grid.png" --npy "$d/samples.npy" --stats "$d/sample.json"
    t1=$(date +%s.%N)
    src/spark/spark-submit --master "local[$t]" --class dev.l2c.spark.SparkSampleJob target/l2c-spark.jar \
      "$work/pkg-$kind" --count "$n" --seed "$r" --batch "$b" --threads "$t" --partitions "$t" \
      -o "$d/table.parquet" --summary "$d/spark.json"
    t2=$(date +%s.%N)
    echo "$t0 $t1 $t2" > "$d/walls.txt"
  done
  python3 benchmarks/spark/report.py "$work" "$kind" "$n" "$b" "$t" "$rounds" > "$out/results-$kind.md"
  cat "$out/results-$kind.md"
}

# forecast_fd MODEL PREFIX OUT "SAMPLER OPTIONS" "BASELINES" "REUSE BUDGETS": the forecast-learned schedules
# schedules/PREFIX_forecast_rNN.json (relearned with RELEARN=1) against fewer steps, the BASELINES matched to
# 50/65/75 % (their refresh grids reach nothing near 20 or 35 %) and the reuse-only learned schedules
# PREFIX_learned_stepwise_rNN.json at REUSE BUDGETS: FD with paired intervals, 500 samples of noise seed 1
# (the learners calibrate on seed 0), five budgets
forecast_fd() {
  model=$1; prefix=$2; out=$3; sampler=$4; baselines=$5; reuse=$6
  s=schedules
  if [ "${RELEARN:-0}" = 1 ]; then
    for r in 20 35 50 65 75; do
      $L2C learn $model $sampler --budget 0.$r --forecast learned --quiet -o $s/${prefix}_forecast_r$r.json
    done
  fi
  cache=${SAMPLE_CACHE:-target/sample-cache}
  q="--images 2 --repeats 1 --warmup 0 --memory balanced --fd-batch 20 --sample-cache $cache --seed 1"
  f=""; only=""
  for r in 20 35 50 65 75; do
    f="$f --schedule forecast-r$r=$s/${prefix}_forecast_r$r.json"
    only="$only,fewer-steps-r$r,forecast-r$r"
  done
  for r in 50 65 75; do
    for b in $baselines; do only="$only,$b-r$r"; done
  done
  for r in $reuse; do
    f="$f --schedule reuse-learned-r$r=$s/${prefix}_learned_stepwise_r$r.json"; only="$only,reuse-learned-r$r"
  done
  $L2C bench $model --suite $sampler --remove 0.2,0.35,0.5,0.65,0.75 --fd 500 $q --fd-only "${only#,}" $f --out $out
}

forecast() {  # issue 23: forecast schedules (learned refreshes + forecasts) against reuse, TaylorSeer, FORA, fewer steps
  forecast_fd $DIT dit_fmnist_ddim20 benchmarks/forecast/dit-ddim20 "--nfe 20" "fora taylorseer" "20 35 50"
  # speed on an idle machine: linked and stepwise forecast packages against the plain loop, 8 images, interleaved
  s=schedules
  $L2C bench $DIT --plain --nfe 20 --schedule forecast-r65=$s/dit_fmnist_ddim20_forecast_r65.json \
    --linked linked-forecast-r65=$s/dit_fmnist_ddim20_forecast_r65.json \
    --linked linked-forecast-r75=$s/dit_fmnist_ddim20_forecast_r75.json \
    --linked linked-full=$s/dit_fmnist_ddim20_full.json --fd 0 --images 8 --repeats 5 --warmup 1 \
    --out benchmarks/forecast/speed-dit-ddim20
}

forecast_uvit() {  # issue 23: the same comparison on the U-ViT with DPM-Solver++(2S), 20 evaluations
  forecast_fd $UVIT uvit_fmnist_dpm2s20 benchmarks/forecast/uvit-dpm2s20 "--sampler dpm2s --nfe 20" "fora taylorseer" "20 35"
}

forecast50() {  # issue 23: the same comparison at DiT DDIM-50 (FD of 500 samples: ~16 minutes for full, ~110 in all)
  # TaylorSeer's grid at 50 steps removes 0, 50, 66, 74, 80 %. FORA and the reuse-only learned schedules lost
  # to fewer steps at DDIM-50 with 1 000 samples (benchmarks/fidelity/); FD50_REUSE=1 adds them (~60 minutes)
  if [ "${FD50_REUSE:-0}" = 1 ]; then
    forecast_fd $DIT dit_fmnist_ddim50 benchmarks/forecast/dit-ddim50 "--nfe 50" "fora taylorseer" "20 35 50"
  else
    forecast_fd $DIT dit_fmnist_ddim50 benchmarks/forecast/dit-ddim50 "--nfe 50" "taylorseer" ""
  fi
}

TEXT=onnx-models/text_dit_fmnist.onnx

text() {  # issue 26: the text demo (PixArt-style), DDIM-20 and DPM-Solver++(2S)-20: learned schedules against
  # fewer steps, FORA, TaylorSeer, DeepCache (3 layers per block); FD of 500 samples on the card's 10 class
  # prompts, caption adherence of 400 images (the 80 captions of the training grammar) per schedule
  s=schedules
  cache=${SAMPLE_CACHE:-target/sample-cache}
  q="--images 2 --repeats 1 --warmup 0 --memory balanced --fd-batch 20 --sample-cache $cache --seed 1"
  if [ "${RELEARN:-0}" = 1 ]; then
    for r in 35 50; do
      $L2C learn $TEXT --nfe 20 --budget 0.$r --quiet -o $s/text_dit_fmnist_ddim20_forecast_r$r.json
      $L2C learn $TEXT --sampler dpm2s --nfe 20 --budget 0.$r --quiet -o $s/text_dit_fmnist_dpm2s20_forecast_r$r.json
    done
  fi
  for sampler in ddim dpm2s; do
    name=text_dit_fmnist_${sampler}20
    $L2C bench $TEXT --suite --sampler $sampler --nfe 20 --remove 0.35,0.5 --fd 500 --adherence 400 $q \
      --fd-only fewer-steps-r35,fewer-steps-r50,forecast-r35,forecast-r50,taylorseer-r35,taylorseer-r50,fora-r50,deepcache-r35 \
      --schedule forecast-r35=$s/${name}_forecast_r35.json --schedule forecast-r50=$s/${name}_forecast_r50.json \
      --out benchmarks/text/$sampler-20
  done
}

pixart_speed() {  # issue 26: PixArt-alpha-XL/2 (builder, seeded weights), a 35 % schedule linked, 1 image, vs the plain loop
  mkdir -p $XL
  [ -f $XL/pixart-xl2/model.onnx ] || $L2C build-model pixart --preset xl -o $XL/pixart-xl2
  $L2C schedule baseline random --nfe 20 --layers 84 --pattern dit-ddim --remove 0.35 -o $XL/pixart-random35.json
  $L2C bench $XL/pixart-xl2/model.onnx --plain --nfe 20 --linked linked-random-r35=$XL/pixart-random35.json \
    --images 1 --repeats 3 --warmup 1 --fd 0 --out benchmarks/text/pixart-xl2-speed
}

if [ $# -eq 0 ]; then
  echo "usage: $0 core|learn|dit20|dit50|uvit20|fidelity|forecast|forecast_uvit|forecast50|forecast_speed|first_contact|jmh|package_open|xl|linked|spark|text|pixart_speed|all" >&2
  exit 2
fi
for s in "$@"; do
  if [ "$s" = all ]; then core; dit20; dit50; uvit20; jmh; xl; linked; spark; else "$s"; fi
done
