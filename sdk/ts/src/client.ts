/**
 * `createCanopyClient`: Canopy's public API over grpc-web, for browsers and Node.
 *
 * - every call carries `authorization: Bearer <token>` when `getToken` returns one;
 * - a call that fails UNAUTHENTICATED asks `getToken({ refresh: true })` for a new
 *   token once (concurrent failures share one refresh) and, when it gets a different
 *   token, retries the call once; if there is no new token or the retry fails
 *   UNAUTHENTICATED too, `onUnauthenticated` is told and the call rejects;
 * - every failure rejects with a `CanopyError` carrying the `google.rpc` details.
 *
 * Server-streaming calls are retried only when the refusal comes before the first
 * message (the gateway refuses at the start of the call); an error in the middle
 * of a stream is never retried here, so no message is seen twice.
 */
import { type Client, Code, ConnectError, type Interceptor, type Transport, createClient } from "@connectrpc/connect";
import { createGrpcWebTransport } from "@connectrpc/connect-web";

import {
  AlertService,
  CustomerReceiverService,
  EscalationPolicyService,
  EventRuleService,
  IncidentService,
  OnCallService,
  ReceiverService,
  RoutingService,
  SilenceService,
} from "./gen/canopy/alerts/v1/alerts_pb.js";
import { AuditService, SiemService } from "./gen/canopy/audit/v1/audit_pb.js";
import { IntegrationService, KeyRotationService, PlatformService } from "./gen/canopy/commerce/v1/commerce_pb.js";
import { BudgetService, CostAccountService, CostService } from "./gen/canopy/cost/v1/cost_pb.js";
import { ApiKeyService, AuthService, CredentialService, UserService } from "./gen/canopy/identity/v1/identity_pb.js";
import { ComplianceService, PolicyService } from "./gen/canopy/policy/v1/policy_pb.js";
import { SiteService } from "./gen/canopy/sites/v1/sites_pb.js";
import { BrandingService, CustomerService, PlanService } from "./gen/canopy/tenancy/v1/tenancy_pb.js";
import { CanopyError, toCanopyError } from "./errors.js";

/** What `getToken` is asked for. */
export interface TokenRequest {
  /** `true` after the server refused the current token: return a fresh one (or none). */
  refresh: boolean;
}

/** Returns the access token (or API key) to send, or nothing to call anonymously. */
export type TokenSource = (request: TokenRequest) => string | null | undefined | Promise<string | null | undefined>;

export interface CanopyClientOptions {
  /** Where grpc-web is served: Envoy at the edge, or the gateway itself, e.g. `https://api.example.com`. */
  baseUrl: string;
  /** The bearer token for each call; asked again with `{ refresh: true }` after UNAUTHENTICATED. */
  getToken: TokenSource;
  /** Told when a call stays UNAUTHENTICATED after a refresh (e.g. send the user to sign-in). */
  onUnauthenticated?: (error: CanopyError) => void;
  /** Default deadline of every call in milliseconds (sent as `grpc-timeout`). */
  defaultTimeoutMs?: number;
  /** A `fetch` to use instead of the global one (tests, custom agents). */
  fetch?: typeof globalThis.fetch;
  /** Extra interceptors, run inside the SDK's error and authorisation interceptors. */
  interceptors?: Interceptor[];
}

