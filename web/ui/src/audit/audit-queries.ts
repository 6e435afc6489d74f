//! The audit trail's cache, shared by both portals: pages of ListAuditEvents (keyed
//! by the filters as the URL holds them, so no bigint reaches a key), the
//! checkpoint key, and VerifyAuditLog, which caches nothing (each click checks
//! the chain as it is now).
import { keepPreviousData, queryOptions, useMutation } from "@tanstack/react-query";
import type { CanopyClient } from "@canopy/sdk";
import { type AuditFilterValues, toAuditFilter } from "./audit-filters";

type AuditClient = Pick<CanopyClient, "audit">;

export const AUDIT_PAGE_SIZE = 20;

export const auditKeys = {
  all: ["audit"] as const,
  lists: () => [...auditKeys.all, "list"] as const,
  list: (filters: AuditFilterValues, pageToken: string, pageSize = AUDIT_PAGE_SIZE) => [...auditKeys.lists(), filters, pageSize, pageToken] as const,
  checkpointKey: () => [...auditKeys.all, "checkpoint-key"] as const,
};

export const auditQueries = {
  /** One page of events, newest first; the previous page kept while the next loads. */
  list: (client: AuditClient, filters: AuditFilterValues, pageToken: string, pageSize = AUDIT_PAGE_SIZE) =>
    queryOptions({
      queryKey: auditKeys.list(filters, pageToken, pageSize),
      queryFn: () => client.audit.listAuditEvents({ filter: toAuditFilter(filters), page: { pageSize, pageToken } }),
      placeholderData: keepPreviousData,
    }),
  /** The Ed25519 key that signs checkpoints; it changes only with a key rotation. */
  checkpointKey: (client: AuditClient) =>
    queryOptions({
      queryKey: auditKeys.checkpointKey(),
      queryFn: async () => (await client.audit.getCheckpointKey({})).publicKey,
      staleTime: 10 * 60_000,
    }),
};

/** VerifyAuditLog over a whole chain: a customer's, or "" for the platform's (admins) or the owner's own. */
export function useVerifyAuditLog(client: AuditClient) {
  return useMutation({
    mutationFn: (customerId: string) => client.audit.verifyAuditLog({ customerId, fromSequence: 0n, toSequence: 0n }),
  });
}
