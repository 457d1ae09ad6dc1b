#!/usr/bin/env bash
# Builds the real Neo4j 5.26 Community test server (test/neo4j-server) that the contract tests start.
# Idempotent: does nothing when target/neo4j-test-server.jar is newer than pom.xml and every source file.
# Needs a JDK (17+) and Maven on PATH, and Maven Central (or a filled ~/.m2) for the first build.
# Usage: .ci/neo4j-server.sh [--force]
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
project="$root/test/neo4j-server"
jar="$project/target/neo4j-test-server.jar"

for tool in java mvn; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "neo4j-server.sh: '$tool' is not on PATH; install a JDK 17 and Maven (e.g. apt-get install -y openjdk-17-jdk-headless maven)" >&2
    exit 1
  fi
done

up_to_date() {
  [[ -f "$jar" && -d "$project/target/lib" ]] || return 1
  [[ "$jar" -nt "$project/pom.xml" ]] || return 1
  # Any source newer than the jar means a rebuild.
  [[ -z "$(find "$project/src" -type f -newer "$jar" -print -quit)" ]]
}

if [[ "${1:-}" != "--force" ]] && up_to_date; then
  echo "neo4j-server.sh: $jar is up to date"
  exit 0
fi

echo "neo4j-server.sh: building the Neo4j test server with Maven"
start=$(date +%s)
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
# Maven's output is kept quiet unless the build fails (Debian's Maven prints stray colour codes even with -q -B).
if ! mvn -q -B -Dstyle.color=never -f "$project/pom.xml" clean package -DskipTests >"$log" 2>&1; then
  cat "$log" >&2
  echo "neo4j-server.sh: the Maven build failed" >&2
  exit 1
fi
touch "$jar"
echo "neo4j-server.sh: built $jar in $(( $(date +%s) - start )) s"