/** Typed clients for every public Canopy service, over one transport. */
export interface CanopyClient {
  readonly transport: Transport;
  /** identity: sign-in, sessions, the current user, password and MFA. */
  readonly auth: Client<typeof AuthService>;
  /** identity: users of a customer or of the platform. */
  readonly users: Client<typeof UserService>;
  /** identity: API keys. */
  readonly apiKeys: Client<typeof ApiKeyService>;
  /** identity: signing-key rotation (platform admins; the rest is internal to the mesh). */
  readonly credentials: Client<typeof CredentialService>;
  /** tenancy: customers and their lifecycle. */
  readonly customers: Client<typeof CustomerService>;
  /** tenancy: branding and custom domains. */
  readonly branding: Client<typeof BrandingService>;
  /** tenancy: plans, and a customer's usage against its quota. */
  readonly plans: Client<typeof PlanService>;
  /** sites: sites, deployments and their live progress. */
  readonly sites: Client<typeof SiteService>;
  /** audit: the audit trail (platform admins: every chain; owners: their own). */
  readonly audit: Client<typeof AuditService>;
  /** audit: SIEM endpoints that receive the trail (platform admins). */
  readonly siem: Client<typeof SiemService>;
  /** alerts: the platform's receivers (platform admins and operators). */
  readonly receivers: Client<typeof ReceiverService>;
  /** alerts: a customer's own receivers (owners: their own; platform admins: any). */
  readonly customerReceivers: Client<typeof CustomerReceiverService>;
  /** alerts: the operator's routing tree, inhibit rules and time intervals. */
  readonly routing: Client<typeof RoutingService>;
  /** alerts: silences (platform admins and operators). */
  readonly silences: Client<typeof SilenceService>;
  /** alerts: alerts (platform: all; owners: their customer's). */
  readonly alerts: Client<typeof AlertService>;
  /** alerts: incidents, acknowledging them (also by a page's link) and resolving them. */
  readonly incidents: Client<typeof IncidentService>;
  /** alerts: escalation policies (platform admins and operators). */
  readonly escalationPolicies: Client<typeof EscalationPolicyService>;
  /** alerts: on-call schedules and who is on call. */
  readonly onCall: Client<typeof OnCallService>;
  /** alerts: the operator's threshold rules over events. */
  readonly eventRules: Client<typeof EventRuleService>;
  /** policy: policies as code (platform: guardrails; owners: their own), and trying one on a plan. */
  readonly policies: Client<typeof PolicyService>;
  /** policy: compliance, violations, deployments' policy checks, overriding or discarding a waiting run. */
  readonly compliance: Client<typeof ComplianceService>;
  /** cost: estimates, cost reports, forecasts, site cost pages, CSV export. */
  readonly costs: Client<typeof CostService>;
  /** cost: monthly budgets per customer and per site. */
  readonly budgets: Client<typeof BudgetService>;
  /** cost: the provider accounts costs are collected from, and collection runs (platform). */
  readonly costAccounts: Client<typeof CostAccountService>;
  /** commerce: the e-commerce platforms and the fields each needs. */
  readonly commercePlatforms: Client<typeof PlatformService>;
  /** commerce: sites' store connections (Shopify, WooCommerce, BigCommerce) and their health. */
  readonly integrations: Client<typeof IntegrationService>;
  /** commerce: envelope-encryption key rotation status of every service (platform). */
  readonly keyRotation: Client<typeof KeyRotationService>;
}

export function createCanopyClient(options: CanopyClientOptions): CanopyClient {
  const transport = createGrpcWebTransport({
    baseUrl: options.baseUrl,
    useBinaryFormat: true,
    defaultTimeoutMs: options.defaultTimeoutMs,
    fetch: options.fetch,
    interceptors: [
      errorInterceptor(),
      authInterceptor(options.getToken, options.onUnauthenticated),
      ...(options.interceptors ?? []),
    ],
  });
  return {
    transport,
    auth: createClient(serviceClients.auth, transport),
    users: createClient(serviceClients.users, transport),
    apiKeys: createClient(serviceClients.apiKeys, transport),
    credentials: createClient(serviceClients.credentials, transport),
    customers: createClient(serviceClients.customers, transport),
    branding: createClient(serviceClients.branding, transport),
    plans: createClient(serviceClients.plans, transport),
    sites: createClient(serviceClients.sites, transport),
    audit: createClient(serviceClients.audit, transport),
    siem: createClient(serviceClients.siem, transport),
    receivers: createClient(serviceClients.receivers, transport),
    customerReceivers: createClient(serviceClients.customerReceivers, transport),
    routing: createClient(serviceClients.routing, transport),
    silences: createClient(serviceClients.silences, transport),
    alerts: createClient(serviceClients.alerts, transport),
    incidents: createClient(serviceClients.incidents, transport),
    escalationPolicies: createClient(serviceClients.escalationPolicies, transport),
    onCall: createClient(serviceClients.onCall, transport),
    eventRules: createClient(serviceClients.eventRules, transport),
    policies: createClient(serviceClients.policies, transport),
    compliance: createClient(serviceClients.compliance, transport),
    costs: createClient(serviceClients.costs, transport),
    budgets: createClient(serviceClients.budgets, transport),
    costAccounts: createClient(serviceClients.costAccounts, transport),
    commercePlatforms: createClient(serviceClients.commercePlatforms, transport),
    integrations: createClient(serviceClients.integrations, transport),
    keyRotation: createClient(serviceClients.keyRotation, transport),
  };
}

