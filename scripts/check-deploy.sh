#!/usr/bin/env bash
# Checks deploy/ without a cluster: kustomization.yaml lists every Kubernetes object there and only
# files that exist; each object, as a file and as kustomize renders it, passes kubernetes-validate
# --strict; the example rules pass `ruler check rules`; the console's nginx template, rendered as the
# image renders it, passes `nginx -t`. Installs what it needs, skipping what is there.
# Exits non-zero on any failure. RULER=path skips building the ruler.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DEPLOY="$ROOT/deploy"
TOOLS="${THANOS_CONSOLE_TOOLS:-$HOME/.local/share/thanos-console-tools}"
VENV="$TOOLS/venv"
KUBERNETES_VALIDATE_VERSION="1.37.0"
# An older Kubernetes the manifests must still suit, and the newest the validator knows.
KUBERNETES_VERSIONS=(1.30.0 1.37.0)

log() { printf '\033[1mcheck-deploy:\033[0m %s\n' "$*" >&2; }
fail() { log "FAILED: $*"; exit 1; }

source "$ROOT/scripts/apt.sh"

apt_install nginx gettext-base  # gettext-base: envsubst, as the nginx image uses
# kubectl renders the kustomization. Debian's kubernetes-client only where no kubectl is installed.
command -v kubectl >/dev/null || apt_install kubernetes-client
if ! "$VENV/bin/kubernetes-validate" --version 2>/dev/null | grep -qx "$KUBERNETES_VALIDATE_VERSION"; then
  log "installing kubernetes-validate $KUBERNETES_VALIDATE_VERSION (PyPI, into $VENV)"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q "kubernetes-validate==$KUBERNETES_VALIDATE_VERSION"
fi

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

log "kustomization.yaml lists every object and generator file, and they exist"
# Prints the resources listed, then the generators' files, one per line, each set after a marker.
"$VENV/bin/python" - "$DEPLOY" >"$tmp/lists" <<'PY'
import pathlib, sys, yaml

root = pathlib.Path(sys.argv[1])
kustomization = yaml.safe_load((root / "kustomization.yaml").read_text())
resources = kustomization.get("resources", [])
generated = [
    f.split("=", 1)[-1]
    for kind in ("configMapGenerator", "secretGenerator")
    for g in kustomization.get(kind, [])
    for f in g.get("files", [])
]
problems = [f"{f}: listed in kustomization.yaml but missing" for f in resources + generated if not (root / f).is_file()]
for path in sorted(root.rglob("*.y*ml")):
    rel = path.relative_to(root).as_posix()
    if rel == "kustomization.yaml":
        continue
    try:
        docs = [d for d in yaml.safe_load_all(path.read_text()) if d is not None]
    except yaml.YAMLError as e:
        problems.append(f"{rel}: not YAML: {e}")
        continue
    is_object = any(isinstance(d, dict) and "apiVersion" in d and "kind" in d for d in docs)
    if is_object and rel not in resources:
        problems.append(f"{rel}: a Kubernetes object missing from kustomization.yaml resources")
    if not is_object and rel not in generated:
        problems.append(f"{rel}: neither a resource nor a generator file in kustomization.yaml, so never deployed")
for p in problems:
    print(p, file=sys.stderr)
print("#resources", *resources, "#generated", *generated, sep="\n")
sys.exit(1 if problems else 0)
PY
mapfile -t resources < <(sed -n '/^#resources$/,/^#generated$/p' "$tmp/lists" | sed '1d;$d')
mapfile -t rule_files < <(sed -n '/^#generated$/,$p' "$tmp/lists" | sed '1d' | grep 'rules\.yaml$' || true)
((${#resources[@]})) || fail "kustomization.yaml lists no resources"
((${#rule_files[@]})) || fail "kustomization.yaml generates no rule files"

log "rendering deploy/: kubectl kustomize ($(kubectl version --client 2>/dev/null | grep -i kustomize || true))"
kubectl kustomize "$DEPLOY" >"$tmp/rendered.yaml"

(
  cd "$DEPLOY"
  for v in "${KUBERNETES_VERSIONS[@]}"; do
    log "kubernetes-validate $KUBERNETES_VALIDATE_VERSION --strict, Kubernetes $v: ${resources[*]} and the rendered output"
    # A kind without a schema is only a warning to the tool; here it fails too.
    if ! out="$("$VENV/bin/kubernetes-validate" --strict --quiet -k "$v" "${resources[@]}" "$tmp/rendered.yaml" 2>&1)" \
      || grep -q . <<<"$out"; then
      printf '%s\n' "$out" >&2
      fail "kubernetes-validate (Kubernetes $v)"
    fi
  done
)

if [[ -z "${RULER:-}" ]]; then
  log "building the ruler"
  (cd "$ROOT" && cargo build -q -p ruler --bin ruler)
  RULER="${CARGO_TARGET_DIR:-$ROOT/target}/debug/ruler"
fi
log "ruler check rules ${rule_files[*]}"
"$RULER" check rules "${rule_files[@]/#/$DEPLOY/}" || fail "ruler check rules"

log "nginx -t on deploy/console/default.conf.template, rendered as the image renders it"
mkdir -p "$tmp/nginx"
# shellcheck disable=SC2016 # envsubst's argument names the one variable to substitute, unexpanded
THANOS_QUERY_URL=http://127.0.0.1:9090 envsubst '${THANOS_QUERY_URL}' \
  <"$DEPLOY/console/default.conf.template" >"$tmp/nginx/default.conf"
# shellcheck disable=SC2016 # a literal ${
if grep -n '\${' "$tmp/nginx/default.conf" >&2; then
  fail "default.conf.template: \${…} left after rendering; only THANOS_QUERY_URL is substituted"
fi
# The http context of the image's nginx.conf, with every path in the temporary prefix.
cat >"$tmp/nginx/nginx.conf" <<'CONF'
worker_processes 1;
pid nginx.pid;
events {}
http {
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
    access_log access.log;
    client_body_temp_path client_body;
    proxy_temp_path proxy;
    fastcgi_temp_path fastcgi;
    uwsgi_temp_path uwsgi;
    scgi_temp_path scgi;
    include default.conf;
}
CONF
PATH="$PATH:/usr/sbin" nginx -t -q -p "$tmp/nginx/" -e "$tmp/nginx/error.log" -c "$tmp/nginx/nginx.conf" \
  || fail "nginx -t ($(PATH="$PATH:/usr/sbin" nginx -v 2>&1))"

log "deploy/ is fine"
