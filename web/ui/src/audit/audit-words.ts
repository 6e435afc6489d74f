//! Audit events in words: an action as a person reads it, the actor's kind, and the
//! gRPC code names an outcome can carry.
import { audit } from "@canopy/sdk";

/**
 * `/canopy.sites.v1.SiteService/CreateSite` → `SiteService.CreateSite`: the
 * package says nothing a reader needs. Security events (`security.sign_in_failed`),
 * decisions (`policy.check_refused`) and anything else are shown as recorded.
 */
export function readableAction(action: string): string {
  const call = /^\/(?:[\w]+\.)*(\w+)\/(\w+)$/.exec(action);
  return call ? `${call[1]}.${call[2]}` : action;
}

const ACTOR_KINDS: Record<audit.ActorKind, string> = {
  [audit.ActorKind.UNSPECIFIED]: "Unknown",
  [audit.ActorKind.USER]: "User",
  [audit.ActorKind.API_KEY]: "API key",
  [audit.ActorKind.WORKLOAD]: "Workload",
  [audit.ActorKind.ANONYMOUS]: "Anonymous",
  [audit.ActorKind.SYSTEM]: "System",
};

export function actorKindLabel(kind: audit.ActorKind): string {
  return ACTOR_KINDS[kind] ?? "Unknown";
}

/** The gRPC status code names an outcome's `code` is one of, in the order of their numbers. */
export const OUTCOME_CODES = [
  "OK",
  "CANCELLED",
  "UNKNOWN",
  "INVALID_ARGUMENT",
  "DEADLINE_EXCEEDED",
  "NOT_FOUND",
  "ALREADY_EXISTS",
  "PERMISSION_DENIED",
  "RESOURCE_EXHAUSTED",
  "FAILED_PRECONDITION",
  "ABORTED",
  "OUT_OF_RANGE",
  "UNIMPLEMENTED",
  "INTERNAL",
  "UNAVAILABLE",
  "DATA_LOSS",
  "UNAUTHENTICATED",
] as const;
