#!/usr/bin/env bash
# MNIST on Spark (local mode): mlp4j's MlpEstimator vs MLlib's MultilayerPerceptronClassifier, one table.
#   spark/run-mnist.sh                                     defaults: local[2], 10 epochs, k=100, MLlib 15/200 L-BFGS iterations
#   spark/run-mnist.sh -Depochs=10 -Dk=25 -Dmllib.bigIters=20 -Dmllib.smallIters=50 -Dcores=4 -Dmllib.skip=true
# MAIN=RoundOverhead spark/run-mnist.sh measures the per-round cost of docs/spark.md instead.
# MAIN=ScoringBenchmark spark/run-mnist.sh [-Dreps=9] measures scoring alone, mlp4j vs MLlib (about a minute).
# MNIST: $MLP4J_MNIST, else data/mnist in the repository root, else /work/shared/data/mnist.
set -euo pipefail
cd "$(dirname "$0")/.."
./mvnw -B -ntp -q -pl spark -am test-compile dependency:build-classpath -Dmdep.outputFile=target/classpath.txt \
  -Dmdep.includeScope=test >/dev/null
OPENS=$(sed -n 's:.*<spark.opens>\(.*\)</spark.opens>.*:\1:p' spark/pom.xml)
# shellcheck disable=SC2086
exec java --add-modules jdk.incubator.vector $OPENS -Xmx${MLP4J_SPARK_XMX:-6g} "$@" \
  -Dlog4j2.configurationFile=spark/src/test/resources/log4j2.properties \
  -cp "spark/target/classes:spark/target/test-classes:core/target/classes:$(cat spark/target/classpath.txt)" \
  "org.mlp4j.spark.${MAIN:-MnistBenchmark}"
