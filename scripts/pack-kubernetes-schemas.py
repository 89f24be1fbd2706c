#!/usr/bin/env python3
"""Pack strict Kubernetes built-in JSON Schemas into compact files for embedding.

Source: the PyPI package ``kubernetes-validate`` (pinned below), which ships
``kubernetes_validate/kubernetes-json-schema/v1.XX.0-local-strict/`` folders.
Each folder holds ``_definitions.json`` (every OpenAPI definition of that
Kubernetes release under ``$defs``, ``additionalProperties: false`` on objects)
plus one small file per kind that only ``$ref``s into it.  We keep only the
shared definitions, strip what validation does not need, and derive an index
(apiVersion, kind) -> definition name from ``x-kubernetes-group-version-kind``.

Output (``schemas/kubernetes/``), one file per Kubernetes minor version:

    k8s-1.XX.json.gz   gzip (level 9, mtime 0 => reproducible) of compact JSON:
        {
          "kubernetes": "1.XX",
          "index": [["apps/v1", "Deployment", "io.k8s.api.apps.v1.Deployment"], ...],
          "$defs": { "<definition name>": <schema>, ... }
        }

``$ref`` values stay in the local form ``#/$defs/NAME`` (as in the source).

Usage: python3 scripts/pack-kubernetes-schemas.py [--measure]
Needs network access to PyPI (pip) only; CI never runs this: the generated
files are committed.  Python 3.11 stdlib only (plus pip in a temporary venv).
"""

from __future__ import annotations

import argparse
import gzip
import io
import json
import os
import subprocess
import sys
import tempfile
import venv
from pathlib import Path

PACKAGE = "kubernetes-validate"
PACKAGE_VERSION = "1.37.0"
# Kubernetes minor versions to embed (those AKS supports around 2025/2026).
K8S_VERSIONS = ["1.31", "1.32", "1.33", "1.34", "1.35"]
# Keys dropped from every schema object (never from a `properties` map, where
# a key is a field name: PriorityClass has a field literally called
# "description").  None of them affects validation.
STRIP_KEYS = {
    "description",
    "x-kubernetes-group-version-kind",  # moved into the index
    "x-kubernetes-patch-strategy",
    "x-kubernetes-patch-merge-key",
}
# Map-valued keywords whose keys are names, not schema keywords.
NAME_MAPS = {"properties", "$defs", "definitions", "patternProperties"}

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "schemas" / "kubernetes"


def strip(node):
    if isinstance(node, list):
        return [strip(x) for x in node]
    if not isinstance(node, dict):
        return node
    out = {}
    for key, value in node.items():
        if key in STRIP_KEYS:
            continue
        if key in NAME_MAPS and isinstance(value, dict):
            out[key] = {name: strip(sub) for name, sub in value.items()}
        else:
            out[key] = strip(value)
    return out


def check_refs(node, defs, where):
    """Every $ref must be local (#/$defs/NAME) and resolve."""
    if isinstance(node, list):
        for x in node:
            check_refs(x, defs, where)
    elif isinstance(node, dict):
        ref = node.get("$ref")
        if isinstance(ref, str):
            prefix = "#/$defs/"
            if not ref.startswith(prefix) or ref[len(prefix):] not in defs:
                raise SystemExit(f"{where}: unexpected or dangling $ref {ref!r}")
        for value in node.values():
            check_refs(value, defs, where)


def gz(data: bytes) -> bytes:
    buf = io.BytesIO()
    with gzip.GzipFile(fileobj=buf, mode="wb", compresslevel=9, mtime=0, filename="") as f:
        f.write(data)
    return buf.getvalue()


def compact(obj) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False, sort_keys=False).encode()


