#!/usr/bin/env python3
"""Structural check of the Linkerd policy resources (policy.linkerd.io) in rendered
manifests, which kubernetes-validate has no schemas for (it only warns "Couldn't find
schema" and passes them).

Checks each resource's required fields and allowed values, rejects unexpected fields
(like kubernetes-validate --strict), and checks the references between documents: an
AuthorizationPolicy's target Server and authentication exist, a Server selects the pods
of some Deployment that names the Server's port. Also fails on a document of any other
API group that is not a built-in kind, so a typo in a kind cannot pass unchecked.

Usage: check_linkerd_policy.py FILE...   (exit 1 on any problem, each printed)
"""

import re
import sys

import yaml

LINKERD = "policy.linkerd.io"
# kind -> API versions Linkerd 2.14+ serves (what the renderer may emit).
VERSIONS = {
    "Server": {"v1beta1", "v1beta2", "v1beta3"},
    "MeshTLSAuthentication": {"v1alpha1"},
    "NetworkAuthentication": {"v1alpha1"},
    "AuthorizationPolicy": {"v1alpha1"},
    "HTTPRoute": {"v1beta1", "v1beta2", "v1beta3"},
}
PROXY_PROTOCOLS = {"unknown", "HTTP/1", "HTTP/2", "gRPC", "opaque", "TLS"}
DNS_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$")
DNS_SUBDOMAIN = re.compile(r"^[a-z0-9]([-a-z0-9.]{0,251}[a-z0-9])?$")
PORT_NAME = re.compile(r"^[a-z0-9]([-a-z0-9]{0,13}[a-z0-9])?$")
IDENTITY = re.compile(r"^(\*|[a-z0-9]([-a-z0-9.]*[a-z0-9])?)$")

problems = []


def problem(where, message):
    problems.append(f"{where}: {message}")


def only_keys(where, value, allowed):
    if not isinstance(value, dict):
        problem(where, f"expected a mapping, found {type(value).__name__}")
        return False
    for key in value:
        if key not in allowed:
            problem(where, f"unexpected field {key!r} (allowed: {', '.join(sorted(allowed))})")
    return True


def non_empty_list(where, value):
    if not isinstance(value, list) or not value:
        problem(where, "expected a non-empty list")
        return []
    return value


def check_server(where, spec):
    if not only_keys(where, spec, {"podSelector", "externalWorkloadSelector", "port", "proxyProtocol", "accessPolicy"}):
        return
    selectors = [k for k in ("podSelector", "externalWorkloadSelector") if k in spec]
    if len(selectors) != 1:
        problem(where, "needs exactly one of podSelector, externalWorkloadSelector")
    for key in selectors:
        selector = spec[key]
        if only_keys(f"{where}.{key}", selector, {"matchLabels", "matchExpressions"}) and not selector:
            problem(f"{where}.{key}", "an empty selector selects every pod")
    port = spec.get("port")
    if isinstance(port, bool) or not (
        (isinstance(port, int) and 1 <= port <= 65535) or (isinstance(port, str) and PORT_NAME.match(port))
    ):
        problem(f"{where}.port", f"expected a port number or an IANA port name, found {port!r}")
    if "proxyProtocol" in spec and spec["proxyProtocol"] not in PROXY_PROTOCOLS:
        problem(f"{where}.proxyProtocol", f"{spec['proxyProtocol']!r} is not one of {sorted(PROXY_PROTOCOLS)}")
    if "accessPolicy" in spec and spec["accessPolicy"] not in {
        "deny", "all-authenticated", "all-unauthenticated", "cluster-authenticated", "cluster-unauthenticated", "audit"
    }:
        problem(f"{where}.accessPolicy", f"unknown policy {spec['accessPolicy']!r}")


def check_mesh_tls(where, spec):
    if not only_keys(where, spec, {"identities", "identityRefs"}):
        return
    if not spec.get("identities") and not spec.get("identityRefs"):
        problem(where, "needs identities or identityRefs")
    for identity in spec.get("identities") or []:
        if not isinstance(identity, str) or not IDENTITY.match(identity):
            problem(f"{where}.identities", f"{identity!r} is not an identity")


def check_network(where, spec):
    if not only_keys(where, spec, {"networks"}):
        return
    for network in non_empty_list(f"{where}.networks", spec.get("networks")):
        if only_keys(f"{where}.networks[]", network, {"cidr", "except"}) and "cidr" not in network:
            problem(f"{where}.networks[]", "needs cidr")


def check_ref(where, ref, kinds):
    if not only_keys(where, ref, {"group", "kind", "name", "namespace"}):
        return
    if ref.get("kind") not in kinds:
        problem(where, f"kind {ref.get('kind')!r} is not one of {sorted(kinds)}")
    if not isinstance(ref.get("name"), str) or not DNS_SUBDOMAIN.match(ref.get("name", "")):
        problem(where, f"name {ref.get('name')!r} is not a resource name")


