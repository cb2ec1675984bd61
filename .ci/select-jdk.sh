# Sourced by .ci/run and the scripts: exports JAVA_HOME as a JDK whose feature version is >= 21.
# Keeps a JAVA_HOME that already qualifies; otherwise looks under /usr/lib/jvm; otherwise
# installs Debian's openjdk-21 when the distribution has it.
jdk_feature() { "$1/bin/java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p'; }
jdk_ok() { [ -x "$1/bin/javac" ] && [ "$(jdk_feature "$1")" -ge 21 ] 2>/dev/null; }

select_jdk() {
  if [ -n "${JAVA_HOME:-}" ] && jdk_ok "$JAVA_HOME"; then return 0; fi
  local d best="" best_v=0 v
  for d in /usr/lib/jvm/*; do
    [ -d "$d" ] || continue
    if jdk_ok "$d"; then
      v=$(jdk_feature "$d")
      if [ "$v" -gt "$best_v" ]; then best=$d; best_v=$v; fi
    fi
  done
  if [ -z "$best" ] && command -v apt-get >/dev/null 2>&1; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq openjdk-21-jdk-headless >/dev/null 2>&1 || true
    for d in /usr/lib/jvm/*21*; do jdk_ok "$d" && best=$d && break; done
  fi
  if [ -z "$best" ]; then
    echo "No JDK >= 21 found under /usr/lib/jvm: install one (for example Temurin 21 or 25) and set JAVA_HOME." >&2
    return 1
  fi
  export JAVA_HOME=$best
}
select_jdk
export PATH="$JAVA_HOME/bin:$PATH"