def install_package(tmp: Path) -> tuple[Path, dict]:
    env_dir = tmp / "venv"
    venv.EnvBuilder(with_pip=True, clear=True).create(env_dir)
    py = env_dir / ("Scripts" if os.name == "nt" else "bin") / "python"
    subprocess.run(
        [str(py), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "--no-deps", f"{PACKAGE}=={PACKAGE_VERSION}"],
        check=True,
    )
    probe = (
        "import importlib.util, importlib.metadata as m, json, os\n"
        "spec = importlib.util.find_spec('kubernetes_validate')\n"
        "d = m.distribution('kubernetes-validate')\n"
        "lic = [str(f) for f in (d.files or []) if 'LICEN' in str(f).upper()]\n"
        "print(json.dumps({'dir': os.path.dirname(spec.origin), 'version': d.version,"
        " 'license': d.metadata.get('License'),"
        " 'license_expression': d.metadata.get('License-Expression'),"
        " 'classifiers': [c for c in d.metadata.get_all('Classifier') or [] if 'icense' in c],"
        " 'license_files': lic,"
        " 'license_text': ''.join(d.locate_file(f).read_text() for f in (d.files or []) if 'LICEN' in str(f).upper())}))\n"
    )
    res = subprocess.run([str(py), "-c", probe], check=True, capture_output=True, text=True)
    meta = json.loads(res.stdout)
    return Path(meta["dir"]) / "kubernetes-json-schema", meta


def pack_version(src: Path, k8s: str):
    folder = src / f"v{k8s}.0-local-strict"
    doc = json.loads((folder / "_definitions.json").read_text())
    raw_defs = doc["$defs"]
    index = []
    for name, schema in raw_defs.items():
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        # DeleteOptions/WatchEvent list one GVK per API group: they are API
        # plumbing, not manifests, and would pollute has_api_version().
        if len(gvks) != 1:
            continue
        g = gvks[0]
        api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
        index.append([api_version, g["kind"], name])
    index.sort()
    seen = {}
    for api_version, kind, name in index:
        if (api_version, kind) in seen:
            raise SystemExit(f"{k8s}: duplicate GVK {api_version} {kind}: {seen[(api_version, kind)]} / {name}")
        seen[(api_version, kind)] = name
    defs = {name: strip(schema) for name, schema in sorted(raw_defs.items())}
    check_refs(defs, defs, k8s)
    # The per-kind files must agree with our index.
    for f in folder.glob("*.json"):
        if f.name in ("_definitions.json", "all.json"):
            continue
        per_kind = json.loads(f.read_text())
        for g in per_kind.get("x-kubernetes-group-version-kind") or []:
            api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
            if g["kind"] not in ("DeleteOptions", "WatchEvent") and (api_version, g["kind"]) not in seen:
                raise SystemExit(f"{k8s}: {f.name} has GVK {g} missing from the index")
    raw_size = (folder / "_definitions.json").stat().st_size
    return {"kubernetes": k8s, "index": index, "$defs": defs}, raw_size