def check_authorization(where, spec):
    if not only_keys(where, spec, {"targetRef", "requiredAuthenticationRefs"}):
        return
    check_ref(f"{where}.targetRef", spec.get("targetRef"), {"Server", "HTTPRoute", "GRPCRoute", "Namespace"})
    for i, ref in enumerate(non_empty_list(f"{where}.requiredAuthenticationRefs", spec.get("requiredAuthenticationRefs"))):
        check_ref(
            f"{where}.requiredAuthenticationRefs[{i}]",
            ref,
            {"MeshTLSAuthentication", "NetworkAuthentication", "ServiceAccount"},
        )


CHECKS = {
    "Server": check_server,
    "MeshTLSAuthentication": check_mesh_tls,
    "NetworkAuthentication": check_network,
    "AuthorizationPolicy": check_authorization,
}


def main(paths):
    documents = []
    for path in paths:
        with open(path, encoding="utf-8") as file:
            for index, doc in enumerate(yaml.safe_load_all(file)):
                if doc is not None:
                    documents.append((f"{path}#{index}", doc))
    if not documents:
        problem("input", "no documents")

    by_kind = {}
    for where, doc in documents:
        if not isinstance(doc, dict):
            problem(where, "a document must be a mapping")
            continue
        api_version, kind = doc.get("apiVersion", ""), doc.get("kind", "")
        group, _, version = api_version.rpartition("/")
        meta = doc.get("metadata") or {}
        name, namespace = meta.get("name"), meta.get("namespace")
        where = f"{where} {kind}/{name}"
        by_kind.setdefault(kind, {})[(namespace, name)] = doc
        if group != LINKERD:
            # Built-in groups have no dot (core "", apps, policy, autoscaling) or end
            # in .k8s.io; kubernetes-validate checks those against its schemas.
            if "." in group and not group.endswith(".k8s.io"):
                problem(where, f"{api_version} is neither a built-in API nor {LINKERD}: nothing can validate it")
            continue
        if kind not in VERSIONS:
            problem(where, f"unknown {LINKERD} kind {kind!r}")
            continue
        if version not in VERSIONS[kind]:
            problem(where, f"{kind} is served as {sorted(VERSIONS[kind])}, not {version}")
        only_keys(where, doc, {"apiVersion", "kind", "metadata", "spec"})
        if not isinstance(name, str) or not DNS_SUBDOMAIN.match(name):
            problem(where, f"metadata.name {name!r} is not a resource name")
        if not isinstance(namespace, str) or not DNS_LABEL.match(namespace):
            problem(where, f"metadata.namespace {namespace!r} is not a namespace name")
        check = CHECKS.get(kind)
        if check:
            check(f"{where} spec", doc.get("spec"))

    # References between documents.
    for (namespace, name), policy in by_kind.get("AuthorizationPolicy", {}).items():
        spec = policy.get("spec") or {}
        where = f"AuthorizationPolicy {namespace}/{name}"
        refs = [spec.get("targetRef") or {}] + list(spec.get("requiredAuthenticationRefs") or [])
        for ref in refs:
            kind = ref.get("kind")
            if kind in ("Namespace", "ServiceAccount"):
                continue
            if (ref.get("namespace", namespace), ref.get("name")) not in by_kind.get(kind, {}):
                problem(where, f"refers to {kind} {ref.get('name')!r}, which is not among the manifests")
    for (namespace, name), server in by_kind.get("Server", {}).items():
        spec = server.get("spec") or {}
        labels = (spec.get("podSelector") or {}).get("matchLabels") or {}
        port = spec.get("port")
        selected = [
            deployment
            for (ns, _), deployment in by_kind.get("Deployment", {}).items()
            if ns == namespace
            and labels
            and labels.items() <= ((deployment["spec"]["template"]["metadata"].get("labels") or {}).items())
        ]
        if not selected:
            problem(f"Server {namespace}/{name}", f"selects no Deployment's pods ({labels})")
        for deployment in selected:
            ports = [
                p.get("name") if isinstance(port, str) else p.get("containerPort")
                for c in deployment["spec"]["template"]["spec"].get("containers", [])
                for p in c.get("ports", [])
            ]
            if port not in ports:
                problem(f"Server {namespace}/{name}", f"port {port!r} is not a container port of the pods it selects")

    for line in problems:
        print(f"ERROR {line}", file=sys.stderr)
    if not problems:
        counted = sum(1 for _, d in documents if isinstance(d, dict) and d.get("apiVersion", "").startswith(LINKERD))
        print(f"linkerd policy: {counted} {LINKERD} resources checked in {len(paths)} files")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