/**
 * The service behind each client of {@link CanopyClient}. A test fails when a Canopy
 * service with a method callers outside the mesh may use has no client here.
 */
export const serviceClients = {
  receivers: ReceiverService,
  customerReceivers: CustomerReceiverService,
  routing: RoutingService,
  silences: SilenceService,
  alerts: AlertService,
  incidents: IncidentService,
  escalationPolicies: EscalationPolicyService,
  onCall: OnCallService,
  eventRules: EventRuleService,
  policies: PolicyService,
  compliance: ComplianceService,
  costs: CostService,
  budgets: BudgetService,
  costAccounts: CostAccountService,
  commercePlatforms: PlatformService,
  integrations: IntegrationService,
  keyRotation: KeyRotationService,
  audit: AuditService,
  siem: SiemService,
  auth: AuthService,
  users: UserService,
  apiKeys: ApiKeyService,
  credentials: CredentialService,
  customers: CustomerService,
  branding: BrandingService,
  plans: PlanService,
  sites: SiteService,
} as const;

/** Turns every failure, including those in the middle of a stream, into a `CanopyError`. */
export function errorInterceptor(): Interceptor {
  return (next) => async (req) => {
    let res;
    try {
      res = await next(req);
    } catch (error) {
      throw toCanopyError(error);
    }
    if (!res.stream) return res;
    const messages = res.message;
    return {
      ...res,
      message: (async function* () {
        try {
          yield* messages;
        } catch (error) {
          throw toCanopyError(error);
        }
      })(),
    };
  };
}

/** Methods whose UNAUTHENTICATED answer is never refreshed and retried. */
const SIGN_IN_METHODS = new Set([
  "canopy.identity.v1.AuthService/Login",
  "canopy.identity.v1.AuthService/CompleteMfaLogin",
  "canopy.identity.v1.AuthService/RefreshSession",
]);

/** Adds `authorization: Bearer`, refreshing the token and retrying once on UNAUTHENTICATED. */
export function authInterceptor(getToken: TokenSource, onUnauthenticated?: (error: CanopyError) => void): Interceptor {
  let refreshing: Promise<string | null | undefined> | undefined;
  const refresh = () => {
    refreshing ??= Promise.resolve()
      .then(() => getToken({ refresh: true }))
      .finally(() => {
        refreshing = undefined;
      });
    return refreshing;
  };
  const isUnauthenticated = (error: unknown) => error instanceof ConnectError && error.code === Code.Unauthenticated;
  const send = (token: string | null | undefined) => token || undefined;

  return (next) => async (req) => {
    // Never waits for a refresh in flight: getToken may itself call RefreshSession
    // through this client.
    const token = send(await getToken({ refresh: false }));
    if (token) req.header.set("authorization", `Bearer ${token}`);
    try {
      return await next(req);
    } catch (error) {
      if (!isUnauthenticated(error)) throw error;
      // The sign-in methods are how tokens are obtained: a refused one is final.
      // (Retrying a refused RefreshSession that getToken itself made would wait on
      // the very refresh it belongs to, forever.)
      if (SIGN_IN_METHODS.has(`${req.service.typeName}/${req.method.name}`)) throw error;
      const fresh = send(await refresh());
      if (!fresh || fresh === token) {
        onUnauthenticated?.(toCanopyError(error));
        throw error;
      }
      req.header.set("authorization", `Bearer ${fresh}`);
      try {
        return await next(req);
      } catch (retryError) {
        if (isUnauthenticated(retryError)) onUnauthenticated?.(toCanopyError(retryError));
        throw retryError;
      }
    }
  };
}