def patch_strategies(src: Path, k8s: str) -> dict:
    """What strategic merge needs of one release's definitions.

    For every definition reachable from a kind, the fields that either carry
    a patch strategy (``x-kubernetes-patch-strategy``, with the merge keys
    from ``x-kubernetes-list-map-keys`` or ``x-kubernetes-patch-merge-key``)
    or lead to another definition that does (``$ref``, directly or through
    ``items``).  Output: ``{"kinds": {"apps/v1 Deployment": DEF}, "defs":
    {DEF: {FIELD: {"strategy": "merge", "keys": ["name"], "ref": DEF}}}}``;
    a definition without anything to say is left out.
    """
    doc = json.loads((src / f"v{k8s}.0-local-strict" / "_definitions.json").read_text())
    raw = doc["$defs"]

    def target(schema):
        ref = schema.get("$ref") or (schema.get("items") or {}).get("$ref")
        if not ref:
            for alt in schema.get("allOf") or []:
                ref = alt.get("$ref") or ref
        return ref[len("#/$defs/"):] if ref else None

    fields = {}
    for name, schema in raw.items():
        out = {}
        for field, sub in (schema.get("properties") or {}).items():
            entry = {}
            strategy = sub.get("x-kubernetes-patch-strategy")
            if strategy:
                entry["strategy"] = strategy
                keys = sub.get("x-kubernetes-list-map-keys") or (
                    [sub["x-kubernetes-patch-merge-key"]] if "x-kubernetes-patch-merge-key" in sub else [])
                if keys:
                    entry["keys"] = keys
            ref = target(sub)
            if ref:
                entry["ref"] = ref
            if entry:
                out[field] = entry
        fields[name] = out
    # Keep only definitions from which a strategy can be reached.
    useful = {}
    def reaches(name, stack=()):
        if name in useful:
            return useful[name]
        if name in stack:
            return False
        found = False
        for entry in fields.get(name, {}).values():
            if "strategy" in entry or ("ref" in entry and reaches(entry["ref"], stack + (name,))):
                found = True
        useful[name] = found
        return found
    for name in fields:
        reaches(name)
    defs = {}
    for name, out in sorted(fields.items()):
        if not useful.get(name):
            continue
        kept = {f: {k: v for k, v in e.items() if k != "ref" or useful.get(v)} for f, e in out.items()}
        kept = {f: e for f, e in kept.items() if e}
        if kept:
            defs[name] = kept
    kinds = {}
    for name, schema in raw.items():
        gvks = schema.get("x-kubernetes-group-version-kind") or []
        if len(gvks) != 1 or name not in defs:
            continue
        g = gvks[0]
        api_version = f"{g['group']}/{g['version']}" if g["group"] else g["version"]
        kinds[f"{api_version} {g['kind']}"] = name
    return {"kubernetes": k8s, "kinds": dict(sorted(kinds.items())), "defs": defs}


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--measure", action="store_true", help="also report the size a cross-version deduplicated pack would have")
    args = ap.parse_args()

    with tempfile.TemporaryDirectory(prefix="pack-k8s-") as tmp:
        src, meta = install_package(Path(tmp))
        available = sorted(p.name for p in src.iterdir() if p.name.endswith("-local-strict"))
        print(f"{PACKAGE} {meta['version']}: strict folders: {', '.join(available)}")
        OUT.mkdir(parents=True, exist_ok=True)
        for old in OUT.glob("k8s-*.json.gz"):
            old.unlink()
        packs = {}
        total_raw = total_gz = 0
        rows = []
        for k8s in K8S_VERSIONS:
            if not (src / f"v{k8s}.0-local-strict").is_dir():
                print(f"warning: {k8s} not in package, skipped", file=sys.stderr)
                continue
            pack, raw_size = pack_version(src, k8s)
            packs[k8s] = pack
            data = compact(pack)
            packed = gz(data)
            (OUT / f"k8s-{k8s}.json.gz").write_bytes(packed)
            total_raw += raw_size
            total_gz += len(packed)
            rows.append((k8s, raw_size, len(data), len(packed), len(pack["$defs"]), len(pack["index"])))
        # Strategic merge patches follow the newest release's strategies
        # (kustomize embeds one release's too; they rarely change).
        strategies = patch_strategies(src, K8S_VERSIONS[-1])
        (OUT / "patch-strategies.json").write_text(
            json.dumps(strategies, indent=None, separators=(",", ":"), sort_keys=False) + "\n")
        print(f"patch strategies: {len(strategies['kinds'])} kinds, {len(strategies['defs'])} definitions")
        print("version | _definitions.json | stripped JSON | gzip -9 | defs | GVKs")
        for r in rows:
            print(f"{r[0]} | {r[1]} | {r[2]} | {r[3]} | {r[4]} | {r[5]}")
        print(f"total | {total_raw} | | {total_gz}")

        if args.measure:
            # Alternative: one pool of distinct definitions + per-version name->pool index.
            pool, pool_ids, versions = [], {}, {}
            for k8s, pack in packs.items():
                names = {}
                for name, schema in pack["$defs"].items():
                    key = compact(schema)
                    if key not in pool_ids:
                        pool_ids[key] = len(pool)
                        pool.append(schema)
                    names[name] = pool_ids[key]
                versions[k8s] = {"index": pack["index"], "defs": names}
            dedup = gz(compact({"pool": pool, "versions": versions}))
            print(f"dedup alternative: {len(pool)} distinct definitions, one gzip file {len(dedup)} bytes "
                  f"(vs {total_gz} for per-version files)")

        lic_files = ", ".join(meta["license_files"]) or "none"
        print(f"licence metadata: License={meta['license']!r} License-Expression={meta['license_expression']!r} "
              f"classifiers={meta['classifiers']} files={lic_files}")
        print("licence text head:", (meta["license_text"] or "").strip().splitlines()[:3])
    return 0


if __name__ == "__main__":
    sys.exit(main())
